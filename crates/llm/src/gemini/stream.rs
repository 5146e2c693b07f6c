//! `streamGenerateContent?alt=sse` chunks into canonical stream events.

use std::collections::BTreeMap;

use crate::canonical::{ErrorKind, FinishReason, StreamError, StreamEvent, Usage};
use crate::error::UpstreamError;
use crate::sse::SseEvent;
use crate::stream::StreamDecoder;

use super::error::from_api_error;
use super::wire::{self, GenerateResponse};

/// Decodes a Gemini `streamGenerateContent?alt=sse` stream.
///
/// Each SSE `data:` holds one `GenerateContentResponse` chunk (the event name is unused). Text
/// arrives as deltas, thought summaries as `ThinkingDelta`s; function calls arrive whole, each
/// as a `ToolCallStart` plus one `ToolCallDelta` with the complete arguments; a candidate's
/// `finishReason` yields its `Finish`. Every chunk repeats `usageMetadata`: the last one is
/// emitted as `Usage` just before `End`.
///
/// Gemini sends no end-of-stream marker: the stream is complete when every candidate that
/// appeared has finished and the body ends ([`StreamDecoder::on_eof`]). A body that ends before
/// that yields an `Error` ("stream cut"), as does a last chunk whose JSON stops short. A chunk
/// carrying an error object, or one that is not JSON, yields an `Error`; nothing is produced
/// after it.
///
/// `Start` is produced with the first chunk. If the very first chunk is already an error (or the
/// body is empty), the decoder produces the `Error` alone, without `Start`, so that the gateway
/// can still answer with an error status or fall back to another target.
#[derive(Debug)]
pub struct GenerateStreamDecoder {
    model: String,
    /// The response id once `Start` was produced.
    id: Option<String>,
    /// Per candidate index: tool calls so far and whether it finished.
    choices: BTreeMap<u32, ChoiceState>,
    /// Tool calls without a Gemini id so far, over all candidates (numbers synthesised ids).
    calls: u32,
    usage: Option<Usage>,
    done: bool,
}

#[derive(Debug, Default)]
struct ChoiceState {
    tool_calls: u32,
    finished: bool,
}

impl GenerateStreamDecoder {
    /// A decoder for one stream. `model` is the upstream model the request was sent to, reported
    /// in `Start` unless the chunks name a `modelVersion`.
    pub fn new(model: &str) -> Self {
        GenerateStreamDecoder {
            model: model.to_owned(),
            id: None,
            choices: BTreeMap::new(),
            calls: 0,
            usage: None,
            done: false,
        }
    }

    fn fail(&mut self, error: StreamError, out: &mut Vec<StreamEvent>) {
        self.done = true;
        out.push(StreamEvent::Error(error));
    }

    fn on_chunk(&mut self, data: &str, chunk: GenerateResponse, out: &mut Vec<StreamEvent>) {
        if let Some(error) = chunk.error {
            let error = from_api_error(200, error);
            return self.fail(stream_error(error), out);
        }
        let id = match &self.id {
            Some(id) => id.clone(),
            None => {
                let id = wire::response_id(chunk.response_id.as_deref(), data.as_bytes());
                out.push(StreamEvent::Start {
                    id: id.clone(),
                    model: chunk
                        .model_version
                        .clone()
                        .unwrap_or_else(|| self.model.clone()),
                    created: chunk
                        .create_time
                        .as_deref()
                        .and_then(wire::unix_seconds)
                        .unwrap_or(0),
                });
                self.id = Some(id.clone());
                id
            }
        };
        for candidate in &chunk.candidates {
            let choice = candidate.index.unwrap_or(0);
            let state = self.choices.entry(choice).or_default();
            let parts = candidate.content.iter().flat_map(|c| c.parts.iter());
            for part in parts {
                if let Some(call) = &part.function_call {
                    let index = state.tool_calls;
                    state.tool_calls += 1;
                    out.push(StreamEvent::ToolCallStart {
                        choice,
                        index,
                        id: wire::tool_call_id(call.id.as_deref(), &id, self.calls),
                        name: call.name.clone(),
                    });
                    out.push(StreamEvent::ToolCallDelta {
                        choice,
                        index,
                        arguments: wire::arguments_text(call.args.as_deref()),
                    });
                    self.calls += 1;
                } else if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                    let text = text.to_owned();
                    out.push(if part.thought {
                        StreamEvent::ThinkingDelta { choice, text }
                    } else {
                        StreamEvent::TextDelta { choice, text }
                    });
                }
            }
            if let Some(reason) = &candidate.finish_reason
                && !state.finished
            {
                state.finished = true;
                let reason = wire::finish_reason(reason, state.tool_calls > 0);
                out.push(StreamEvent::Finish { choice, reason });
            }
        }
        // A prompt blocked before generation: one chunk, no candidates, a block reason.
        let blocked = chunk
            .prompt_feedback
            .as_ref()
            .is_some_and(|f| f.block_reason.is_some());
        if blocked && chunk.candidates.is_empty() {
            let state = self.choices.entry(0).or_default();
            if !state.finished {
                state.finished = true;
                out.push(StreamEvent::Finish {
                    choice: 0,
                    reason: FinishReason::ContentFilter,
                });
            }
        }
        if let Some(usage) = &chunk.usage_metadata {
            self.usage = Some(usage.to_usage());
        }
    }
}

