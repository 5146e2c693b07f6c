//! OpenAI chat completion responses: parsed from upstreams, rendered for callers.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{self, RenderUsage, WireUsage};
use crate::canonical::{ChatResponse, Choice, Part, ToolCall};
use crate::error::UpstreamError;
use crate::{ids, json};

/// Parses an OpenAI (or compatible) `chat.completion` body.
///
/// `message.content` (a string, or an array of text parts from some servers) becomes one text
/// part; `reasoning_content` or `reasoning` (DeepSeek, vLLM, OpenRouter) a leading thinking part;
/// `tool_calls` (and legacy `function_call`) tool-call parts. Missing ids are derived from the
/// response id. Logprobs are not carried by the canonical model.
///
/// Fails with [`UpstreamError::malformed`] when the body is not JSON or has no `choices`; a
/// body that is an error object is returned as that error (status 200).
pub fn parse_chat_response(body: &[u8]) -> Result<ChatResponse, UpstreamError> {
    let wire: WireResponse = match serde_json::from_slice(body) {
        Ok(wire) => wire,
        Err(e) => {
            if let Ok(ErrorOnly { error: Some(_) }) = serde_json::from_slice(body) {
                return Err(super::parse_error(200, body));
            }
            return Err(UpstreamError::malformed(format!(
                "the OpenAI-compatible response is not a chat completion: {e}"
            )));
        }
    };
    let id = wire.id.unwrap_or_default();
    let mut choices = Vec::with_capacity(wire.choices.len());
    for (position, choice) in wire.choices.into_iter().enumerate() {
        let index = choice
            .index
            .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
        let message = choice.message.unwrap_or_default();
        let mut content = Vec::new();
        if let Some(text) = message
            .reasoning_content
            .or(message.reasoning)
            .filter(|t| !t.is_empty())
        {
            content.push(Part::Thinking {
                text,
                signature: None,
            });
        }
        if let Some(text) = message.content.and_then(MessageContent::into_text) {
            content.push(Part::Text {
                text,
                cache_control: None,
            });
        }
        let calls = message.tool_calls.unwrap_or_default();
        for (k, call) in calls.into_iter().enumerate() {
            let id = match call.id {
                Some(id) if !id.is_empty() => id,
                _ => derived_call_id(&id, index, k),
            };
            content.push(Part::ToolCall(ToolCall {
                id,
                name: call.function.name.unwrap_or_default(),
                arguments: call.function.arguments.into_string(),
            }));
        }
        if let Some(function) = message.function_call {
            content.push(Part::ToolCall(ToolCall {
                id: derived_call_id(&id, index, 0),
                name: function.name.unwrap_or_default(),
                arguments: function.arguments.into_string(),
            }));
        }
        choices.push(Choice {
            index,
            content,
            refusal: message.refusal,
            finish_reason: choice.finish_reason.as_deref().map(wire::finish_reason),
        });
    }
    Ok(ChatResponse {
        id,
        model: wire.model.unwrap_or_default(),
        created: wire.created.as_ref().and_then(timestamp).unwrap_or(0),
        choices,
        usage: wire.usage.map(Into::into),
    })
}

fn derived_call_id(response_id: &str, choice: u32, call: usize) -> String {
    ids::derive(
        "call_",
        &[
            response_id.as_bytes(),
            choice.to_string().as_bytes(),
            call.to_string().as_bytes(),
        ],
    )
}

/// Unix seconds; some servers send a float.
fn timestamp(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value.as_f64().filter(|f| f.is_finite()).map(|f| {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a timestamp: saturating truncation to whole seconds is the intent"
            )]
            let secs = f as i64;
            secs
        })
    })
}

/// Renders a canonical response as the `chat.completion` object the official OpenAI SDKs parse.
///
/// `model` is the name the caller used. Text parts are concatenated into `message.content`
/// (`null` when there is none), thinking parts into the non-standard `reasoning_content` that
/// DeepSeek-style clients read (signatures and redacted thinking cannot be expressed and are
/// left out), tool calls into `tool_calls`. A response without an id gets a `chatcmpl-` id
/// derived from its content; tool calls without ids get `call_` ids derived from the response
/// id. `created` is rendered as given (the gateway fills it when the upstream has none).
pub fn render_chat_response(resp: &ChatResponse, model: &str) -> Vec<u8> {
    let id = response_id(resp);
    let choices = resp
        .choices
        .iter()
        .map(|choice| render_choice(choice, &id))
        .collect();
    json::to_vec(&RenderResponse {
        id: &id,
        object: "chat.completion",
        created: resp.created,
        model,
        choices,
        usage: resp.usage.as_ref().map(RenderUsage::from),
    })
}

