//! Parsing Anthropic Messages requests into the canonical model.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

use crate::canonical::{
    ChatRequest, MediaSource, Message, Part, Reasoning, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolResult, WireApi,
};
use crate::error::RequestError;
use crate::json::{self, index, join};

/// Parses an Anthropic Messages request body (`POST /v1/messages`).
///
/// * `system` (a string or text blocks, `cache_control` kept) becomes canonical message 0 with
///   role `system`; `messages` follow one for one, content blocks one part per block.
/// * Blocks: `text`, `image` (base64 or URL), `document` (base64 PDF, URL, or plain-text source,
///   whose text is carried base64-encoded with media type `text/plain`), `tool_use`,
///   `tool_result` (string or block content, `is_error`; its tool name is looked up from the
///   `tool_use` it answers), `thinking` (with its signature) and `redacted_thinking`. Anything
///   else (server tool blocks, `search_result`, file-id sources, `citations`, document `context`)
///   is kept in `extra` under its path and reported dropped by every builder.
///   `cache_control` is kept on text blocks and tool definitions, and dropped silently
///   elsewhere (it changes cost, not meaning).
/// * `tools`: custom tools (no `type`, or `custom`) become tools; server tools (`web_search`,
///   `bash`, `code_execution`...) stay in `extra` as `tools[N]` and are forwarded to Anthropic
///   only.
/// * `tool_choice` `auto`/`any`/`tool`/`none`, `disable_parallel_tool_use` → `parallel_tool_calls:
///   false`; `thinking: {type: enabled, budget_tokens}` → reasoning budget (other thinking
///   types stay in `extra`); `output_config.format` (and the beta `output_format`) of type
///   `json_schema` → a JSON-schema response format named `response`; `output_config.effort` →
///   reasoning effort; `metadata.user_id` → `user`; `stop_sequences` → `stop`.
///
/// Fails with a [`RequestError`] naming the field for invalid JSON, a missing `model`,
/// `max_tokens` or `messages`, wrong types, an unknown role, or a non-text `system` block.
pub fn parse_messages_request(body: &[u8]) -> Result<ChatRequest, RequestError> {
    let map = json::parse_object(body)?;
    let mut req = ChatRequest {
        source: Some(WireApi::AnthropicMessages),
        ..ChatRequest::default()
    };
    let mut model = None;
    let mut messages = None;
    let mut system = None;
    let mut budget = None;
    let mut effort = None;
    for (key, value) in map {
        let k = key.as_str();
        match k {
            "model" => model = Some(json::string(value, k)?),
            "messages" => messages = Some(value),
            "max_tokens" => req.max_tokens = json::opt_u32(value, k)?,
            "system" => system = parse_system(value)?,
            "metadata" => parse_metadata(value, &mut req)?,
            "stop_sequences" => {
                if !value.is_null() {
                    req.stop = json::array(value, k)?
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| json::string(v, &index(k, i)))
                        .collect::<Result<_, _>>()?;
                }
            }
            "stream" => req.stream = json::opt_bool(value, k)?.unwrap_or(false),
            "temperature" => req.temperature = json::opt_f64(value, k)?,
            "top_p" => req.top_p = json::opt_f64(value, k)?,
            "top_k" => req.top_k = json::opt_u32(value, k)?,
            "tools" => parse_tools(value, &mut req)?,
            "tool_choice" => parse_tool_choice(value, &mut req)?,
            "thinking" => budget = parse_thinking(value, &mut req)?,
            "output_config" => effort = parse_output_config(value, &mut req)?,
            "output_format" => {
                if !value.is_null() {
                    parse_output_format(value, k, &mut req)?;
                }
            }
            _ => {
                req.extra.insert(key, value);
            }
        }
    }
    req.model = model.ok_or_else(|| json::missing("model"))?;
    if req.max_tokens.is_none() {
        return Err(json::missing("max_tokens"));
    }
    if budget.is_some() || effort.is_some() {
        req.reasoning = Some(Reasoning {
            effort,
            budget_tokens: budget,
        });
    }
    let messages = json::array(
        messages.ok_or_else(|| json::missing("messages"))?,
        "messages",
    )?;
    let mut parser = MessageParser::default();
    let mut out = Vec::with_capacity(messages.len() + 1);
    if let Some(system) = system {
        out.push(system);
    }
    for (i, message) in messages.into_iter().enumerate() {
        out.push(parser.message(message, &index("messages", i), &mut req)?);
    }
    req.messages = out;
    Ok(req)
}

