//! Decoding upstream Anthropic Messages streams into canonical events.

use serde::Deserialize;
use serde_json::Value;

use super::wire::{self, WireUsage};
use crate::canonical::{ErrorKind, FinishReason, StreamError, StreamEvent, Usage};
use crate::json;
use crate::sse::SseEvent;
use crate::stream::StreamDecoder;

/// Decodes an Anthropic Messages stream: `message_start`, then per content block
/// `content_block_start` / `content_block_delta`* / `content_block_stop`, then `message_delta`
/// (stop reason, cumulative usage) and `message_stop`; `ping` anywhere; `error` ends it.
///
/// * `message_start` yields `Start` (its `created` is 0: Anthropic sends none) and the input
///   side of the usage; `message_delta` yields `Finish` for choice 0 and updates the usage,
///   which is emitted once, just before `End` (on `message_stop`).
/// * Text blocks yield text deltas; thinking blocks thinking deltas and, from `signature_delta`,
///   `ThinkingSignature`; tool-use blocks `ToolCallStart` (tool calls numbered from 0 in block
///   order) and `ToolCallDelta` per `input_json_delta` (a non-empty `input` in the start event is
///   sent as one delta). Redacted thinking, server-tool and unknown blocks, citations and unknown
///   event types are skipped (the canonical stream cannot carry them; Anthropic may add types).
/// * `event: error` (`{"type": "error", "error": {"type", "message"}}`) yields `Error` with the
///   kind of its type; data that is not JSON yields an `Upstream` error.
/// * At end of body without `message_stop`: complete if a `message_delta` with a stop reason was
///   seen (usage, `End`), else `Error` ("stream cut").
#[derive(Debug, Default)]
pub struct MessagesStreamDecoder {
    started: bool,
    ended: bool,
    finished: bool,
    usage: Option<Usage>,
    /// What each Anthropic block index holds.
    blocks: Vec<(usize, Block)>,
    tools: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Block {
    Text,
    Thinking,
    Tool(u32),
    Skipped,
}

impl MessagesStreamDecoder {
    /// A decoder for one upstream stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn start(&mut self, id: String, model: String, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            out.push(StreamEvent::Start {
                id,
                model,
                created: 0,
            });
        }
    }

    fn end(&mut self, out: &mut Vec<StreamEvent>) {
        self.start(String::new(), String::new(), out);
        if let Some(usage) = self.usage.take() {
            out.push(StreamEvent::Usage(usage));
        }
        self.ended = true;
        out.push(StreamEvent::End);
    }

    fn fail(&mut self, kind: ErrorKind, message: String, out: &mut Vec<StreamEvent>) {
        self.ended = true;
        out.push(StreamEvent::Error(StreamError { kind, message }));
    }

    fn block(&self, index: usize) -> Block {
        self.blocks
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map_or(Block::Skipped, |(_, b)| *b)
    }

    fn update_usage(&mut self, report: &WireUsage) {
        let usage = self.usage.get_or_insert_with(Usage::default);
        report.apply(usage);
    }

    fn on_wire(&mut self, event: WireEvent, out: &mut Vec<StreamEvent>) {
        // An error before anything else stays a bare error, as with the other decoders: the
        // gateway can still answer it with an error status.
        if !matches!(
            event,
            WireEvent::MessageStart { .. }
                | WireEvent::Ping
                | WireEvent::Other
                | WireEvent::Error { .. }
        ) {
            self.start(String::new(), String::new(), out);
        }
        match event {
            WireEvent::MessageStart { message } => {
                self.start(
                    message.id.unwrap_or_default(),
                    message.model.unwrap_or_default(),
                    out,
                );
                if let Some(usage) = &message.usage {
                    self.update_usage(usage);
                }
            }
            WireEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let block = match content_block {
                    StartBlock::Text { text } => {
                        push_text(out, text, |text| StreamEvent::TextDelta { choice: 0, text });
                        Block::Text
                    }
                    StartBlock::Thinking {
                        thinking,
                        signature,
                    } => {
                        push_text(out, thinking, |text| StreamEvent::ThinkingDelta {
                            choice: 0,
                            text,
                        });
                        push_text(out, signature.unwrap_or_default(), |signature| {
                            StreamEvent::ThinkingSignature {
                                choice: 0,
                                signature,
                            }
                        });
                        Block::Thinking
                    }
                    StartBlock::ToolUse { id, name, input } => {
                        let tool = self.tools;
                        self.tools += 1;
                        out.push(StreamEvent::ToolCallStart {
                            choice: 0,
                            index: tool,
                            id,
                            name,
                        });
                        let has_input = input.as_object().is_some_and(|o| !o.is_empty());
                        if has_input {
                            out.push(StreamEvent::ToolCallDelta {
                                choice: 0,
                                index: tool,
                                arguments: json::compact(&input),
                            });
                        }
                        Block::Tool(tool)
                    }
                    StartBlock::Other => Block::Skipped,
                };
                self.blocks.push((index, block));
            }
            WireEvent::ContentBlockDelta { index, delta } => match (self.block(index), delta) {
                (Block::Text, BlockDelta::TextDelta { text }) => {
                    push_text(out, text, |text| StreamEvent::TextDelta { choice: 0, text });
                }
                (Block::Thinking, BlockDelta::ThinkingDelta { thinking }) => {
                    push_text(out, thinking, |text| StreamEvent::ThinkingDelta {
                        choice: 0,
                        text,
                    });
                }
                (Block::Thinking, BlockDelta::SignatureDelta { signature }) => {
                    push_text(out, signature, |signature| StreamEvent::ThinkingSignature {
                        choice: 0,
                        signature,
                    });
                }
                (Block::Tool(tool), BlockDelta::InputJsonDelta { partial_json }) => {
                    push_text(out, partial_json, |arguments| StreamEvent::ToolCallDelta {
                        choice: 0,
                        index: tool,
                        arguments,
                    });
                }
                _ => {}
            },
            WireEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = &usage {
                    self.update_usage(usage);
                }
                if let Some(delta) = delta
                    && let Some(reason) = delta.stop_reason
                    && !self.finished
                {
                    self.finished = true;
                    out.push(StreamEvent::Finish {
                        choice: 0,
                        reason: wire::finish_reason(&reason, delta.stop_sequence),
                    });
                }
            }
            WireEvent::MessageStop => {
                if !self.finished {
                    self.finished = true;
                    out.push(StreamEvent::Finish {
                        choice: 0,
                        reason: FinishReason::EndTurn,
                    });
                }
                self.end(out);
            }
            WireEvent::Error { error } => {
                let (kind, message) = error.map_or((ErrorKind::Upstream, None), |e| {
                    (
                        e.kind
                            .as_deref()
                            .and_then(wire::kind_from_type)
                            .unwrap_or(ErrorKind::Upstream),
                        e.message,
                    )
                });
                let message = message
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| String::from("the upstream reported a stream error"));
                self.fail(kind, message, out);
            }
            WireEvent::ContentBlockStop | WireEvent::Ping | WireEvent::Other => {}
        }
    }
}

