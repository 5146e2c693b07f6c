//! Building Anthropic Messages request bodies from the canonical model.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::canonical::{
    ChatRequest, MediaSource, Message, Part, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
    ToolResult, WireApi,
};
use crate::error::ConvertError;
use crate::extra::{self, Extras};
use crate::{Converted, ids, json, paths};

/// Anthropic's smallest thinking budget.
const MIN_THINKING_BUDGET: u32 = 1024;

/// Builds the body of an Anthropic Messages request (`POST /v1/messages`) for `upstream_model`.
///
/// * `max_tokens` is the request's, or `default_max_tokens` (Anthropic requires one).
/// * System and developer messages, wherever they are, are hoisted in order into `system`
///   (a string, or text blocks when there are several or one carries `cache_control`).
/// * Consecutive turns of the same role are merged (Anthropic wants alternation); tool messages
///   become user turns of `tool_result` blocks, placed before any other block of the merged turn
///   (Anthropic requires results first). Empty text is left out (Anthropic rejects it), and so
///   is a turn left with no content.
/// * Images: base64 → base64 source, URL → url source. Documents: PDF base64 or URL → document
///   block, `text/*` → text document; other media (audio) are dropped.
/// * Tool call arguments are parsed into `input` (empty arguments → `{}`); tool ids are kept,
///   with characters Anthropic does not allow replaced by `_` (consistently for calls and
///   results).
/// * `response_format` `json_schema` → `output_config.format` (Anthropic's structured outputs;
///   the schema name is not sent); `json_object` has no Anthropic form and is dropped.
/// * Reasoning → `thinking: {type: enabled, budget_tokens}`: the budget as given, or from
///   `effort` (`minimal`/`none` → no thinking, `low` 1024, `medium` 4096, `high` and others
///   16384), kept within Anthropic's rules (≥ 1024 and below `max_tokens`; reported dropped if
///   `max_tokens` leaves no room). For requests from other APIs, with thinking on, a
///   `temperature` other than 1 and a `top_p` below 0.95 are dropped (Anthropic rejects them).
///   `output_config.effort` is sent only when the caller was an Anthropic client (and then does
///   not turn thinking on by itself).
/// * A `temperature` above 1 (OpenAI allows up to 2) is clamped to 1 and reported in `dropped`
///   (the value the caller asked for did not reach the provider).
/// * Dropped and reported: `n` > 1, `logprobs`, `top_logprobs`, `seed`, penalties, message
///   names, image `detail`, thinking without a signature, images in assistant turns, extras
///   from other APIs and nested extras (Anthropic's own server tools are forwarded).
///
/// Fails with a [`ConvertError`] when a tool call's arguments are not a JSON object (Anthropic
/// needs an object `input`); the error names the caller's field.
pub fn build_messages_request(
    req: &ChatRequest,
    upstream_model: &str,
    default_max_tokens: u32,
) -> Result<Converted, ConvertError> {
    let from_anthropic = req.source == Some(WireApi::AnthropicMessages);
    let mut dropped = Vec::new();
    let max_tokens = req.max_tokens.unwrap_or(default_max_tokens);

    let mut system = Vec::new();
    let mut turns: Vec<Turn<'_>> = Vec::new();
    for (i, message) in req.messages.iter().enumerate() {
        if message.name.is_some() {
            dropped.push(format!("{}.name", paths::message(req, i)));
        }
        let mut ctx = Ctx {
            req,
            index: i,
            dropped: &mut dropped,
        };
        match message.role {
            Role::System | Role::Developer => ctx.system(message, &mut system),
            role => {
                let role = if role == Role::Assistant {
                    "assistant"
                } else {
                    "user"
                };
                let blocks = ctx.blocks(message, role)?;
                if blocks.is_empty() {
                    continue;
                }
                match turns.last_mut() {
                    Some(last) if last.role == role => last.content.extend(blocks),
                    _ => turns.push(Turn {
                        role,
                        content: blocks,
                    }),
                }
            }
        }
    }
    for turn in &mut turns {
        if turn.role == "user" {
            // Stable: results keep their order, and so does everything after them.
            turn.content
                .sort_by_key(|b| !matches!(b, Block::ToolResult { .. }));
        }
    }

    let extras = Extras::split(&req.extra, from_anthropic, KNOWN_FIELDS, &mut dropped);
    let mut tools: Vec<WireTool<'_>> = req.tools.iter().map(WireTool::custom).collect();
    tools.extend(extras.tools.iter().map(|v| WireTool::Raw(v)));

    let thinking = thinking(req, max_tokens, from_anthropic, &mut dropped);
    let mut temperature = req.temperature;
    if temperature.is_some_and(|t| t > 1.0) {
        // OpenAI allows up to 2, Anthropic up to 1: the nearest value Anthropic takes is sent,
        // and the change is reported like a dropped field (strict mode refuses it).
        temperature = Some(1.0);
        dropped.push(String::from("temperature"));
    }
    let mut top_p = req.top_p;
    if thinking.is_some() && !from_anthropic {
        if temperature.is_some_and(|t| t != 1.0) {
            temperature = None;
            dropped.push(String::from("temperature"));
        }
        if top_p.is_some_and(|p| p < 0.95) {
            top_p = None;
            dropped.push(String::from("top_p"));
        }
    }
    let output_format = match &req.response_format {
        Some(ResponseFormat::JsonSchema { schema, .. }) => Some(OutputFormat {
            kind: "json_schema",
            schema,
        }),
        Some(ResponseFormat::JsonObject) => {
            dropped.push(String::from("response_format"));
            None
        }
        Some(ResponseFormat::Text) | None => None,
    };
    let effort = req
        .reasoning
        .as_ref()
        .and_then(|r| r.effort.as_deref())
        .filter(|_| from_anthropic);
    let output_config = (output_format.is_some() || effort.is_some()).then_some(OutputConfig {
        format: output_format,
        effort,
    });
    if req.n.is_some_and(|n| n > 1) {
        dropped.push(String::from("n"));
    }
    if req.logprobs == Some(true) {
        dropped.push(String::from("logprobs"));
    }
    for (present, name) in [
        (req.top_logprobs.is_some(), "top_logprobs"),
        (req.seed.is_some(), "seed"),
        (req.presence_penalty.is_some(), "presence_penalty"),
        (req.frequency_penalty.is_some(), "frequency_penalty"),
    ] {
        if present {
            dropped.push(String::from(name));
        }
    }

    let body_thinking = thinking.is_some();
    let body_output_config = output_config.is_some();
    let body = WireRequest {
        model: upstream_model,
        max_tokens,
        system: SystemPrompt::from_blocks(system),
        messages: turns,
        tool_choice: tool_choice(req, !tools.is_empty()),
        tools,
        thinking,
        output_config,
        stop_sequences: &req.stop,
        temperature,
        top_p,
        top_k: req.top_k,
        metadata: req.user.as_deref().map(|user_id| Metadata { user_id }),
        stream: req.stream.then_some(true),
        extra: extras
            .top_level
            .unless_written("thinking", body_thinking)
            .unless_written("output_config", body_output_config),
    };
    Ok(Converted {
        body: json::to_vec(&body),
        dropped,
    })
}

