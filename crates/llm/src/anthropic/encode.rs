//! Encoding canonical stream events as Anthropic Messages SSE for callers.

use serde::Serialize;

use super::wire::{self, RenderUsage};
use crate::canonical::{StreamEvent, Usage};
use crate::stream::StreamEncoder;
use crate::{ids, json};

/// Encodes canonical events as the event sequence the Anthropic SDKs' stream accumulators
/// expect:
///
/// * `message_start` with a full, empty message (`id` `msg_…`, the caller's `model`, zero
///   usage: the canonical stream reports usage only at the end);
/// * per block, `content_block_start` / `content_block_delta`* / `content_block_stop`, with
///   indices 0, 1, 2… in order: text deltas open a `text` block, thinking deltas and signatures
///   a `thinking` block (`thinking_delta`, `signature_delta`), each tool call a `tool_use` block
///   (`input: {}` then `input_json_delta` fragments); a block is closed when a different one
///   starts or the message finishes;
/// * `message_delta` with `stop_reason`, `stop_sequence` and the full usage (output and, for
///   accumulators that read them, input and cache counts), then `message_stop`.
///
/// Only choice 0 is encoded (Anthropic has no `n`); refusal text is encoded as text. An `Error`
/// becomes `event: error` with `{"type": "error", "error": {"type", "message"}}` and ends the
/// stream (later events are ignored).
#[derive(Debug)]
pub struct MessagesStreamEncoder {
    model: String,
    id: String,
    started: bool,
    ended: bool,
    open: Option<Open>,
    next_index: u32,
    /// Canonical tool index → block index.
    tools: Vec<(u32, u32)>,
    stop: Option<(&'static str, Option<String>)>,
    usage: Option<Usage>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Text(u32),
    Thinking(u32),
    Tool(u32),
}

impl Open {
    fn index(self) -> u32 {
        match self {
            Open::Text(i) | Open::Thinking(i) | Open::Tool(i) => i,
        }
    }
}

impl MessagesStreamEncoder {
    /// An encoder for one caller stream; `model` is the name the caller used.
    pub fn new(model: &str) -> Self {
        MessagesStreamEncoder {
            model: model.to_owned(),
            id: String::new(),
            started: false,
            ended: false,
            open: None,
            next_index: 0,
            tools: Vec::new(),
            stop: None,
            usage: None,
        }
    }

    fn start(&mut self, out: &mut Vec<u8>, id: &str) {
        if self.started {
            return;
        }
        self.started = true;
        self.id = if id.starts_with("msg_") {
            id.to_owned()
        } else if id.is_empty() {
            ids::derive("msg_", &[self.model.as_bytes()])
        } else {
            format!("msg_{}", ids::sanitize(id))
        };
        let zero = Usage::default();
        let event = MessageStart {
            kind: "message_start",
            message: StartMessage {
                id: &self.id,
                kind: "message",
                role: "assistant",
                model: &self.model,
                content: [],
                stop_reason: None,
                stop_sequence: None,
                usage: RenderUsage::from(&zero),
            },
        };
        write(out, "message_start", &event);
    }

    fn close(&mut self, out: &mut Vec<u8>) {
        if let Some(open) = self.open.take() {
            write(
                out,
                "content_block_stop",
                &BlockStop {
                    kind: "content_block_stop",
                    index: open.index(),
                },
            );
        }
    }

    /// Makes sure a block like `want` is open, starting one with `block` if not.
    fn ensure(&mut self, out: &mut Vec<u8>, want: fn(u32) -> Open, block: StartBlock<'_>) -> u32 {
        if let Some(open) = self.open
            && open == want(open.index())
        {
            return open.index();
        }
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        write(
            out,
            "content_block_start",
            &BlockStart {
                kind: "content_block_start",
                index,
                content_block: block,
            },
        );
        self.open = Some(want(index));
        index
    }

    fn delta(out: &mut Vec<u8>, index: u32, delta: Delta<'_>) {
        write(
            out,
            "content_block_delta",
            &BlockDelta {
                kind: "content_block_delta",
                index,
                delta,
            },
        );
    }

    fn text(&mut self, out: &mut Vec<u8>, text: &str) {
        let index = self.ensure(out, Open::Text, StartBlock::Text { text: "" });
        Self::delta(out, index, Delta::Text { text });
    }

    fn thinking_block(&mut self, out: &mut Vec<u8>) -> u32 {
        self.ensure(
            out,
            Open::Thinking,
            StartBlock::Thinking {
                thinking: "",
                signature: "",
            },
        )
    }

