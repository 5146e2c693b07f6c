//! Parsing OpenAI Chat Completions requests into the canonical model.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::canonical::{
    ChatRequest, MediaSource, Message, Part, Reasoning, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolResult, WireApi,
};
use crate::error::RequestError;
use crate::ids;
use crate::json::{self, index, join};

/// Parses an OpenAI Chat Completions request body (`POST /v1/chat/completions`).
///
/// Every documented field is read; fields the canonical model has no place for are kept:
/// top-level ones in [`ChatRequest::extra`] under their own name (`logit_bias`, `metadata`,
/// `store`, `service_tier`, `modalities`, `audio`, `prediction`, `web_search_options`,
/// `verbosity`, legacy `functions`/`function_call`, a `tool_choice` or `response_format` of a
/// type not modelled...), nested ones in `extra` under their full path (`messages[3].audio`,
/// `tools[2]` for a non-function tool, `messages[1].content[0]` for a `file_id` file part). Only
/// the OpenAI builder forwards top-level extras (and non-function tools); every other builder,
/// and the OpenAI builder for nested paths, reports them as dropped.
///
/// Decisions worth knowing:
/// * `input_audio` parts become [`Part::Document`] with an `audio/*` media type (the OpenAI
///   builder turns them back into `input_audio`; Gemini can take audio inline; others report
///   them dropped).
/// * `file` parts with `file_data` become documents (a `data:` URL or bare base64, whose media
///   type then comes from `filename`, default PDF); `file_id` parts cannot travel and go to
///   `extra` under their path.
/// * Assistant `reasoning_content` (DeepSeek, vLLM) becomes a leading [`Part::Thinking`].
/// * A `tool` message becomes a [`Role::Tool`] message holding one [`Part::ToolResult`] whose
///   `name` is looked up from the assistant tool call it answers. Legacy `function` messages and
///   assistant `function_call` become tool results and tool calls with derived ids.
/// * `max_completion_tokens` wins over `max_tokens` when both are present.
///
/// Fails with a [`RequestError`] naming the field path for invalid JSON, a missing `model` or
/// `messages`, a wrong type, an unknown role or an undecodable `data:` URL.
pub fn parse_chat_request(body: &[u8]) -> Result<ChatRequest, RequestError> {
    let map = json::parse_object(body)?;
    let mut req = ChatRequest {
        source: Some(WireApi::OpenAiChat),
        ..ChatRequest::default()
    };
    let mut model = None;
    let mut messages = None;
    let mut max_tokens = None;
    let mut max_completion_tokens = None;
    for (key, value) in map {
        let k = key.as_str();
        match k {
            "model" => model = Some(json::string(value, k)?),
            "messages" => messages = Some(value),
            "max_tokens" => max_tokens = json::opt_u32(value, k)?,
            "max_completion_tokens" => max_completion_tokens = json::opt_u32(value, k)?,
            "temperature" => req.temperature = json::opt_f64(value, k)?,
            "top_p" => req.top_p = json::opt_f64(value, k)?,
            "n" => req.n = json::opt_u32(value, k)?,
            "seed" => req.seed = json::opt_i64(value, k)?,
            "presence_penalty" => req.presence_penalty = json::opt_f64(value, k)?,
            "frequency_penalty" => req.frequency_penalty = json::opt_f64(value, k)?,
            "logprobs" => req.logprobs = json::opt_bool(value, k)?,
            "top_logprobs" => req.top_logprobs = json::opt_u32(value, k)?,
            "user" => req.user = json::opt_string(value, k)?,
            "reasoning_effort" => {
                req.reasoning = json::opt_string(value, k)?.map(|effort| Reasoning {
                    effort: Some(effort),
                    budget_tokens: None,
                });
            }
            "stream" => req.stream = json::opt_bool(value, k)?.unwrap_or(false),
            "stream_options" => parse_stream_options(value, &mut req)?,
            "stop" => req.stop = parse_stop(value)?,
            "tools" => parse_tools(value, &mut req)?,
            "tool_choice" => parse_tool_choice(value, &mut req)?,
            "parallel_tool_calls" => req.parallel_tool_calls = json::opt_bool(value, k)?,
            "response_format" => parse_response_format(value, &mut req)?,
            _ => {
                req.extra.insert(key, value);
            }
        }
    }
    req.model = model.ok_or_else(|| json::missing("model"))?;
    req.max_tokens = max_completion_tokens.or(max_tokens);
    let messages = messages.ok_or_else(|| json::missing("messages"))?;
    req.messages = MessageParser::default().parse(json::array(messages, "messages")?, &mut req)?;
    Ok(req)
}