impl StreamDecoder for GenerateStreamDecoder {
    fn on_event(&mut self, event: &SseEvent, out: &mut Vec<StreamEvent>) {
        if self.done {
            return;
        }
        let data = event.data.trim();
        if data.is_empty() {
            return;
        }
        // Without `alt=sse` Gemini streams a JSON array; accept a batch of chunks in one event.
        let chunks = if data.starts_with('[') {
            serde_json::from_str::<Vec<GenerateResponse>>(data)
        } else {
            serde_json::from_str::<GenerateResponse>(data).map(|chunk| vec![chunk])
        };
        match chunks {
            Ok(chunks) => {
                for chunk in chunks {
                    self.on_chunk(data, chunk, out);
                    if self.done {
                        return;
                    }
                }
            }
            Err(e) => {
                // JSON that stops short is what a body cut inside an event looks like once the
                // SSE decoder flushes its last line.
                let message = if e.is_eof() {
                    "stream cut: Gemini closed the stream inside a chunk".to_owned()
                } else {
                    format!("Gemini sent a stream chunk that is not valid: {e}")
                };
                self.fail(
                    StreamError {
                        kind: ErrorKind::Upstream,
                        message,
                    },
                    out,
                );
            }
        }
    }

    fn on_eof(&mut self, out: &mut Vec<StreamEvent>) {
        if self.done {
            return;
        }
        let complete =
            !self.choices.is_empty() && self.choices.values().all(|choice| choice.finished);
        if !complete {
            let message = if self.id.is_none() {
                "stream cut: Gemini closed the stream before sending anything"
            } else {
                "stream cut: Gemini closed the stream before the answer finished"
            };
            return self.fail(
                StreamError {
                    kind: ErrorKind::Upstream,
                    message: message.to_owned(),
                },
                out,
            );
        }
        self.done = true;
        if let Some(usage) = self.usage.take() {
            out.push(StreamEvent::Usage(usage));
        }
        out.push(StreamEvent::End);
    }
}

