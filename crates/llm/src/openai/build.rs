//! Building OpenAI Chat Completions request bodies from the canonical model.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::Value;

use crate::canonical::{
    ChatRequest, MediaSource, Message, Part, ResponseFormat, Role, Tool, ToolChoice, ToolResult,
    WireApi,
};
use crate::error::ConvertError;
use crate::extra::{self, Extras};
use crate::{Converted, json, paths};

/// How a target spells the output-token limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MaxTokensField {
    /// `max_completion_tokens`: official OpenAI and Azure OpenAI (required by their reasoning
    /// models, accepted by all current ones).
    MaxCompletionTokens,
    /// `max_tokens`: OpenAI-compatible servers (vLLM, Ollama, Groq, ...), which mostly do not
    /// know the newer name.
    #[default]
    MaxTokens,
}

/// Options of [`build_chat_request`] that depend on the target server, not on the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenAiBuildOptions {
    /// Which name the output-token limit is sent under.
    pub max_tokens_field: MaxTokensField,
}

/// Builds the body of an OpenAI Chat Completions request (`POST /chat/completions`) for
/// `upstream_model` from a canonical request.
///
/// * Streams always ask for `stream_options.include_usage` (the gateway needs usage; the
///   stream encoder hides the usage chunk from a caller who did not ask for it).
/// * Extra fields are forwarded only when the request was parsed from OpenAI (top-level keys
///   verbatim, non-function tools appended to `tools`); otherwise each is reported as dropped,
///   as are nested extras (`messages[3].audio`) whatever the source.
/// * Anthropic `tool_result` parts of a user turn become `tool` messages placed before the rest
///   of that turn (OpenAI wants them right after the assistant's tool calls).
/// * Reasoning: `effort` is sent as `reasoning_effort`; a bare thinking budget is approximated
///   (< 4096 tokens `low`, < 16384 `medium`, else `high`).
/// * Assistant thinking is sent back as `reasoning_content` only when it came from an OpenAI
///   caller (DeepSeek-style servers read it); from other sources it is reported as dropped,
///   like thinking signatures, redacted thinking, `top_k`, images or documents where OpenAI
///   takes none, document URLs, and `is_error` on tool results.
/// * `cache_control` is forwarded on text parts only for OpenAI callers (compatible routers
///   use it) and otherwise dropped silently: it changes cost, not meaning.
///
/// Fails only on nothing at present (the `Result` leaves room for requests OpenAI cannot take
/// at all); every inexpressible field is reported in [`Converted::dropped`] as the caller's path.
pub fn build_chat_request(
    req: &ChatRequest,
    upstream_model: &str,
    opts: &OpenAiBuildOptions,
) -> Result<Converted, ConvertError> {
    let from_openai = req.source == Some(WireApi::OpenAiChat);
    let mut dropped = Vec::new();
    let mut messages = Vec::with_capacity(req.messages.len());
    for (i, message) in req.messages.iter().enumerate() {
        MessageBuilder {
            req,
            index: i,
            from_openai,
            dropped: &mut dropped,
        }
        .build(message, &mut messages);
    }

    let extras = Extras::split(&req.extra, from_openai, KNOWN_FIELDS, &mut dropped);
    let mut tools: Vec<WireTool<'_>> = req.tools.iter().map(WireTool::function).collect();
    tools.extend(extras.tools.iter().map(|v| WireTool::Raw(v)));

    let reasoning_effort = req.reasoning.as_ref().and_then(|r| {
        r.effort.as_deref().map(Cow::Borrowed).or_else(|| {
            r.budget_tokens.map(|b| {
                Cow::Borrowed(match b {
                    0..4096 => "low",
                    4096..16384 => "medium",
                    _ => "high",
                })
            })
        })
    });
    if req.top_k.is_some() {
        dropped.push(String::from("top_k"));
    }
    let (max_tokens, max_completion_tokens) = match opts.max_tokens_field {
        MaxTokensField::MaxTokens => (req.max_tokens, None),
        MaxTokensField::MaxCompletionTokens => (None, req.max_tokens),
    };
    let body = WireRequest {
        model: upstream_model,
        messages,
        parallel_tool_calls: req.parallel_tool_calls.filter(|_| !tools.is_empty()),
        tool_choice: req.tool_choice.as_ref().map(WireToolChoice::from),
        tools,
        response_format: req.response_format.as_ref().map(WireResponseFormat::from),
        max_tokens,
        max_completion_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        stop: &req.stop,
        n: req.n,
        seed: req.seed,
        presence_penalty: req.presence_penalty,
        frequency_penalty: req.frequency_penalty,
        logprobs: req.logprobs,
        top_logprobs: req.top_logprobs,
        user: req.user.as_deref(),
        reasoning_effort,
        stream: req.stream.then_some(true),
        stream_options: req.stream.then_some(StreamOptions {
            include_usage: true,
        }),
        extra: extras
            .top_level
            .unless_written("tool_choice", req.tool_choice.is_some())
            .unless_written("response_format", req.response_format.is_some()),
    };
    Ok(Converted {
        body: json::to_vec(&body),
        dropped,
    })
}