const KNOWN_FIELDS: &[&str] = &[
    "model",
    "max_tokens",
    "system",
    "messages",
    "tools",
    "tool_choice",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "metadata",
    "stream",
];

fn thinking(
    req: &ChatRequest,
    max_tokens: u32,
    from_anthropic: bool,
    dropped: &mut Vec<String>,
) -> Option<Thinking> {
    let reasoning = req.reasoning.as_ref()?;
    if from_anthropic {
        // An Anthropic caller's effort is `output_config.effort`, not a thinking request.
        return reasoning.budget_tokens.map(|budget_tokens| Thinking {
            kind: "enabled",
            budget_tokens,
        });
    }
    let budget = match (reasoning.budget_tokens, reasoning.effort.as_deref()) {
        (Some(budget), _) => budget,
        (None, None | Some("minimal" | "none")) => return None,
        (None, Some("low")) => MIN_THINKING_BUDGET,
        (None, Some("medium")) => 4096,
        (None, Some(_)) => 16384,
    };
    if max_tokens <= MIN_THINKING_BUDGET {
        dropped.push(String::from(match req.source {
            Some(WireApi::OpenAiChat) => "reasoning_effort",
            _ => "reasoning",
        }));
        return None;
    }
    Some(Thinking {
        kind: "enabled",
        budget_tokens: budget.clamp(MIN_THINKING_BUDGET, max_tokens - 1),
    })
}

fn tool_choice(req: &ChatRequest, has_tools: bool) -> Option<WireToolChoice<'_>> {
    if !has_tools {
        return None;
    }
    let disable_parallel = (req.parallel_tool_calls == Some(false)).then_some(true);
    let choice = match req.tool_choice.as_ref() {
        None if disable_parallel.is_none() => return None,
        None | Some(ToolChoice::Auto) => WireToolChoice {
            kind: "auto",
            name: None,
            disable_parallel_tool_use: disable_parallel,
        },
        Some(ToolChoice::Required) => WireToolChoice {
            kind: "any",
            name: None,
            disable_parallel_tool_use: disable_parallel,
        },
        Some(ToolChoice::Tool { name }) => WireToolChoice {
            kind: "tool",
            name: Some(name),
            disable_parallel_tool_use: disable_parallel,
        },
        Some(ToolChoice::None) => WireToolChoice {
            kind: "none",
            name: None,
            disable_parallel_tool_use: None,
        },
    };
    Some(choice)
}