fn parse_system(value: Value) -> Result<Option<Message>, RequestError> {
    let content = match value {
        Value::Null => return Ok(None),
        Value::String(text) => vec![Part::Text {
            text,
            cache_control: None,
        }],
        Value::Array(blocks) => {
            let mut parts = Vec::with_capacity(blocks.len());
            for (i, block) in blocks.into_iter().enumerate() {
                let path = index("system", i);
                let mut obj = json::object(block, &path)?;
                let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
                if kind != "text" {
                    return Err(json::invalid(
                        &join(&path, "type"),
                        "system blocks must be of type `text`",
                    ));
                }
                let text_path = join(&path, "text");
                let text = json::string(
                    obj.remove("text")
                        .ok_or_else(|| json::missing(&text_path))?,
                    &text_path,
                )?;
                parts.push(Part::Text {
                    text,
                    cache_control: obj.remove("cache_control").filter(|v| !v.is_null()),
                });
            }
            parts
        }
        other => {
            return Err(json::type_error(
                "system",
                "a string or an array of text blocks",
                &other,
            ));
        }
    };
    Ok(Some(Message {
        role: Role::System,
        content,
        name: None,
    }))
}

fn parse_metadata(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    if value.is_null() {
        return Ok(());
    }
    for (key, value) in json::object(value, "metadata")? {
        let path = join("metadata", &key);
        if key == "user_id" {
            req.user = json::opt_string(value, &path)?;
        } else {
            req.extra.insert(path, value);
        }
    }
    Ok(())
}