/// The top-level fields this builder writes itself; extras with these names are not forwarded.
const KNOWN_FIELDS: &[&str] = &[
    "model",
    "messages",
    "tools",
    "parallel_tool_calls",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "n",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "user",
    "reasoning_effort",
    "stream",
    "stream_options",
];

struct MessageBuilder<'r, 'd> {
    req: &'r ChatRequest,
    index: usize,
    from_openai: bool,
    dropped: &'d mut Vec<String>,
}

impl<'r> MessageBuilder<'r, '_> {
    fn drop_part(&mut self, part: usize) {
        self.dropped.push(paths::part(self.req, self.index, part));
    }

    fn build(mut self, message: &'r Message, out: &mut Vec<WireMessage<'r>>) {
        match message.role {
            Role::System | Role::Developer | Role::User => self.plain(message, out),
            Role::Assistant => self.assistant(message, out),
            Role::Tool => {
                for (j, part) in message.content.iter().enumerate() {
                    match part {
                        Part::ToolResult(result) => out.push(self.tool_result(result, j)),
                        _ => self.drop_part(j),
                    }
                }
            }
        }
    }

    fn plain(&mut self, message: &'r Message, out: &mut Vec<WireMessage<'r>>) {
        let role = match message.role {
            Role::System => "system",
            Role::Developer => "developer",
            _ => "user",
        };
        let text_only = role != "user";
        let mut parts = Vec::with_capacity(message.content.len());
        for (j, part) in message.content.iter().enumerate() {
            match part {
                Part::Text {
                    text,
                    cache_control,
                } => parts.push(WirePart::Text {
                    text,
                    cache_control: cache_control.as_ref().filter(|_| self.from_openai),
                }),
                Part::ToolResult(result) => out.push(self.tool_result(result, j)),
                Part::Image { source, detail } if !text_only => {
                    parts.push(WirePart::ImageUrl {
                        image_url: ImageUrl {
                            url: media_url(source),
                            detail: detail.as_deref(),
                        },
                    });
                }
                Part::Document { source, name } if !text_only => {
                    match wire_document(source, name.as_deref()) {
                        Some(part) => {
                            if matches!(part, WirePart::OwnedText { .. }) && name.is_some() {
                                let path = paths::part(self.req, self.index, j);
                                self.dropped.push(format!("{path}.title"));
                            }
                            parts.push(part);
                        }
                        None => self.drop_part(j),
                    }
                }
                _ => self.drop_part(j),
            }
        }
        let only_tool_results = !message.content.is_empty()
            && message
                .content
                .iter()
                .all(|p| matches!(p, Part::ToolResult(_)));
        if !parts.is_empty() || !only_tool_results {
            out.push(WireMessage {
                role,
                content: WireContent::from_parts(parts, WireContent::Text(Cow::Borrowed(""))),
                name: message.name.as_deref(),
                ..WireMessage::default()
            });
        }
    }

    fn assistant(&mut self, message: &'r Message, out: &mut Vec<WireMessage<'r>>) {
        let mut parts = Vec::new();
        let mut tool_calls = Vec::new();
        let mut reasoning: Option<Cow<'r, str>> = None;
        for (j, part) in message.content.iter().enumerate() {
            match part {
                Part::Text {
                    text,
                    cache_control,
                } => parts.push(WirePart::Text {
                    text,
                    cache_control: cache_control.as_ref().filter(|_| self.from_openai),
                }),
                Part::ToolCall(call) => tool_calls.push(WireToolCall {
                    id: &call.id,
                    kind: "function",
                    function: WireFunctionCall {
                        name: &call.name,
                        arguments: &call.arguments,
                    },
                }),
                Part::Thinking { text, signature } if self.from_openai => {
                    reasoning = Some(match reasoning {
                        None => Cow::Borrowed(text.as_str()),
                        Some(prev) => Cow::Owned(format!("{prev}{text}")),
                    });
                    if signature.is_some() {
                        self.dropped.push(format!(
                            "{}.signature",
                            paths::part(self.req, self.index, j)
                        ));
                    }
                }
                _ => self.drop_part(j),
            }
        }
        out.push(WireMessage {
            role: "assistant",
            content: WireContent::from_parts(parts, WireContent::Null),
            name: message.name.as_deref(),
            tool_calls,
            reasoning_content: reasoning,
            ..WireMessage::default()
        });
    }

    fn tool_result(&mut self, result: &'r ToolResult, part: usize) -> WireMessage<'r> {
        let path = paths::part(self.req, self.index, part);
        if result.is_error {
            self.dropped.push(format!("{path}.is_error"));
        }
        let mut parts = Vec::with_capacity(result.content.len());
        for (k, inner) in result.content.iter().enumerate() {
            match inner {
                Part::Text { text, .. } => parts.push(WirePart::Text {
                    text,
                    cache_control: None,
                }),
                _ => self.dropped.push(format!("{path}.content[{k}]")),
            }
        }
        WireMessage {
            role: "tool",
            content: WireContent::from_parts(parts, WireContent::Text(Cow::Borrowed(""))),
            tool_call_id: Some(&result.tool_call_id),
            ..WireMessage::default()
        }
    }
}

