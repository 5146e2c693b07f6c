//! Decoding upstream OpenAI `chat.completion.chunk` streams into canonical events.

use serde::Deserialize;
use serde_json::Value;

use super::response::Arguments;
use super::wire::{self, WireUsage};
use crate::canonical::{ErrorKind, StreamError, StreamEvent, Usage};
use crate::ids;
use crate::sse::SseEvent;
use crate::stream::StreamDecoder;

/// Decodes an OpenAI (or compatible) chat stream: `data: {chat.completion.chunk}` events, then
/// `data: [DONE]`.
///
/// * `Start` comes from the first chunk (its `id`, `model`, `created`).
/// * Content, `reasoning_content`/`reasoning` and `refusal` deltas become text, thinking and
///   refusal deltas; tool-call deltas are tracked by their `index` (a delta with a new `id` on an
///   index already in use starts a new call, which some servers need), the first delta of a call
///   yields `ToolCallStart` (with a derived id if the server sent none), argument fragments
///   `ToolCallDelta`.
/// * A `finish_reason` yields `Finish` once per choice. Usage (the final chunk with empty
///   `choices`, or usage on any chunk for servers that send it early) is kept, and emitted once,
///   just before `End`.
/// * `data: {"error": {...}}` (or an `event: error`) yields `Error` and ends the stream; so does a
///   chunk that is not JSON.
/// * At end of body without `[DONE]`: if a `finish_reason` was seen the stream is taken as
///   complete (usage if any, then `End`): the answer is whole, only the terminator (and perhaps
///   the usage chunk) is missing, and failing a complete answer would hurt the caller more than
///   help. Without a `finish_reason` it is an `Error` ("stream cut").
#[derive(Debug, Default)]
pub struct ChatStreamDecoder {
    started: bool,
    ended: bool,
    id: String,
    usage: Option<Usage>,
    /// Choices that produced `Finish`.
    finished: Vec<u32>,
    tools: Vec<ToolSlot>,
}

/// One tool call seen in the stream.
#[derive(Debug)]
struct ToolSlot {
    choice: u32,
    wire_index: u32,
    id: String,
    index: u32,
}

impl ChatStreamDecoder {
    /// A decoder for one upstream stream.
    pub fn new() -> Self {
        Self::default()
    }

    fn fail(&mut self, kind: ErrorKind, message: String, out: &mut Vec<StreamEvent>) {
        self.ended = true;
        out.push(StreamEvent::Error(StreamError { kind, message }));
    }

    fn start(&mut self, id: String, model: String, created: i64, out: &mut Vec<StreamEvent>) {
        if !self.started {
            self.started = true;
            self.id = id.clone();
            out.push(StreamEvent::Start { id, model, created });
        }
    }

    fn end(&mut self, out: &mut Vec<StreamEvent>) {
        self.start(String::new(), String::new(), 0, out);
        if let Some(usage) = self.usage.take() {
            out.push(StreamEvent::Usage(usage));
        }
        self.ended = true;
        out.push(StreamEvent::End);
    }

