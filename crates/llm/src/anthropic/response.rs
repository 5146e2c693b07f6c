//! Anthropic Messages responses: parsed from upstreams, rendered for callers.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{self, RenderUsage, WireUsage};
use crate::canonical::{ChatResponse, Choice, FinishReason, Part, ToolCall, Usage};
use crate::error::UpstreamError;
use crate::{ids, json};

/// Parses an Anthropic `message` body.
///
/// Text, thinking (with signature), redacted thinking and tool-use blocks become parts, in order
/// (tool input serialised compactly as the arguments text); server-tool blocks and citations have
/// no canonical form and are left out. `stop_reason` maps to the finish reason
/// (`model_context_window_exceeded` counts as `Length`, `refusal` as `ContentFilter`,
/// `pause_turn` stays `Other`). Usage is converted to the canonical convention (cache reads and
/// writes added to the input count). Anthropic sends no creation time: `created` is 0 and the
/// gateway fills it in.
///
/// Fails with [`UpstreamError::malformed`] when the body is not a message (no `content`); an
/// error object sent with a success status is returned as that error.
pub fn parse_messages_response(body: &[u8]) -> Result<ChatResponse, UpstreamError> {
    let wire: WireMessage = match serde_json::from_slice(body) {
        Ok(wire) => wire,
        Err(e) => {
            if let Ok(ErrorOnly { error: Some(_) }) = serde_json::from_slice(body) {
                return Err(super::parse_error(200, body));
            }
            return Err(UpstreamError::malformed(format!(
                "the Anthropic response is not a message: {e}"
            )));
        }
    };
    let mut content = Vec::with_capacity(wire.content.len());
    for block in wire.content {
        match block {
            WireBlock::Text { text } => content.push(Part::Text {
                text,
                cache_control: None,
            }),
            WireBlock::Thinking {
                thinking,
                signature,
            } => content.push(Part::Thinking {
                text: thinking,
                signature: signature.filter(|s| !s.is_empty()),
            }),
            WireBlock::RedactedThinking { data } => content.push(Part::RedactedThinking { data }),
            WireBlock::ToolUse { id, name, input } => content.push(Part::ToolCall(ToolCall {
                id,
                name,
                arguments: json::compact(&input),
            })),
            WireBlock::Other => {}
        }
    }
    Ok(ChatResponse {
        id: wire.id.unwrap_or_default(),
        model: wire.model.unwrap_or_default(),
        created: 0,
        choices: vec![Choice {
            index: 0,
            content,
            refusal: None,
            finish_reason: wire
                .stop_reason
                .as_deref()
                .map(|r| wire::finish_reason(r, wire.stop_sequence.clone())),
        }],
        usage: wire.usage.as_ref().map(WireUsage::to_usage),
    })
}

/// Renders a canonical response as the `message` object the official Anthropic SDKs parse:
/// `id` (`msg_…`: the upstream id if it already has that prefix, else `msg_` + the id, or an id
/// derived from the content when there is none), `type`, `role`, `model` (the name the caller
/// used), `content` blocks, `stop_reason`, `stop_sequence`, `usage` (Anthropic convention:
/// `input_tokens` without cache reads and writes).
///
/// Only the first choice is rendered (Anthropic has no `n`). An OpenAI `refusal` becomes a text
/// block and stop reason `refusal`; empty text parts are left out. Tool ids are kept as they are (the caller sends them back and the upstream must
/// recognise them); tool arguments that are not a JSON object are rendered as `input` holding
/// the arguments text, so nothing is lost.
pub fn render_messages_response(resp: &ChatResponse, model: &str) -> Vec<u8> {
    let choice = resp.choices.first();
    let id = message_id(resp);
    let mut content = Vec::new();
    if let Some(choice) = choice {
        for (k, part) in choice.content.iter().enumerate() {
            match part {
                // Anthropic never sends empty text blocks (and rejects them when sent back).
                Part::Text { text, .. } if text.is_empty() => {}
                Part::Text { text, .. } => content.push(RenderBlock::Text { text }),
                Part::Thinking { text, signature } => content.push(RenderBlock::Thinking {
                    thinking: text,
                    signature: signature.as_deref().unwrap_or_default(),
                }),
                Part::RedactedThinking { data } => {
                    content.push(RenderBlock::RedactedThinking { data });
                }
                Part::ToolCall(call) => content.push(RenderBlock::ToolUse {
                    id: if call.id.is_empty() {
                        Cow::Owned(ids::derive(
                            "toolu_",
                            &[id.as_bytes(), k.to_string().as_bytes()],
                        ))
                    } else {
                        Cow::Borrowed(&call.id)
                    },
                    name: &call.name,
                    input: tool_input(&call.arguments),
                }),
                _ => {}
            }
        }
        if let Some(refusal) = &choice.refusal {
            content.push(RenderBlock::Text { text: refusal });
        }
    }
    let refused = choice.is_some_and(|c| c.refusal.is_some());
    let (stop_reason, stop_sequence) = match choice.and_then(|c| c.finish_reason.as_ref()) {
        // OpenAI reports a refusal with `stop`; Anthropic has a reason for it.
        Some(FinishReason::EndTurn) if refused => (Some("refusal"), None),
        Some(reason) => {
            let (reason, sequence) = wire::render_stop_reason(reason);
            (Some(reason), sequence)
        }
        None => (None, None),
    };
    let usage = resp.usage.unwrap_or_default();
    json::to_vec(&RenderMessage {
        id: &id,
        kind: "message",
        role: "assistant",
        model,
        content,
        stop_reason,
        stop_sequence,
        usage: RenderUsage::from(&usage),
    })
}

/// The `msg_` id for a response (see [`render_messages_response`]).
pub(crate) fn message_id(resp: &ChatResponse) -> String {
    if resp.id.starts_with("msg_") {
        resp.id.clone()
    } else if resp.id.is_empty() {
        ids::derive_response_id("msg_", resp)
    } else {
        format!("msg_{}", ids::sanitize(&resp.id))
    }
}

/// Tool arguments as an Anthropic `input`: the parsed object, `{}` for empty arguments, or the
/// raw text when it is not a JSON object.
pub(crate) fn tool_input(arguments: &str) -> Value {
    let trimmed = arguments.trim();
    if trimmed.is_empty() {
        return Value::Object(Map::new());
    }
    match serde_json::from_str::<Value>(trimmed) {
        Ok(value @ Value::Object(_)) => value,
        _ => Value::String(arguments.to_owned()),
    }
}

/// The usage of an Anthropic message body, reading nothing else (the fast path), in the
/// canonical convention. `None` when the body has no usage or is not JSON.
pub fn extract_usage(body: &[u8]) -> Option<Usage> {
    #[derive(Deserialize)]
    struct UsageOnly {
        #[serde(default)]
        usage: Option<WireUsage>,
    }
    serde_json::from_slice::<UsageOnly>(body)
        .ok()?
        .usage
        .map(|u| u.to_usage())
}

#[derive(Deserialize)]
struct ErrorOnly {
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    content: Vec<WireBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    stop_sequence: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
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

#[derive(Serialize)]
struct RenderMessage<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: Vec<RenderBlock<'a>>,
    stop_reason: Option<&'static str>,
    stop_sequence: Option<&'a str>,
    usage: RenderUsage,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum RenderBlock<'a> {
    Text {
        text: &'a str,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    RedactedThinking {
        data: &'a str,
    },
    ToolUse {
        id: Cow<'a, str>,
        name: &'a str,
        input: Value,
    },
}
