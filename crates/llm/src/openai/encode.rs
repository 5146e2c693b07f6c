//! Encoding canonical stream events as OpenAI `chat.completion.chunk` SSE for callers.

use serde::Serialize;

use super::wire::{self, RenderUsage};
use crate::canonical::{StreamError, StreamEvent};
use crate::stream::StreamEncoder;
use crate::{ids, json};

/// Encodes canonical events as the chunks OpenAI sends:
///
/// 1. per choice, a first chunk with `delta: {"role": "assistant", "content": ""}`;
/// 2. `content`, `reasoning_content` (the DeepSeek-style extension) and `refusal` deltas;
/// 3. tool calls: a delta with `index`, `id`, `type: "function"`, `function.name` and empty
///    `arguments` when a call starts, then `function.arguments` fragments under the same index;
/// 4. a chunk with an empty delta and the `finish_reason`;
/// 5. only when the caller asked for it (`stream_options.include_usage`), the usage chunk with
///    `"choices": []`;
/// 6. `data: [DONE]`.
///
/// An `Error` becomes `data: {"error": {"message", "type", "param", "code"}}` (the official SDKs
/// raise an `APIError` on a chunk with an `error` key) and ends the stream: no `[DONE]`, and
/// every later event is ignored. Thinking signatures have no OpenAI form and are left out.
/// Chunks carry the `model` the caller used and the upstream's id (a derived `chatcmpl-` id if
/// it had none).
#[derive(Debug)]
pub struct ChatStreamEncoder {
    model: String,
    include_usage: bool,
    id: String,
    created: i64,
    started: bool,
    ended: bool,
    /// Choices whose role chunk was sent.
    opened: Vec<u32>,
}

impl ChatStreamEncoder {
    /// An encoder for one caller stream. `model` is the name the caller used; `include_usage`
    /// is the caller's `stream_options.include_usage`.
    pub fn new(model: &str, include_usage: bool) -> Self {
        ChatStreamEncoder {
            model: model.to_owned(),
            include_usage,
            id: String::new(),
            created: 0,
            started: false,
            ended: false,
            opened: Vec::new(),
        }
    }

    fn start(&mut self, id: &str, created: i64) {
        self.started = true;
        self.created = created;
        self.id = if id.is_empty() {
            ids::derive(
                "chatcmpl-",
                &[self.model.as_bytes(), created.to_string().as_bytes()],
            )
        } else {
            id.to_owned()
        };
    }

    fn chunk(
        &self,
        out: &mut Vec<u8>,
        choice: u32,
        delta: Delta<'_>,
        finish: Option<&'static str>,
    ) {
        let chunk = Chunk {
            id: &self.id,
            object: "chat.completion.chunk",
            created: self.created,
            model: &self.model,
            choices: &[ChunkChoice {
                index: choice,
                delta,
                logprobs: None,
                finish_reason: finish,
            }],
            usage: None,
        };
        write_data(out, &chunk);
    }

    /// Sends the role chunk of `choice` if it was not sent yet.
    fn open(&mut self, out: &mut Vec<u8>, choice: u32) {
        if !self.started {
            self.start("", 0);
        }
        if !self.opened.contains(&choice) {
            self.opened.push(choice);
            let delta = Delta {
                role: Some("assistant"),
                content: Some(""),
                ..Delta::default()
            };
            self.chunk(out, choice, delta, None);
        }
    }

    fn error(&mut self, out: &mut Vec<u8>, error: &StreamError) {
        self.ended = true;
        write_data(
            out,
            &ErrorChunk {
                error: ErrorBody {
                    message: &error.message,
                    kind: wire::error_type(error.kind),
                    param: None,
                    code: None,
                },
            },
        );
    }
}

impl StreamEncoder for ChatStreamEncoder {
    fn encode(&mut self, event: &StreamEvent, out: &mut Vec<u8>) {
        if self.ended {
            return;
        }
        match event {
            StreamEvent::Start { id, created, .. } => {
                if !self.started {
                    self.start(id, *created);
                }
                self.open(out, 0);
            }
            StreamEvent::TextDelta { choice, text } => {
                self.open(out, *choice);
                let delta = Delta {
                    content: Some(text),
                    ..Delta::default()
                };
                self.chunk(out, *choice, delta, None);
            }
            StreamEvent::ThinkingDelta { choice, text } => {
                self.open(out, *choice);
                let delta = Delta {
                    reasoning_content: Some(text),
                    ..Delta::default()
                };
                self.chunk(out, *choice, delta, None);
            }
            StreamEvent::RefusalDelta { choice, text } => {
                self.open(out, *choice);
                let delta = Delta {
                    refusal: Some(text),
                    ..Delta::default()
                };
                self.chunk(out, *choice, delta, None);
            }
            StreamEvent::ToolCallStart {
                choice,
                index,
                id,
                name,
            } => {
                self.open(out, *choice);
                let calls = [DeltaToolCall {
                    index: *index,
                    id: Some(id),
                    kind: Some("function"),
                    function: DeltaFunction {
                        name: Some(name),
                        arguments: "",
                    },
                }];
                let delta = Delta {
                    tool_calls: Some(&calls),
                    ..Delta::default()
                };
                self.chunk(out, *choice, delta, None);
            }
            StreamEvent::ToolCallDelta {
                choice,
                index,
                arguments,
            } => {
                self.open(out, *choice);
                let calls = [DeltaToolCall {
                    index: *index,
                    id: None,
                    kind: None,
                    function: DeltaFunction {
                        name: None,
                        arguments,
                    },
                }];
                let delta = Delta {
                    tool_calls: Some(&calls),
                    ..Delta::default()
                };
                self.chunk(out, *choice, delta, None);
            }
            StreamEvent::Finish { choice, reason } => {
                self.open(out, *choice);
                let reason = wire::render_finish_reason(reason);
                self.chunk(out, *choice, Delta::default(), Some(reason));
            }
            StreamEvent::Usage(usage) => {
                if self.include_usage {
                    if !self.started {
                        self.start("", 0);
                    }
                    let chunk = Chunk {
                        id: &self.id,
                        object: "chat.completion.chunk",
                        created: self.created,
                        model: &self.model,
                        choices: &[],
                        usage: Some(RenderUsage::from(usage)),
                    };
                    write_data(out, &chunk);
                }
            }
            StreamEvent::End => {
                self.ended = true;
                out.extend_from_slice(b"data: [DONE]\n\n");
            }
            StreamEvent::Error(error) => self.error(out, error),
            StreamEvent::ThinkingSignature { .. } => {}
        }
    }
}

/// `data: <json>\n\n`. Compact JSON never contains a raw newline, so one `data:` line suffices.
fn write_data<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    out.extend_from_slice(b"data: ");
    json::write(out, value);
    out.extend_from_slice(b"\n\n");
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    choices: &'a [ChunkChoice<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<RenderUsage>,
}

#[derive(Serialize)]
struct ChunkChoice<'a> {
    index: u32,
    delta: Delta<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize, Default)]
struct Delta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<&'a [DeltaToolCall<'a>]>,
}

#[derive(Serialize)]
struct DeltaToolCall<'a> {
    index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    function: DeltaFunction<'a>,
}

#[derive(Serialize)]
struct DeltaFunction<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    arguments: &'a str,
}

#[derive(Serialize)]
pub(crate) struct ErrorChunk<'a> {
    pub(crate) error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub(crate) struct ErrorBody<'a> {
    pub(crate) message: &'a str,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) param: Option<&'a str>,
    pub(crate) code: Option<&'a str>,
}