fn stream_error(error: UpstreamError) -> StreamError {
    StreamError {
        kind: error.kind,
        message: error.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str], eof: bool) -> Vec<StreamEvent> {
        let mut decoder = GenerateStreamDecoder::new("gemini-2.5-flash");
        let mut out = Vec::new();
        for data in chunks {
            let event = SseEvent {
                event: None,
                data: (*data).to_owned(),
            };
            decoder.on_event(&event, &mut out);
        }
        if eof {
            decoder.on_eof(&mut out);
        }
        out
    }

    #[test]
    fn text_stream_ends_with_finish_usage_end() {
        let events = run(
            &[
                r#"{"candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}}], "usageMetadata": {"promptTokenCount": 3}, "responseId": "r1"}"#,
                r#"{"candidates": [{"content": {"parts": [{"text": "lo"}], "role": "model"}, "finishReason": "STOP"}], "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 2}, "responseId": "r1"}"#,
            ],
            true,
        );
        assert_eq!(
            events,
            vec![
                StreamEvent::Start {
                    id: "r1".into(),
                    model: "gemini-2.5-flash".into(),
                    created: 0
                },
                StreamEvent::TextDelta {
                    choice: 0,
                    text: "Hel".into()
                },
                StreamEvent::TextDelta {
                    choice: 0,
                    text: "lo".into()
                },
                StreamEvent::Finish {
                    choice: 0,
                    reason: FinishReason::EndTurn
                },
                StreamEvent::Usage(Usage {
                    input_tokens: 3,
                    output_tokens: 2,
                    ..Usage::default()
                }),
                StreamEvent::End,
            ]
        );
    }

    #[test]
    fn function_calls_arrive_whole_and_finish_as_tool_calls() {
        let events = run(
            &[
                r#"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "a", "args": {"x": 1}}}, {"functionCall": {"name": "b"}}]}, "finishReason": "STOP"}], "responseId": "r"}"#,
            ],
            true,
        );
        assert_eq!(
            events[1..5],
            [
                StreamEvent::ToolCallStart {
                    choice: 0,
                    index: 0,
                    id: "call_r_0".into(),
                    name: "a".into()
                },
                StreamEvent::ToolCallDelta {
                    choice: 0,
                    index: 0,
                    arguments: r#"{"x":1}"#.into()
                },
                StreamEvent::ToolCallStart {
                    choice: 0,
                    index: 1,
                    id: "call_r_1".into(),
                    name: "b".into()
                },
                StreamEvent::ToolCallDelta {
                    choice: 0,
                    index: 1,
                    arguments: "{}".into()
                },
            ]
        );
        assert_eq!(
            events[5],
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::ToolCalls
            }
        );
        assert_eq!(events.last(), Some(&StreamEvent::End));
    }

    #[test]
    fn body_ending_before_finish_is_cut() {
        let events = run(
            &[r#"{"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}"#],
            true,
        );
        assert!(
            matches!(events.last(), Some(StreamEvent::Error(e)) if e.message.starts_with("stream cut"))
        );
        let events = run(&[], true);
        assert!(matches!(&events[..], [StreamEvent::Error(e)] if e.kind == ErrorKind::Upstream));
    }

    #[test]
    fn error_chunk_ends_the_stream() {
        let events = run(
            &[
                r#"{"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}"#,
                r#"{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}"#,
                r#"{"candidates": [{"content": {"parts": [{"text": "ignored"}]}, "finishReason": "STOP"}]}"#,
            ],
            true,
        );
        assert_eq!(events.len(), 3);
        assert_eq!(
            events[2],
            StreamEvent::Error(StreamError {
                kind: ErrorKind::Overloaded,
                message: "The model is overloaded.".into()
            })
        );
    }

    #[test]
    fn first_chunk_error_comes_without_start() {
        let events = run(
            &[r#"[{"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED"}}]"#],
            true,
        );
        assert!(matches!(&events[..], [StreamEvent::Error(e)] if e.kind == ErrorKind::RateLimited));
        let events = run(&["not json"], true);
        assert!(matches!(&events[..], [StreamEvent::Error(e)] if e.kind == ErrorKind::Upstream));
    }

    #[test]
    fn every_candidate_must_finish() {
        let chunks = [
            r#"{"candidates": [{"content": {"parts": [{"text": "a"}]}, "finishReason": "STOP"}, {"index": 1, "content": {"parts": [{"text": "b"}]}}]}"#,
        ];
        assert!(matches!(
            run(&chunks, true).last(),
            Some(StreamEvent::Error(_))
        ));
        let more = [
            chunks[0],
            r#"{"candidates": [{"index": 1, "content": {"parts": [{"text": "c"}]}, "finishReason": "MAX_TOKENS"}]}"#,
        ];
        let events = run(&more, true);
        assert_eq!(events.last(), Some(&StreamEvent::End));
        assert!(events.contains(&StreamEvent::Finish {
            choice: 1,
            reason: FinishReason::Length
        }));
    }
}