fn push_text(out: &mut Vec<StreamEvent>, text: String, make: impl FnOnce(String) -> StreamEvent) {
    if !text.is_empty() {
        out.push(make(text));
    }
}

impl StreamDecoder for MessagesStreamDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        match serde_json::from_str::<WireEvent>(&event.data) {
            Ok(wire) => self.on_wire(wire, out),
            Err(e) => {
                let message = if event.event.as_deref() == Some("error") {
                    format!(
                        "the upstream reported a stream error: {}",
                        event.data.trim()
                    )
                } else if e.is_eof() {
                    // What a body cut mid-event looks like once the SSE decoder flushes it.
                    String::from("stream cut: the upstream stream ended inside an event")
                } else {
                    format!("the upstream sent a stream event that is not valid: {e}")
                };
                self.fail(ErrorKind::Upstream, message, out);
            }
        }
    }

    fn on_eof(&mut self, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        if self.finished {
            self.end(out);
        } else {
            self.fail(
                ErrorKind::Upstream,
                String::from("stream cut: the upstream stream ended before message_stop"),
                out,
            );
        }
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: StartBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop,
    MessageDelta {
        #[serde(default)]
        delta: Option<MessageDeltaBody>,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        #[serde(default)]
        error: Option<ErrorBody>,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    SignatureDelta {
        signature: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_sequence: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}