    fn on_chunk(&mut self, chunk: WireChunk, out: &mut Vec<StreamEvent>) {
        self.start(
            chunk.id.unwrap_or_default(),
            chunk.model.unwrap_or_default(),
            chunk.created.as_ref().and_then(Value::as_i64).unwrap_or(0),
            out,
        );
        for (position, choice) in chunk.choices.unwrap_or_default().into_iter().enumerate() {
            let c = choice
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            if let Some(delta) = choice.delta {
                self.on_delta(c, delta, out);
            }
            if let Some(reason) = choice.finish_reason
                && !self.finished.contains(&c)
            {
                self.finished.push(c);
                out.push(StreamEvent::Finish {
                    choice: c,
                    reason: wire::finish_reason(&reason),
                });
            }
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.into());
        }
    }

    fn on_delta(&mut self, choice: u32, delta: Delta, out: &mut Vec<StreamEvent>) {
        if let Some(text) = delta
            .reasoning_content
            .or(delta.reasoning)
            .filter(|t| !t.is_empty())
        {
            out.push(StreamEvent::ThinkingDelta { choice, text });
        }
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::TextDelta { choice, text });
        }
        if let Some(text) = delta.refusal.filter(|t| !t.is_empty()) {
            out.push(StreamEvent::RefusalDelta { choice, text });
        }
        for (position, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate() {
            let wire_index = call
                .index
                .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
            let function = call.function.unwrap_or_default();
            self.on_tool_delta(choice, wire_index, call.id, function, out);
        }
        if let Some(function) = delta.function_call {
            self.on_tool_delta(choice, 0, None, function, out);
        }
    }

    fn on_tool_delta(
        &mut self,
        choice: u32,
        wire_index: u32,
        id: Option<String>,
        function: DeltaFunction,
        out: &mut Vec<StreamEvent>,
    ) {
        let id = id.filter(|id| !id.is_empty());
        let existing = self
            .tools
            .iter()
            .rev()
            .find(|t| t.choice == choice && t.wire_index == wire_index)
            .filter(|t| id.as_ref().is_none_or(|id| *id == t.id))
            .map(|t| t.index);
        let index = match existing {
            Some(index) => index,
            None => {
                let index = self.tools.iter().filter(|t| t.choice == choice).count();
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                let id = id.unwrap_or_else(|| {
                    ids::derive(
                        "call_",
                        &[
                            self.id.as_bytes(),
                            choice.to_string().as_bytes(),
                            index.to_string().as_bytes(),
                        ],
                    )
                });
                out.push(StreamEvent::ToolCallStart {
                    choice,
                    index,
                    id: id.clone(),
                    name: function.name.clone().unwrap_or_default(),
                });
                self.tools.push(ToolSlot {
                    choice,
                    wire_index,
                    id,
                    index,
                });
                index
            }
        };
        let arguments = function.arguments.into_string();
        if !arguments.is_empty() {
            out.push(StreamEvent::ToolCallDelta {
                choice,
                index,
                arguments,
            });
        }
    }
}

impl StreamDecoder for ChatStreamDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        let data = event.data.trim();
        if data == "[DONE]" {
            self.end(out);
            return;
        }
        if data.is_empty() {
            return;
        }
        let chunk: WireChunk = match serde_json::from_str(data) {
            Ok(chunk) => chunk,
            Err(e) => {
                // A chunk whose JSON stops short is what a body cut mid-event looks like once
                // the SSE decoder flushes its last line.
                let message = if e.is_eof() {
                    String::from("stream cut: the upstream stream ended inside a chunk")
                } else {
                    format!("the upstream sent a stream chunk that is not valid: {e}")
                };
                self.fail(ErrorKind::Upstream, message, out);
                return;
            }
        };
        if let Some(error) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            let error = stream_error(error);
            self.ended = true;
            out.push(StreamEvent::Error(error));
            return;
        }
        if event.event.as_deref() == Some("error") {
            self.fail(
                ErrorKind::Upstream,
                format!("the upstream reported a stream error: {data}"),
                out,
            );
            return;
        }
        self.on_chunk(chunk, out);
    }

    fn on_eof(&mut self, out: &mut Vec<StreamEvent>) {
        if self.ended {
            return;
        }
        if self.finished.is_empty() {
            self.fail(
                ErrorKind::Upstream,
                String::from(
                    "stream cut: the upstream stream ended without a finish_reason or [DONE]",
                ),
                out,
            );
        } else {
            self.end(out);
        }
    }
}

/// An in-stream `error` value: an OpenAI error object, or a bare message.
pub(crate) fn stream_error(error: &Value) -> StreamError {
    let message = match error {
        Value::String(s) => Some(s.clone()),
        other => other
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
    .filter(|m| !m.is_empty())
    .unwrap_or_else(|| String::from("the upstream reported an error during streaming"));
    let kind = ["code", "type"]
        .iter()
        .filter_map(|k| error.get(*k).and_then(Value::as_str))
        .find_map(wire::kind_from_code)
        .unwrap_or(ErrorKind::Upstream);
    StreamError { kind, message }
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    created: Option<Value>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Option<Vec<ChunkChoice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default, deserialize_with = "crate::json::lenient_string")]
    reasoning: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<DeltaToolCall>>,
    #[serde(default)]
    function_call: Option<DeltaFunction>,
}

#[derive(Deserialize)]
struct DeltaToolCall {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<DeltaFunction>,
}

#[derive(Deserialize, Default)]
struct DeltaFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Arguments,
}