fn media_url(source: &MediaSource) -> Cow<'_, str> {
    match source {
        MediaSource::Url { url } => Cow::Borrowed(url),
        MediaSource::Base64 { media_type, data } => {
            Cow::Owned(format!("data:{media_type};base64,{data}"))
        }
    }
}

/// A document as an OpenAI part: audio as `input_audio`, plain text (which OpenAI's `file`
/// parts do not take) as a text part, anything else inline as a `file`. URLs cannot be given to
/// OpenAI as files: `None`.
fn wire_document<'a>(source: &'a MediaSource, name: Option<&'a str>) -> Option<WirePart<'a>> {
    let MediaSource::Base64 { media_type, data } = source else {
        return None;
    };
    if media_type.starts_with("text/") {
        let text = String::from_utf8(BASE64.decode(data).ok()?).ok()?;
        return Some(WirePart::OwnedText { text });
    }
    if let Some(subtype) = media_type.strip_prefix("audio/") {
        let format = match subtype {
            "mpeg" | "mp3" => "mp3",
            other => other,
        };
        return Some(WirePart::InputAudio {
            input_audio: InputAudio { data, format },
        });
    }
    let filename = match name {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(format!("document.{}", extension_for(media_type))),
    };
    Some(WirePart::File {
        file: WireFile {
            file_data: format!("data:{media_type};base64,{data}"),
            filename,
        },
    })
}

fn extension_for(media_type: &str) -> &str {
    match media_type {
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        other => other.rsplit('/').next().unwrap_or("bin"),
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(flatten)]
    extra: extra::TopLevel<'a>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize, Default)]
struct WireMessage<'a> {
    role: &'static str,
    content: WireContent<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_calls: Vec<WireToolCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_call_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_content: Option<Cow<'a, str>>,
}