    fn tool_start(&mut self, out: &mut Vec<u8>, tool: u32, id: &str, name: &str) -> u32 {
        self.close(out);
        let index = self.next_index;
        self.next_index += 1;
        write(
            out,
            "content_block_start",
            &BlockStart {
                kind: "content_block_start",
                index,
                content_block: StartBlock::ToolUse {
                    id,
                    name,
                    input: Empty {},
                },
            },
        );
        self.open = Some(Open::Tool(index));
        self.tools.push((tool, index));
        index
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        self.close(out);
        let (stop_reason, stop_sequence) = match &self.stop {
            Some((reason, sequence)) => (*reason, sequence.as_deref()),
            None => ("end_turn", None),
        };
        let usage = self.usage.unwrap_or_default();
        write(
            out,
            "message_delta",
            &MessageDelta {
                kind: "message_delta",
                delta: StopDelta {
                    stop_reason,
                    stop_sequence,
                },
                usage: RenderUsage::from(&usage),
            },
        );
        write(
            out,
            "message_stop",
            &TypeOnly {
                kind: "message_stop",
            },
        );
    }
}

impl StreamEncoder for MessagesStreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        let choice = match event {
            StreamEvent::TextDelta { choice, .. }
            | StreamEvent::ThinkingDelta { choice, .. }
            | StreamEvent::ThinkingSignature { choice, .. }
            | StreamEvent::ToolCallStart { choice, .. }
            | StreamEvent::ToolCallDelta { choice, .. }
            | StreamEvent::RefusalDelta { choice, .. }
            | StreamEvent::Finish { choice, .. } => *choice,
            _ => 0,
        };
        if choice != 0 {
            return;
        }
        if let StreamEvent::Error(error) = event {
            self.ended = true;
            write(
                out,
                "error",
                &ErrorEvent {
                    kind: "error",
                    error: ErrorBody {
                        kind: wire::error_type(error.kind),
                        message: &error.message,
                    },
                },
            );
            return;
        }
        let id = match event {
            StreamEvent::Start { id, .. } => id.as_str(),
            _ => "",
        };
        self.start(out, id);
        match event {
            StreamEvent::TextDelta { text, .. } | StreamEvent::RefusalDelta { text, .. } => {
                self.text(out, text);
            }
            StreamEvent::ThinkingDelta { text, .. } => {
                let index = self.thinking_block(out);
                Self::delta(out, index, Delta::Thinking { thinking: text });
            }
            StreamEvent::ThinkingSignature { signature, .. } => {
                let index = self.thinking_block(out);
                Self::delta(out, index, Delta::Signature { signature });
            }
            StreamEvent::ToolCallStart {
                index: tool,
                id,
                name,
                ..
            } => {
                self.tool_start(out, *tool, id, name);
            }
            StreamEvent::ToolCallDelta {
                index: tool,
                arguments,
                ..
            } => {
                let block = match self.tools.iter().rev().find(|(t, _)| t == tool) {
                    Some((_, block)) => *block,
                    None => {
                        let id = ids::derive(
                            "toolu_",
                            &[self.id.as_bytes(), tool.to_string().as_bytes()],
                        );
                        self.tool_start(out, *tool, &id, "")
                    }
                };
                // A delta for a block that is no longer the open one (interleaved calls) still
                // goes to that block's index, which is how the accumulators address blocks.
                Self::delta(
                    out,
                    block,
                    Delta::InputJson {
                        partial_json: arguments,
                    },
                );
            }
            StreamEvent::Finish { reason, .. } => {
                self.close(out);
                let (reason, sequence) = wire::render_stop_reason(reason);
                self.stop = Some((reason, sequence.map(str::to_owned)));
            }
            StreamEvent::Usage(usage) => self.usage = Some(*usage),
            StreamEvent::End => {
                self.ended = true;
                self.finish(out);
            }
            StreamEvent::Start { .. } | StreamEvent::Error(_) => {}
        }
    }
}

/// `event: <name>\ndata: <json>\n\n`.
fn write<T: Serialize>(out: &mut Vec<u8>, name: &str, value: &T) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\ndata: ");
    json::write(out, value);
    out.extend_from_slice(b"\n\n");
}

#[derive(Serialize)]
struct MessageStart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    message: StartMessage<'a>,
}

#[derive(Serialize)]
struct StartMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: [(); 0],
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'static str>,
    usage: RenderUsage,
}

#[derive(Serialize)]
struct BlockStart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
    content_block: StartBlock<'a>,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock<'a> {
    Text {
        text: &'a str,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    ToolUse {
        id: &'a str,
        name: &'a str,
        input: Empty,
    },
}

#[derive(Serialize)]
struct BlockDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
    delta: Delta<'a>,
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Delta<'a> {
    #[serde(rename = "text_delta")]
    Text { text: &'a str },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: &'a str },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: &'a str },
    #[serde(rename = "signature_delta")]
    Signature { signature: &'a str },
}

#[derive(Serialize)]
struct BlockStop {
    #[serde(rename = "type")]
    kind: &'static str,
    index: u32,
}

#[derive(Serialize)]
struct MessageDelta<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delta: StopDelta<'a>,
    usage: RenderUsage,
}

#[derive(Serialize)]
struct StopDelta<'a> {
    stop_reason: &'static str,
    stop_sequence: Option<&'a str>,
}

#[derive(Serialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
pub(crate) struct ErrorEvent<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) message: &'a str,
}