fn parse_stream_options(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    if value.is_null() {
        return Ok(());
    }
    for (key, value) in json::object(value, "stream_options")? {
        if key == "include_usage" {
            let path = "stream_options.include_usage";
            req.stream_include_usage = json::opt_bool(value, path)?.unwrap_or(false);
        } else {
            req.extra.insert(join("stream_options", &key), value);
        }
    }
    Ok(())
}

fn parse_stop(value: Value) -> Result<Vec<String>, RequestError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s]),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| json::string(v, &index("stop", i)))
            .collect(),
        other => Err(json::type_error(
            "stop",
            "a string or an array of strings",
            &other,
        )),
    }
}

fn parse_tools(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    if value.is_null() {
        return Ok(());
    }
    for (i, tool) in json::array(value, "tools")?.into_iter().enumerate() {
        let path = index("tools", i);
        let mut obj = json::object(tool, &path)?;
        let kind = match obj.get("type") {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(other) => return Err(json::type_error(&join(&path, "type"), "a string", other)),
        };
        if !matches!(kind, None | Some("function")) {
            // Custom and future tool types: forwarded verbatim to OpenAI only.
            req.extra.insert(path, Value::Object(obj));
            continue;
        }
        let fpath = join(&path, "function");
        let function = obj
            .remove("function")
            .ok_or_else(|| json::missing(&fpath))?;
        for (key, value) in obj {
            if key != "type" {
                req.extra.insert(join(&path, &key), value);
            }
        }
        let mut name = None;
        let mut tool = Tool {
            name: String::new(),
            description: None,
            parameters: Value::Null,
            strict: None,
            cache_control: None,
        };
        for (key, value) in json::object(function, &fpath)? {
            let p = join(&fpath, &key);
            match key.as_str() {
                "name" => name = Some(json::string(value, &p)?),
                "description" => tool.description = json::opt_string(value, &p)?,
                "parameters" => tool.parameters = value,
                "strict" => tool.strict = json::opt_bool(value, &p)?,
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        tool.name = name.ok_or_else(|| json::missing(&join(&fpath, "name")))?;
        req.tools.push(tool);
    }
    Ok(())
}

fn parse_tool_choice(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    req.tool_choice = match value {
        Value::Null => None,
        Value::String(s) => Some(match s.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Required,
            _ => {
                return Err(json::invalid(
                    "tool_choice",
                    format_args!("unknown value `{s}`; expected none, auto, required or an object"),
                ));
            }
        }),
        Value::Object(obj) => {
            let named = obj.get("type").and_then(Value::as_str) == Some("function")
                && obj
                    .get("function")
                    .and_then(|f| f.get("name"))
                    .is_some_and(Value::is_string);
            if !named {
                // `allowed_tools`, `custom` and future forms travel to OpenAI only.
                req.extra
                    .insert(String::from("tool_choice"), Value::Object(obj));
                return Ok(());
            }
            let name = obj
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            Some(ToolChoice::Tool { name })
        }
        other => {
            return Err(json::type_error(
                "tool_choice",
                "a string or an object",
                &other,
            ));
        }
    };
    Ok(())
}

fn parse_response_format(value: Value, req: &mut ChatRequest) -> Result<(), RequestError> {
    let mut obj = match value {
        Value::Null => return Ok(()),
        other => json::object(other, "response_format")?,
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default();
    req.response_format = match kind {
        "text" => Some(ResponseFormat::Text),
        "json_object" => Some(ResponseFormat::JsonObject),
        "json_schema" => {
            let path = "response_format.json_schema";
            let schema = obj
                .remove("json_schema")
                .ok_or_else(|| json::missing(path))?;
            let mut name = None;
            let mut format = (None, Value::Object(Map::new()), None);
            for (key, value) in json::object(schema, path)? {
                let p = join(path, &key);
                match key.as_str() {
                    "name" => name = Some(json::string(value, &p)?),
                    "description" => format.0 = json::opt_string(value, &p)?,
                    "schema" => format.1 = value,
                    "strict" => format.2 = json::opt_bool(value, &p)?,
                    _ => {
                        req.extra.insert(p, value);
                    }
                }
            }
            Some(ResponseFormat::JsonSchema {
                name: name.ok_or_else(|| json::missing(&join(path, "name")))?,
                description: format.0,
                schema: format.1,
                strict: format.2,
            })
        }
        _ => {
            req.extra
                .insert(String::from("response_format"), Value::Object(obj));
            None
        }
    };
    Ok(())
}

/// Parses the messages array, remembering assistant tool calls so that tool results can be
/// given the tool's name.
#[derive(Default)]
struct MessageParser {
    /// Tool call id → tool name.
    names: HashMap<String, String>,
    /// Legacy function name → id of its most recent call.
    last_call: HashMap<String, String>,
}

impl MessageParser {
    fn parse(
        mut self,
        items: Vec<Value>,
        req: &mut ChatRequest,
    ) -> Result<Vec<Message>, RequestError> {
        let mut messages = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let path = index("messages", i);
            let mut obj = json::object(item, &path)?;
            let role_path = join(&path, "role");
            let role = json::string(
                obj.remove("role")
                    .ok_or_else(|| json::missing(&role_path))?,
                &role_path,
            )?;
            let message = match role.as_str() {
                "system" => self.plain(Role::System, obj, &path, req)?,
                "developer" => self.plain(Role::Developer, obj, &path, req)?,
                "user" => self.plain(Role::User, obj, &path, req)?,
                "assistant" => self.assistant(obj, &path, i, req)?,
                "tool" => self.tool(obj, &path, req)?,
                "function" => self.function(obj, &path, i, req)?,
                other => {
                    return Err(json::invalid(
                        &role_path,
                        format_args!(
                            "unknown role `{other}`; expected system, developer, user, \
                             assistant, tool or function"
                        ),
                    ));
                }
            };
            messages.push(message);
        }
        Ok(messages)
    }

    fn plain(
        &mut self,
        role: Role,
        obj: Map<String, Value>,
        path: &str,
        req: &mut ChatRequest,
    ) -> Result<Message, RequestError> {
        let mut message = Message {
            role,
            content: Vec::new(),
            name: None,
        };
        for (key, value) in obj {
            let p = join(path, &key);
            match key.as_str() {
                "content" => message.content = parse_content(value, &p, req)?,
                "name" => message.name = json::opt_string(value, &p)?,
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        Ok(message)
    }

    fn assistant(
        &mut self,
        obj: Map<String, Value>,
        path: &str,
        msg_index: usize,
        req: &mut ChatRequest,
    ) -> Result<Message, RequestError> {
        let mut thinking = None;
        let mut content = Vec::new();
        let mut calls = Vec::new();
        let mut name = None;
        for (key, value) in obj {
            let p = join(path, &key);
            match key.as_str() {
                "content" => content = parse_content(value, &p, req)?,
                "name" => name = json::opt_string(value, &p)?,
                "reasoning_content" => thinking = json::opt_string(value, &p)?,
                "tool_calls" if !value.is_null() => {
                    for (k, call) in json::array(value, &p)?.into_iter().enumerate() {
                        calls.push(parse_tool_call(call, &index(&p, k), req)?);
                    }
                }
                "function_call" if !value.is_null() => {
                    let mut call = parse_function(value, &p)?;
                    call.id = ids::derive(
                        "call_",
                        &[call.name.as_bytes(), msg_index.to_string().as_bytes()],
                    );
                    calls.push(call);
                }
                "tool_calls" | "function_call" => {}
                "refusal" if value.is_null() => {}
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        for call in &calls {
            self.names.insert(call.id.clone(), call.name.clone());
            self.last_call.insert(call.name.clone(), call.id.clone());
        }
        let mut parts = Vec::with_capacity(content.len() + calls.len() + 1);
        if let Some(text) = thinking {
            parts.push(Part::Thinking {
                text,
                signature: None,
            });
        }
        parts.extend(content);
        parts.extend(calls.into_iter().map(Part::ToolCall));
        Ok(Message {
            role: Role::Assistant,
            content: parts,
            name,
        })
    }

    fn tool(
        &mut self,
        obj: Map<String, Value>,
        path: &str,
        req: &mut ChatRequest,
    ) -> Result<Message, RequestError> {
        let mut id = None;
        let mut content = Vec::new();
        for (key, value) in obj {
            let p = join(path, &key);
            match key.as_str() {
                "tool_call_id" => id = Some(json::string(value, &p)?),
                "content" => content = parse_content(value, &p, req)?,
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        let tool_call_id = id.ok_or_else(|| json::missing(&join(path, "tool_call_id")))?;
        let name = self.names.get(&tool_call_id).cloned();
        Ok(tool_message(tool_call_id, name, content))
    }

    fn function(
        &mut self,
        obj: Map<String, Value>,
        path: &str,
        msg_index: usize,
        req: &mut ChatRequest,
    ) -> Result<Message, RequestError> {
        let mut name = None;
        let mut content = Vec::new();
        for (key, value) in obj {
            let p = join(path, &key);
            match key.as_str() {
                "name" => name = Some(json::string(value, &p)?),
                "content" => content = parse_content(value, &p, req)?,
                _ => {
                    req.extra.insert(p, value);
                }
            }
        }
        let name = name.ok_or_else(|| json::missing(&join(path, "name")))?;
        let id = self.last_call.get(&name).cloned().unwrap_or_else(|| {
            ids::derive(
                "call_",
                &[name.as_bytes(), msg_index.to_string().as_bytes()],
            )
        });
        Ok(tool_message(id, Some(name), content))
    }
}

fn tool_message(tool_call_id: String, name: Option<String>, content: Vec<Part>) -> Message {
    Message {
        role: Role::Tool,
        content: vec![Part::ToolResult(ToolResult {
            tool_call_id,
            name,
            content,
            is_error: false,
        })],
        name: None,
    }
}

fn parse_tool_call(
    value: Value,
    path: &str,
    req: &mut ChatRequest,
) -> Result<ToolCall, RequestError> {
    let mut obj = json::object(value, path)?;
    let fpath = join(path, "function");
    let function = obj
        .remove("function")
        .ok_or_else(|| json::missing(&fpath))?;
    let mut call = parse_function(function, &fpath)?;
    for (key, value) in obj {
        let p = join(path, &key);
        match key.as_str() {
            "id" => call.id = json::string(value, &p)?,
            "type" => {}
            _ => {
                req.extra.insert(p, value);
            }
        }
    }
    if call.id.is_empty() {
        return Err(json::missing(&join(path, "id")));
    }
    Ok(call)
}

/// `{name, arguments}`; `arguments` as an object (sent by some clients) is serialised.
fn parse_function(value: Value, path: &str) -> Result<ToolCall, RequestError> {
    let mut call = ToolCall {
        id: String::new(),
        name: String::new(),
        arguments: String::new(),
    };
    for (key, value) in json::object(value, path)? {
        let p = join(path, &key);
        match key.as_str() {
            "name" => call.name = json::string(value, &p)?,
            "arguments" => {
                call.arguments = match value {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other @ Value::Object(_) => json::compact(&other),
                    other => return Err(json::type_error(&p, "a string", &other)),
                }
            }
            // Nothing else is documented; unknown keys here carry no meaning for any upstream.
            _ => {}
        }
    }
    Ok(call)
}

/// Message content: a string, `null`, or an array of content parts.
fn parse_content(
    value: Value,
    path: &str,
    req: &mut ChatRequest,
) -> Result<Vec<Part>, RequestError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(text) => Ok(vec![Part::Text {
            text,
            cache_control: None,
        }]),
        Value::Array(items) => {
            let mut parts = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let p = index(path, i);
                if let Some(part) = parse_part(item, &p, req)? {
                    parts.push(part);
                }
            }
            Ok(parts)
        }
        other => Err(json::type_error(
            path,
            "a string or an array of content parts",
            &other,
        )),
    }
}

/// One content part; `None` when it was kept in `extra` instead.
fn parse_part(
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
    let part = match kind.as_str() {
        "text" => {
            let p = join(path, "text");
            let text = json::string(obj.remove("text").ok_or_else(|| json::missing(&p))?, &p)?;
            let cache_control = obj.remove("cache_control").filter(|v| !v.is_null());
            Part::Text {
                text,
                cache_control,
            }
        }
        "image_url" => {
            let p = join(path, "image_url");
            let (url, detail) = match obj.remove("image_url") {
                // Some clients send the URL directly.
                Some(Value::String(url)) => (url, None),
                Some(value) => {
                    let mut image = json::object(value, &p)?;
                    let url_path = join(&p, "url");
                    let url = json::string(
                        image
                            .remove("url")
                            .ok_or_else(|| json::missing(&url_path))?,
                        &url_path,
                    )?;
                    let detail = match image.remove("detail") {
                        Some(v) => json::opt_string(v, &join(&p, "detail"))?,
                        None => None,
                    };
                    (url, detail)
                }
                None => return Err(json::missing(&p)),
            };
            Part::Image {
                source: media_from_url(url, &join(&p, "url"))?,
                detail,
            }
        }
        "input_audio" => {
            let p = join(path, "input_audio");
            let mut audio = json::object(
                obj.remove("input_audio").ok_or_else(|| json::missing(&p))?,
                &p,
            )?;
            let data_path = join(&p, "data");
            let data = json::string(
                audio
                    .remove("data")
                    .ok_or_else(|| json::missing(&data_path))?,
                &data_path,
            )?;
            let format = match audio.remove("format") {
                Some(v) => json::opt_string(v, &join(&p, "format"))?,
                None => None,
            };
            Part::Document {
                source: MediaSource::Base64 {
                    media_type: audio_media_type(format.as_deref().unwrap_or("wav")),
                    data,
                },
                name: None,
            }
        }
        "file" => {
            let p = join(path, "file");
            let mut file = json::object(obj.remove("file").ok_or_else(|| json::missing(&p))?, &p)?;
            let filename = match file.remove("filename") {
                Some(v) => json::opt_string(v, &join(&p, "filename"))?,
                None => None,
            };
            match file.remove("file_data") {
                Some(Value::String(data)) => Part::Document {
                    source: media_from_file_data(
                        data,
                        filename.as_deref(),
                        &join(&p, "file_data"),
                    )?,
                    name: filename,
                },
                Some(other) if !other.is_null() => {
                    return Err(json::type_error(&join(&p, "file_data"), "a string", &other));
                }
                _ => {
                    // A `file_id` refers to OpenAI's Files API: it cannot be carried elsewhere.
                    if let Some(filename) = filename {
                        file.insert(String::from("filename"), Value::String(filename));
                    }
                    obj.insert(String::from("file"), Value::Object(file));
                    req.extra.insert(path.to_owned(), Value::Object(obj));
                    return Ok(None);
                }
            }
        }
        _ => {
            // `refusal` parts of assistant messages and unknown part types.
            req.extra.insert(path.to_owned(), Value::Object(obj));
            return Ok(None);
        }
    };
    Ok(Some(part))
}

/// `audio/*` media type for an OpenAI `input_audio.format`.
pub(crate) fn audio_media_type(format: &str) -> String {
    match format {
        "mp3" => String::from("audio/mpeg"),
        other => format!("audio/{other}"),
    }
}

/// An image URL: `data:` URLs become inline base64, anything else stays a URL.
fn media_from_url(url: String, path: &str) -> Result<MediaSource, RequestError> {
    if url.starts_with("data:") {
        return parse_data_url(&url, path);
    }
    Ok(MediaSource::Url { url })
}

fn media_from_file_data(
    data: String,
    filename: Option<&str>,
    path: &str,
) -> Result<MediaSource, RequestError> {
    if data.starts_with("data:") {
        return parse_data_url(&data, path);
    }
    let extension = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    let media_type = match extension.as_deref() {
        Some("txt") => "text/plain",
        Some("md") => "text/markdown",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        _ => "application/pdf",
    };
    Ok(MediaSource::Base64 {
        media_type: media_type.to_owned(),
        data,
    })
}

/// `data:<media type>[;params];base64,<data>` → inline base64. The header ends at the first
/// `;base64,` (base64 data never contains `;` or `,`), so odd media types survive.
pub(crate) fn parse_data_url(url: &str, path: &str) -> Result<MediaSource, RequestError> {
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(json::invalid(path, "malformed data URL"));
    };
    let marker = [";base64,", ";BASE64,", ";Base64,"]
        .iter()
        .find_map(|m| rest.find(m).map(|at| (at, m.len())));
    let Some((at, len)) = marker else {
        return Err(json::invalid(path, "only base64 data URLs are supported"));
    };
    let header = rest.get(..at).unwrap_or_default();
    let data = rest.get(at + len..).unwrap_or_default();
    let media_type = header.split(';').next().unwrap_or_default();
    Ok(MediaSource::Base64 {
        media_type: if media_type.is_empty() {
            String::from("application/octet-stream")
        } else {
            media_type.to_ascii_lowercase()
        },
        data: data.to_owned(),
    })
}