#[derive(Serialize, Default)]
#[serde(untagged)]
enum WireContent<'a> {
    #[default]
    Null,
    Text(Cow<'a, str>),
    Parts(Vec<WirePart<'a>>),
}

impl<'a> WireContent<'a> {
    /// A single plain text part is sent as a string (what every compatible server accepts);
    /// no parts at all as `empty`.
    fn from_parts(mut parts: Vec<WirePart<'a>>, empty: WireContent<'a>) -> WireContent<'a> {
        match parts.as_slice() {
            [] => empty,
            [
                WirePart::Text {
                    cache_control: None,
                    ..
                },
            ] => match parts.pop() {
                Some(WirePart::Text { text, .. }) => WireContent::Text(Cow::Borrowed(text)),
                _ => empty,
            },
            _ => WireContent::Parts(parts),
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WirePart<'a> {
    Text {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    #[serde(rename = "text")]
    OwnedText {
        text: String,
    },
    ImageUrl {
        image_url: ImageUrl<'a>,
    },
    InputAudio {
        input_audio: InputAudio<'a>,
    },
    File {
        file: WireFile<'a>,
    },
}

#[derive(Serialize)]
struct ImageUrl<'a> {
    url: Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

#[derive(Serialize)]
struct InputAudio<'a> {
    data: &'a str,
    format: &'a str,
}

#[derive(Serialize)]
struct WireFile<'a> {
    file_data: String,
    filename: Cow<'a, str>,
}

#[derive(Serialize)]
struct WireToolCall<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunctionCall<'a>,
}

#[derive(Serialize)]
struct WireFunctionCall<'a> {
    name: &'a str,
    arguments: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireTool<'a> {
    Function {
        #[serde(rename = "type")]
        kind: &'static str,
        function: WireFunctionDef<'a>,
    },
    Raw(&'a Value),
}

impl<'a> WireTool<'a> {
    fn function(tool: &'a Tool) -> WireTool<'a> {
        WireTool::Function {
            kind: "function",
            function: WireFunctionDef {
                name: &tool.name,
                description: tool.description.as_deref(),
                parameters: Some(&tool.parameters).filter(|p| !p.is_null()),
                strict: tool.strict,
            },
        }
    }
}

#[derive(Serialize)]
struct WireFunctionDef<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict: Option<bool>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireToolChoice<'a> {
    Mode(&'static str),
    Named {
        #[serde(rename = "type")]
        kind: &'static str,
        function: NamedFunction<'a>,
    },
}

#[derive(Serialize)]
struct NamedFunction<'a> {
    name: &'a str,
}

impl<'a> From<&'a ToolChoice> for WireToolChoice<'a> {
    fn from(choice: &'a ToolChoice) -> Self {
        match choice {
            ToolChoice::Auto => WireToolChoice::Mode("auto"),
            ToolChoice::None => WireToolChoice::Mode("none"),
            ToolChoice::Required => WireToolChoice::Mode("required"),
            ToolChoice::Tool { name } => WireToolChoice::Named {
                kind: "function",
                function: NamedFunction { name },
            },
        }
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireResponseFormat<'a> {
    Text,
    JsonObject,
    JsonSchema { json_schema: WireJsonSchema<'a> },
}

#[derive(Serialize)]
struct WireJsonSchema<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    schema: &'a Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    strict: Option<bool>,
}

impl<'a> From<&'a ResponseFormat> for WireResponseFormat<'a> {
    fn from(format: &'a ResponseFormat) -> Self {
        match format {
            ResponseFormat::Text => WireResponseFormat::Text,
            ResponseFormat::JsonObject => WireResponseFormat::JsonObject,
            ResponseFormat::JsonSchema {
                name,
                description,
                schema,
                strict,
            } => WireResponseFormat::JsonSchema {
                json_schema: WireJsonSchema {
                    name,
                    description: description.as_deref(),
                    schema,
                    strict: *strict,
                },
            },
        }
    }
}