/// The response id, or a `chatcmpl-` id derived from the response's content when it has none.
fn response_id(resp: &ChatResponse) -> Cow<'_, str> {
    if resp.id.is_empty() {
        Cow::Owned(ids::derive_response_id("chatcmpl-", resp))
    } else {
        Cow::Borrowed(&resp.id)
    }
}

fn render_choice<'a>(choice: &'a Choice, response_id: &str) -> RenderChoice<'a> {
    let mut text: Option<Cow<'a, str>> = None;
    let mut reasoning: Option<Cow<'a, str>> = None;
    let mut tool_calls = Vec::new();
    for part in &choice.content {
        match part {
            Part::Text { text: t, .. } => append(&mut text, t),
            Part::Thinking { text: t, .. } => append(&mut reasoning, t),
            Part::ToolCall(call) => {
                let id = if call.id.is_empty() {
                    Cow::Owned(derived_call_id(response_id, choice.index, tool_calls.len()))
                } else {
                    Cow::Borrowed(call.id.as_str())
                };
                tool_calls.push(RenderToolCall {
                    id,
                    kind: "function",
                    function: RenderFunction {
                        name: &call.name,
                        arguments: &call.arguments,
                    },
                });
            }
            _ => {}
        }
    }
    RenderChoice {
        index: choice.index,
        message: RenderMessage {
            role: "assistant",
            content: text,
            refusal: choice.refusal.as_deref(),
            tool_calls,
            reasoning_content: reasoning,
        },
        logprobs: None,
        finish_reason: choice
            .finish_reason
            .as_ref()
            .map(wire::render_finish_reason),
    }
}

fn append<'a>(acc: &mut Option<Cow<'a, str>>, text: &'a str) {
    *acc = Some(match acc.take() {
        None => Cow::Borrowed(text),
        Some(prev) => Cow::Owned(prev.into_owned() + text),
    });
}

/// The usage of an OpenAI chat completion body, reading nothing else (the fast path).
/// `None` when the body has no usage or is not JSON.
pub fn extract_usage(body: &[u8]) -> Option<crate::canonical::Usage> {
    #[derive(Deserialize)]
    struct UsageOnly {
        #[serde(default)]
        usage: Option<WireUsage>,
    }
    serde_json::from_slice::<UsageOnly>(body)
        .ok()?
        .usage
        .map(Into::into)
}

#[derive(Deserialize)]
struct ErrorOnly {
    #[serde(default)]
    error: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    created: Option<Value>,
    #[serde(default)]
    model: Option<String>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    message: Option<WireMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireMessage {
    #[serde(default)]
    content: Option<MessageContent>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    function_call: Option<WireFunction>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default, deserialize_with = "crate::json::lenient_string")]
    reasoning: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MessageContent {
    Text(String),
    Parts(Vec<TextPart>),
}

#[derive(Deserialize)]
struct TextPart {
    #[serde(default)]
    text: Option<String>,
}

impl MessageContent {
    fn into_text(self) -> Option<String> {
        match self {
            MessageContent::Text(text) => Some(text),
            MessageContent::Parts(parts) => {
                let text: String = parts.into_iter().filter_map(|p| p.text).collect();
                (!text.is_empty()).then_some(text)
            }
        }
    }
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    function: WireFunction,
}

#[derive(Deserialize)]
pub(crate) struct WireFunction {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) arguments: Arguments,
}

/// Tool arguments: a JSON text (OpenAI), or an object (some compatible servers).
#[derive(Deserialize, Default)]
#[serde(untagged)]
pub(crate) enum Arguments {
    #[default]
    Missing,
    Text(String),
    Json(Value),
}

impl Arguments {
    pub(crate) fn into_string(self) -> String {
        match self {
            Arguments::Missing => String::new(),
            Arguments::Text(text) => text,
            Arguments::Json(Value::Null) => String::new(),
            Arguments::Json(value) => json::compact(&value),
        }
    }
}

#[derive(Serialize)]
struct RenderResponse<'a> {
    id: &'a str,
    object: &'static str,
    created: i64,
    model: &'a str,
    choices: Vec<RenderChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<RenderUsage>,
}

#[derive(Serialize)]
struct RenderChoice<'a> {
    index: u32,
    message: RenderMessage<'a>,
    logprobs: Option<()>,
    finish_reason: Option<&'static str>,
}

#[derive(Serialize)]
struct RenderMessage<'a> {
    role: &'static str,
    content: Option<Cow<'a, str>>,
    refusal: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<RenderToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
pub(crate) struct RenderToolCall<'a> {
    id: Cow<'a, str>,
    #[serde(rename = "type")]
    kind: &'static str,
    function: RenderFunction<'a>,
}

#[derive(Serialize)]
struct RenderFunction<'a> {
    name: &'a str,
    arguments: &'a str,
}