fn parse_tools(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    if value.is_null() {
        return Ok(());
    }
    for (i, tool) in json::array(value, "tools")?.into_iter().enumerate() {
        let path = index("tools", i);
        let obj = json::object(tool, &path)?;
        let custom = match obj.get("type") {
            None | Some(Value::Null) => true,
            Some(Value::String(kind)) => kind == "custom",
            Some(other) => return Err(json::type_error(&join(&path, "type"), "a string", other)),
        };
        if !custom {
            req.extra.insert(path, Value::Object(obj));
            continue;
        }
        let mut name = None;
        let mut tool = Tool {
            name: String::new(),
            description: None,
            parameters: Value::Null,
            strict: None,
            cache_control: None,
        };
        for (key, value) in obj {
            let p = join(&path, &key);
            match key.as_str() {
                "name" => name = Some(json::string(value, &p)?),
                "description" => tool.description = json::opt_string(value, &p)?,
                "input_schema" => tool.parameters = value,
                "strict" => tool.strict = json::opt_bool(value, &p)?,
                "cache_control" => tool.cache_control = Some(value).filter(|v| !v.is_null()),
                "type" => {}
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        tool.name = name.ok_or_else(|| json::missing(&join(&path, "name")))?;
        req.tools.push(tool);
    }
    Ok(())
}

fn parse_tool_choice(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    if value.is_null() {
        return Ok(());
    }
    let mut obj = json::object(value, "tool_choice")?;
    let kind = match obj.remove("type") {
        Some(v) => json::string(v, "tool_choice.type")?,
        None => return Err(json::missing("tool_choice.type")),
    };
    req.tool_choice = Some(match kind.as_str() {
        "auto" => ToolChoice::Auto,
        "any" => ToolChoice::Required,
        "none" => ToolChoice::None,
        "tool" => {
            let path = "tool_choice.name";
            let name = json::string(obj.remove("name").ok_or_else(|| json::missing(path))?, path)?;
            ToolChoice::Tool { name }
        }
        other => {
            return Err(json::invalid(
                "tool_choice.type",
                format_args!("unknown value `{other}`; expected auto, any, tool or none"),
            ));
        }
    });
    if let Some(v) = obj.remove("disable_parallel_tool_use")
        && json::opt_bool(v, "tool_choice.disable_parallel_tool_use")? == Some(true)
    {
        req.parallel_tool_calls = Some(false);
    }
    Ok(())
}

/// `{type: enabled, budget_tokens}` → the budget; `disabled` → nothing; other types
/// (`adaptive`, future ones) stay in `extra`.
fn parse_thinking(value: Value, req: &mut ChatRequest) -> Result<Option<u32>, RequestError> {
    if value.is_null() {
        return Ok(None);
    }
    let mut obj = json::object(value, "thinking")?;
    match obj.get("type").and_then(Value::as_str) {
        Some("enabled") => {
            let path = "thinking.budget_tokens";
            let budget = obj
                .remove("budget_tokens")
                .ok_or_else(|| json::missing(path))?;
            json::opt_u32(budget, path)
        }
        Some("disabled") => Ok(None),
        _ => {
            req.extra
                .insert(String::from("thinking"), Value::Object(obj));
            Ok(None)
        }
    }
}

/// `output_config`: `format` → response format, `effort` → returned; other keys → `extra`.
fn parse_output_config(
    value: Value,
    req: &mut ChatRequest,
) -> Result<Option<String>, RequestError> {
    if value.is_null() {
        return Ok(None);
    }
    let mut effort = None;
    for (key, value) in json::object(value, "output_config")? {
        let path = join("output_config", &key);
        match key.as_str() {
            "format" if !value.is_null() => parse_output_format(value, &path, req)?,
            "effort" => effort = json::opt_string(value, &path)?,
            _ => {
                req.extra.insert(path, value);
            }
        }
    }
    Ok(effort)
}

fn parse_output_format(
    value: Value,
    path: &str,
    req: &mut ChatRequest,
) -> Result<(), RequestError> {
    let mut obj = json::object(value, path)?;
    if obj.get("type").and_then(Value::as_str) != Some("json_schema") {
        req.extra.insert(path.to_owned(), Value::Object(obj));
        return Ok(());
    }
    let schema_path = join(path, "schema");
    let schema = obj
        .remove("schema")
        .ok_or_else(|| json::missing(&schema_path))?;
    req.response_format = Some(ResponseFormat::JsonSchema {
        name: String::from("response"),
        description: None,
        schema,
        strict: None,
    });
    Ok(())
}

/// Parses messages, remembering `tool_use` names for the `tool_result`s that answer them.
#[derive(Default)]
struct MessageParser {
    names: HashMap<String, String>,
}

impl MessageParser {
    fn message(
        &mut self,
        value: Value,
        path: &str,
        req: &mut ChatRequest,
    ) -> Result<Message, RequestError> {
        let obj = json::object(value, path)?;
        let mut role = None;
        let mut content = None;
        for (key, value) in obj {
            let p = join(path, &key);
            match key.as_str() {
                "role" => {
                    role = Some(match json::string(value, &p)?.as_str() {
                        "user" => Role::User,
                        "assistant" => Role::Assistant,
                        other => {
                            return Err(json::invalid(
                                &p,
                                format_args!("unknown role `{other}`; expected user or assistant"),
                            ));
                        }
                    });
                }
                "content" => content = Some(value),
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        let role = role.ok_or_else(|| json::missing(&join(path, "role")))?;
        let content_path = join(path, "content");
        let content = match content.ok_or_else(|| json::missing(&content_path))? {
            Value::String(text) => vec![Part::Text {
                text,
                cache_control: None,
            }],
            Value::Array(blocks) => {
                let mut parts = Vec::with_capacity(blocks.len());
                for (j, block) in blocks.into_iter().enumerate() {
                    if let Some(part) = self.block(block, &index(&content_path, j), req)? {
                        parts.push(part);
                    }
                }
                parts
            }
            other => {
                return Err(json::type_error(
                    &content_path,
                    "a string or an array of content blocks",
                    &other,
                ));
            }
        };
        Ok(Message {
            role,
            content,
            name: None,
        })
    }

    /// One content block; `None` when it was kept in `extra` instead.
    fn block(
        &mut self,
        value: Value,
        path: &str,
        req: &mut ChatRequest,
    ) -> Result<Option<Part>, RequestError> {
        let mut obj = json::object(value, path)?;
        let type_path = join(path, "type");
        let kind = match obj.get("type") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(json::type_error(&type_path, "a string", other)),
            None => return Err(json::missing(&type_path)),
        };
        let take_string =
            |obj: &mut Map<String, Value>, key: &str| -> Result<String, RequestError> {
                let p = join(path, key);
                json::string(obj.remove(key).ok_or_else(|| json::missing(&p))?, &p)
            };
        let part = match kind.as_str() {
            "text" => {
                let text = take_string(&mut obj, "text")?;
                if let Some(citations) = obj.remove("citations").filter(|v| !v.is_null()) {
                    req.extra.insert(join(path, "citations"), citations);
                }
                Part::Text {
                    text,
                    cache_control: obj.remove("cache_control").filter(|v| !v.is_null()),
                }
            }
            "image" => {
                let source_path = join(path, "source");
                let source = obj
                    .remove("source")
                    .ok_or_else(|| json::missing(&source_path))?;
                let media = match media_source(source, &source_path)? {
                    Ok(media) => media,
                    Err(source) => {
                        obj.insert(String::from("source"), source);
                        return self.keep(obj, path, req);
                    }
                };
                Part::Image {
                    source: media,
                    detail: None,
                }
            }
            "document" => {
                let source_path = join(path, "source");
                let source = obj
                    .remove("source")
                    .ok_or_else(|| json::missing(&source_path))?;
                let source = match media_source(source, &source_path)? {
                    Ok(media) => media,
                    Err(source) => {
                        obj.insert(String::from("source"), source);
                        return self.keep(obj, path, req);
                    }
                };
                let name = match obj.remove("title") {
                    Some(v) => json::opt_string(v, &join(path, "title"))?,
                    None => None,
                };
                for key in ["context", "citations"] {
                    if let Some(v) = obj.remove(key).filter(|v| !v.is_null()) {
                        req.extra.insert(join(path, key), v);
                    }
                }
                Part::Document { source, name }
            }
            "tool_use" => {
                let id = take_string(&mut obj, "id")?;
                let name = take_string(&mut obj, "name")?;
                let input = obj.remove("input").unwrap_or(Value::Object(Map::new()));
                self.names.insert(id.clone(), name.clone());
                Part::ToolCall(ToolCall {
                    id,
                    name,
                    arguments: json::compact(&input),
                })
            }
            "tool_result" => {
                let tool_call_id = take_string(&mut obj, "tool_use_id")?;
                let is_error = match obj.remove("is_error") {
                    Some(v) => json::opt_bool(v, &join(path, "is_error"))?.unwrap_or(false),
                    None => false,
                };
                let content_path = join(path, "content");
                let content = match obj.remove("content") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::String(text)) => vec![Part::Text {
                        text,
                        cache_control: None,
                    }],
                    Some(Value::Array(blocks)) => {
                        let mut parts = Vec::with_capacity(blocks.len());
                        for (k, block) in blocks.into_iter().enumerate() {
                            let p = index(&content_path, k);
                            match self.block(block, &p, req)? {
                                Some(
                                    part @ (Part::Text { .. }
                                    | Part::Image { .. }
                                    | Part::Document { .. }),
                                ) => {
                                    parts.push(part);
                                }
                                Some(_) => {
                                    return Err(json::invalid(
                                        &p,
                                        "tool results may only contain text, image and document blocks",
                                    ));
                                }
                                None => {}
                            }
                        }
                        parts
                    }
                    Some(other) => {
                        return Err(json::type_error(
                            &content_path,
                            "a string or an array of content blocks",
                            &other,
                        ));
                    }
                };
                Part::ToolResult(ToolResult {
                    name: self.names.get(&tool_call_id).cloned(),
                    tool_call_id,
                    content,
                    is_error,
                })
            }
            "thinking" => {
                let text = take_string(&mut obj, "thinking")?;
                // An empty signature (what renderers write for thinking from other providers) is
                // no signature: Anthropic would reject it.
                let signature = match obj.remove("signature") {
                    Some(v) => json::opt_string(v, &join(path, "signature"))?,
                    None => None,
                }
                .filter(|s| !s.is_empty());
                Part::Thinking { text, signature }
            }
            "redacted_thinking" => Part::RedactedThinking {
                data: take_string(&mut obj, "data")?,
            },
            _ => return self.keep(obj, path, req),
        };
        Ok(Some(part))
    }

    /// Keeps a block the canonical model cannot represent in `extra`, under its path.
    fn keep(
        &mut self,
        obj: Map<String, Value>,
        path: &str,
        req: &mut ChatRequest,
    ) -> Result<Option<Part>, RequestError> {
        req.extra.insert(path.to_owned(), Value::Object(obj));
        Ok(None)
    }
}

/// An image or document `source`: `base64`, `url` and `text` sources map to [`MediaSource`];
/// others (`file`, `content`) are given back unchanged as `Err`.
fn media_source(value: Value, path: &str) -> Result<Result<MediaSource, Value>, RequestError> {
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !matches!(kind, "base64" | "url" | "text") {
        return Ok(Err(value));
    }
    let kind = kind.to_owned();
    let mut obj = json::object(value, path)?;
    let mut take = |key: &str| -> Result<String, RequestError> {
        let p = join(path, key);
        json::string(obj.remove(key).ok_or_else(|| json::missing(&p))?, &p)
    };
    Ok(Ok(match kind.as_str() {
        "base64" => MediaSource::Base64 {
            media_type: take("media_type")?,
            data: take("data")?,
        },
        "url" => MediaSource::Url { url: take("url")? },
        _ => MediaSource::Base64 {
            media_type: String::from("text/plain"),
            data: BASE64.encode(take("data")?),
        },
    }))
}