struct Ctx<'r, 'd> {
    req: &'r ChatRequest,
    index: usize,
    dropped: &'d mut Vec<String>,
}

impl<'r> Ctx<'r, '_> {
    fn path(&self, part: usize) -> String {
        paths::part(self.req, self.index, part)
    }

    fn drop_part(&mut self, part: usize) {
        let path = self.path(part);
        self.dropped.push(path);
    }

    fn system(&mut self, message: &'r Message, out: &mut Vec<TextBlock<'r>>) {
        for (j, part) in message.content.iter().enumerate() {
            match part {
                Part::Text {
                    text,
                    cache_control,
                } => out.push(TextBlock {
                    kind: "text",
                    text,
                    cache_control: cache_control.as_ref(),
                }),
                _ => self.drop_part(j),
            }
        }
    }

    fn blocks(&mut self, message: &'r Message, role: &str) -> Result<Vec<Block<'r>>, ConvertError> {
        let assistant = role == "assistant";
        let mut blocks = Vec::with_capacity(message.content.len());
        for (j, part) in message.content.iter().enumerate() {
            match part {
                Part::Text {
                    text,
                    cache_control,
                } => {
                    if !text.is_empty() {
                        blocks.push(Block::Text {
                            text,
                            cache_control: cache_control.as_ref(),
                        });
                    }
                }
                Part::Image { source, detail } if !assistant => {
                    if detail.is_some() {
                        let path = self.path(j);
                        self.dropped.push(format!("{path}.image_url.detail"));
                    }
                    blocks.push(Block::Image {
                        source: WireSource::from(source),
                    });
                }
                Part::Document { source, name } if !assistant => {
                    match document(source, name.as_deref()) {
                        Some(block) => blocks.push(block),
                        None => self.drop_part(j),
                    }
                }
                Part::ToolCall(call) if assistant => blocks.push(self.tool_use(call, j)?),
                Part::ToolResult(result) if !assistant => blocks.push(self.tool_result(result, j)),
                Part::Thinking {
                    text,
                    signature: Some(signature),
                } if assistant => blocks.push(Block::Thinking {
                    thinking: text,
                    signature,
                }),
                Part::RedactedThinking { data } if assistant => {
                    blocks.push(Block::RedactedThinking { data });
                }
                _ => self.drop_part(j),
            }
        }
        Ok(blocks)
    }

    fn tool_use(&mut self, call: &'r ToolCall, part: usize) -> Result<Block<'r>, ConvertError> {
        let arguments = call.arguments.trim();
        let input = if arguments.is_empty() {
            Cow::Owned(Value::Object(Map::new()))
        } else {
            match serde_json::from_str::<Value>(arguments) {
                Ok(value @ Value::Object(_)) => Cow::Owned(value),
                _ => {
                    let field = match self.req.source {
                        Some(WireApi::OpenAiChat) => "function.arguments",
                        _ => "arguments",
                    };
                    let path = format!("{}.{field}", self.path(part));
                    return Err(ConvertError::new(
                        format!(
                            "{path}: tool call arguments must be a JSON object to be sent to \
                             Anthropic"
                        ),
                        Some(path),
                    ));
                }
            }
        };
        Ok(Block::ToolUse {
            id: ids::sanitize(&call.id),
            name: &call.name,
            input,
        })
    }

    fn tool_result(&mut self, result: &'r ToolResult, part: usize) -> Block<'r> {
        let path = self.path(part);
        let mut blocks = Vec::with_capacity(result.content.len());
        for (k, inner) in result.content.iter().enumerate() {
            match inner {
                Part::Text {
                    text,
                    cache_control,
                } => blocks.push(Block::Text {
                    text,
                    cache_control: cache_control.as_ref(),
                }),
                Part::Image { source, .. } => blocks.push(Block::Image {
                    source: WireSource::from(source),
                }),
                Part::Document { source, name } => match document(source, name.as_deref()) {
                    Some(block) => blocks.push(block),
                    None => self.dropped.push(format!("{path}.content[{k}]")),
                },
                _ => self.dropped.push(format!("{path}.content[{k}]")),
            }
        }
        let content = match blocks.as_slice() {
            [] => None,
            [
                Block::Text {
                    cache_control: None,
                    ..
                },
            ] => match blocks.pop() {
                Some(Block::Text { text, .. }) => Some(ResultContent::Text(text)),
                _ => None,
            },
            _ => Some(ResultContent::Blocks(blocks)),
        };
        Block::ToolResult {
            tool_use_id: ids::sanitize(&result.tool_call_id),
            content,
            is_error: result.is_error.then_some(true),
        }
    }
}

/// A document block: PDFs (and any non-text media Anthropic may accept) inline or by URL;
/// `text/*` as a plain-text source. `None` for media Anthropic documents cannot hold.
fn document<'a>(source: &'a MediaSource, name: Option<&'a str>) -> Option<Block<'a>> {
    let source = match source {
        MediaSource::Url { .. } => WireSource::from(source),
        MediaSource::Base64 { media_type, data } if media_type.starts_with("text/") => {
            let bytes = BASE64.decode(data).ok()?;
            WireSource::Text {
                media_type: "text/plain",
                data: String::from_utf8(bytes).ok()?,
            }
        }
        MediaSource::Base64 { media_type, .. } if media_type == "application/pdf" => {
            WireSource::from(source)
        }
        MediaSource::Base64 { .. } => return None,
    };
    Some(Block::Document {
        source,
        title: name,
    })
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    system: Option<SystemPrompt<'a>>,
    messages: Vec<Turn<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking: Option<Thinking>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_config: Option<OutputConfig<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream: Option<bool>,
    #[serde(flatten)]
    extra: extra::TopLevel<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SystemPrompt<'a> {
    Text(&'a str),
    Blocks(Vec<TextBlock<'a>>),
}

impl<'a> SystemPrompt<'a> {
    fn from_blocks(mut blocks: Vec<TextBlock<'a>>) -> Option<SystemPrompt<'a>> {
        match blocks.as_slice() {
            [] => None,
            [single] if single.cache_control.is_none() => {
                blocks.pop().map(|b| SystemPrompt::Text(b.text))
            }
            _ => Some(SystemPrompt::Blocks(blocks)),
        }
    }
}

#[derive(Serialize)]
struct TextBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<&'a Value>,
}

#[derive(Serialize)]
struct Turn<'a> {
    role: &'static str,
    content: Vec<Block<'a>>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block<'a> {
    Text {
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    Image {
        source: WireSource<'a>,
    },
    Document {
        source: WireSource<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<&'a str>,
    },
    ToolUse {
        id: Cow<'a, str>,
        name: &'a str,
        input: Cow<'a, Value>,
    },
    ToolResult {
        tool_use_id: Cow<'a, str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content: Option<ResultContent<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
    },
    Thinking {
        thinking: &'a str,
        signature: &'a str,
    },
    RedactedThinking {
        data: &'a str,
    },
}

#[derive(Serialize)]
#[serde(untagged)]
enum ResultContent<'a> {
    Text(&'a str),
    Blocks(Vec<Block<'a>>),
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireSource<'a> {
    Base64 {
        media_type: &'a str,
        data: &'a str,
    },
    Url {
        url: &'a str,
    },
    Text {
        media_type: &'static str,
        data: String,
    },
}

impl<'a> From<&'a MediaSource> for WireSource<'a> {
    fn from(source: &'a MediaSource) -> Self {
        match source {
            MediaSource::Url { url } => WireSource::Url { url },
            MediaSource::Base64 { media_type, data } => WireSource::Base64 { media_type, data },
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireTool<'a> {
    Custom {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<&'a str>,
        input_schema: Cow<'a, Value>,
        #[serde(skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a Value>,
    },
    Raw(&'a Value),
}

impl<'a> WireTool<'a> {
    fn custom(tool: &'a Tool) -> WireTool<'a> {
        WireTool::Custom {
            name: &tool.name,
            description: tool.description.as_deref(),
            input_schema: input_schema(&tool.parameters),
            strict: tool.strict.filter(|s| *s),
            cache_control: tool.cache_control.as_ref(),
        }
    }
}

/// Anthropic requires an object schema with a `type`; OpenAI allows no parameters at all.
fn input_schema(parameters: &Value) -> Cow<'_, Value> {
    match parameters {
        Value::Object(map) if map.contains_key("type") => Cow::Borrowed(parameters),
        Value::Object(map) => {
            let mut map = map.clone();
            map.insert(String::from("type"), Value::String(String::from("object")));
            Cow::Owned(Value::Object(map))
        }
        _ => Cow::Owned(serde_json::json!({"type": "object", "properties": {}})),
    }
}

#[derive(Serialize)]
struct WireToolChoice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disable_parallel_tool_use: Option<bool>,
}

#[derive(Serialize)]
struct Thinking {
    #[serde(rename = "type")]
    kind: &'static str,
    budget_tokens: u32,
}

#[derive(Serialize)]
struct OutputConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<OutputFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effort: Option<&'a str>,
}

#[derive(Serialize)]
struct OutputFormat<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema: &'a Value,
}

#[derive(Serialize)]
struct Metadata<'a> {
    user_id: &'a str,
}
