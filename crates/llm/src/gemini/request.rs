//! Canonical chat requests into `generateContent` bodies.

use std::borrow::Cow;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::Converted;
use crate::canonical::{
    ChatRequest, MediaSource, Message, Part, ResponseFormat, Role, ToolChoice, ToolResult, WireApi,
};
use crate::error::ConvertError;
use crate::extra::{Extras, TopLevel};

use super::{SKIP_THOUGHT_SIGNATURE, paths, schema};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateRequest<'a> {
    contents: Vec<Content<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Content<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<ToolEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_config: Option<ToolConfig<'a>>,
    #[serde(skip_serializing_if = "GenerationConfig::is_empty")]
    generation_config: GenerationConfig<'a>,
    /// Fields of a request that arrived in Gemini's own format, forwarded verbatim.
    #[serde(flatten)]
    extra: TopLevel<'a>,
}

/// The top-level fields this builder writes; extra fields with these names are never forwarded.
const BUILT_FIELDS: [&str; 5] = [
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "generationConfig",
];

#[derive(Serialize)]
struct Content<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    parts: Vec<PartOut<'a>>,
}

/// A Gemini `Part`: exactly one of the data members is set.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct PartOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inline_data: Option<Blob<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_data: Option<FileData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<FunctionCall<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_response: Option<FunctionResponse<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thought_signature: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Blob<'a> {
    mime_type: &'a str,
    data: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FileData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'static str>,
    file_uri: &'a str,
}

#[derive(Serialize)]
struct FunctionCall<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct FunctionResponse<'a> {
    name: &'a str,
    response: ResultValue<'a>,
}

/// A tool result as Gemini's `functionResponse.response` object. Gemini reads an `output` key as
/// the function's output and an `error` key as its failure; any other object is the output.
enum ResultValue<'a> {
    /// The tool returned a JSON object: sent as it is.
    Object(&'a RawValue),
    /// Anything else, under `output` (or `error` when the tool failed).
    Keyed {
        key: &'static str,
        value: KeyedValue<'a>,
    },
}

enum KeyedValue<'a> {
    Object(&'a RawValue),
    Text(Cow<'a, str>),
}

impl Serialize for ResultValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResultValue::Object(raw) => raw.serialize(serializer),
            ResultValue::Keyed { key, value } => {
                let mut map = serializer.serialize_map(Some(1))?;
                match value {
                    KeyedValue::Object(raw) => map.serialize_entry(key, raw)?,
                    KeyedValue::Text(text) => map.serialize_entry(key, text)?,
                }
                map.end()
            }
        }
    }
}

/// One element of `tools`: the function declarations, or a Gemini tool forwarded verbatim from
/// a request in Gemini's own format (`googleSearch`, `codeExecution`...).
#[derive(Serialize)]
#[serde(untagged)]
enum ToolEntry<'a> {
    Functions(Tools<'a>),
    Raw(&'a Value),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tools<'a> {
    function_declarations: Vec<FunctionDeclaration<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionDeclaration<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameters_json_schema: Option<Cow<'a, Value>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig<'a> {
    function_calling_config: FunctionCallingConfig<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FunctionCallingConfig<'a> {
    mode: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_function_names: Option<[&'a str; 1]>,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig<'a> {
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    stop_sequences: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    response_mime_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_json_schema: Option<Cow<'a, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    candidate_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thinking_config: Option<ThinkingConfig>,
}

impl GenerationConfig<'_> {
    fn is_empty(&self) -> bool {
        self.stop_sequences.is_empty()
            && self.response_mime_type.is_none()
            && self.response_json_schema.is_none()
            && self.candidate_count.is_none()
            && self.max_output_tokens.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.top_k.is_none()
            && self.seed.is_none()
            && self.presence_penalty.is_none()
            && self.frequency_penalty.is_none()
            && self.response_logprobs.is_none()
            && self.logprobs.is_none()
            && self.thinking_config.is_none()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ThinkingConfig {
    thinking_budget: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    include_thoughts: bool,
}

/// Builds the body of `models/{model}:generateContent` (and of `:streamGenerateContent?alt=sse`,
/// which takes the same body) from a canonical request.
///
/// Runs once per chat request routed to Gemini. The mapping:
/// * System and developer messages → `systemInstruction` (text only), in order, wherever they
///   were. User and tool messages → `user` turns, assistant messages → `model` turns; adjacent
///   turns of the same role are merged, as Gemini wants alternating turns. Empty texts are left
///   out (Gemini rejects empty parts).
/// * Base64 images and documents → `inlineData` (also `data:` URLs); `gs://` and Gemini Files API
///   URLs → `fileData`; other HTTPS URLs → `fileData` too, as Gemini now fetches public and
///   pre-signed URLs itself, when the MIME type is known from the file extension (Gemini needs
///   it); any other URL is dropped (reported). Image `detail` and document names have no Gemini
///   field (reported).
/// * Assistant tool calls → `functionCall` (the arguments text must be a JSON object, else
///   [`ConvertError`] naming the field); the first call of each model turn carries
///   [`super::SKIP_THOUGHT_SIGNATURE`]. Tool results → `functionResponse` with the function name
///   (from the result, else looked up from the call it answers; [`ConvertError`] if neither
///   names it): a result whose text is a JSON object is sent as the response object, any other
///   text as `{"output": text}`, failed results as `{"error": ...}`. Images inside tool results
///   are dropped (reported).
/// * Tools → one `functionDeclarations` list with `parametersJsonSchema`, which takes JSON Schema
///   as it is (only the root is normalised: no `$schema`, `type: object` when missing, left out
///   for functions without parameters);
///   `tool_choice` → `functionCallingConfig` mode `AUTO`, `NONE`, `ANY`, or `ANY` restricted to
///   one function by `allowedFunctionNames`.
/// * Sampling and limits → `generationConfig`; `json_object` / `json_schema` response formats →
///   `responseMimeType: application/json` (+ `responseJsonSchema`); reasoning →
///   `thinkingConfig` (a token budget wins over an effort; efforts map to Google's published
///   budgets: none 0, minimal and low 1024, medium 8192, high 24576; thoughts are included).
/// * Reported in `dropped`, as the caller's field paths: `parallel_tool_calls: false`, `user`, a
///   `seed` outside Gemini's 32-bit range, `top_logprobs` without `logprobs`, message `name`s,
///   thinking blocks and their signatures (Gemini cannot take them back), `strict` on tools, a
///   `json_schema` description, an unknown reasoning effort, `tool_choice` without tools, and
///   every extra field (by its path) unless the request arrived in Gemini's own format (then
///   top-level ones are forwarded and `tools[N]` entries join `tools`). Anthropic
///   `cache_control` markers are left out silently (cost, not meaning).
///
/// Fails with [`ConvertError`] when the conversation has no user or assistant content, when tool
/// call arguments are not a JSON object, or when a tool result's function cannot be named.
pub fn build_generate_request(req: &ChatRequest) -> Result<Converted, ConvertError> {
    let mut dropped = Vec::new();
    let mut system = Vec::new();
    let mut contents: Vec<Content<'_>> = Vec::new();
    for (i, message) in req.messages.iter().enumerate() {
        if message.name.is_some() {
            dropped.push(format!("{}.name", paths::message(req, i)));
        }
        if matches!(message.role, Role::System | Role::Developer) {
            for (j, part) in message.content.iter().enumerate() {
                match part {
                    Part::Text { text, .. } if text.is_empty() => {}
                    Part::Text { text, .. } => system.push(PartOut {
                        text: Some(text),
                        ..PartOut::default()
                    }),
                    _ => dropped.push(paths::part(req, i, j)),
                }
            }
            continue;
        }
        let role = if message.role == Role::Assistant {
            "model"
        } else {
            "user"
        };
        let parts = message_parts(req, i, message, &mut dropped)?;
        if parts.is_empty() {
            continue;
        }
        match contents.last_mut() {
            Some(last) if last.role == Some(role) => last.parts.extend(parts),
            _ => contents.push(Content {
                role: Some(role),
                parts,
            }),
        }
    }
    if contents.is_empty() {
        return Err(ConvertError::new(
            "messages: Gemini needs at least one user or assistant message with content",
            Some("messages".to_owned()),
        ));
    }
    for content in contents.iter_mut().filter(|c| c.role == Some("model")) {
        if let Some(first_call) = content.parts.iter_mut().find(|p| p.function_call.is_some()) {
            first_call.thought_signature = Some(SKIP_THOUGHT_SIGNATURE);
        }
    }

    let mut tools: Vec<ToolEntry<'_>> = function_declarations(req, &mut dropped)
        .map(ToolEntry::Functions)
        .into_iter()
        .collect();
    let tool_config = tool_config(req, !tools.is_empty(), &mut dropped);
    let generation_config = generation_config(req, &mut dropped);
    let native = req.source == Some(WireApi::GeminiGenerate);
    let extras = Extras::split(&req.extra, native, &BUILT_FIELDS, &mut dropped);
    tools.extend(extras.tools.into_iter().map(ToolEntry::Raw));
    let body = GenerateRequest {
        contents,
        system_instruction: (!system.is_empty()).then_some(Content {
            role: None,
            parts: system,
        }),
        tools,
        tool_config,
        generation_config,
        extra: extras.top_level,
    };
    Ok(Converted {
        body: serde_json::to_vec(&body).map_err(|e| {
            ConvertError::new(format!("could not serialise the Gemini request: {e}"), None)
        })?,
        dropped,
    })
}

/// The Gemini parts of a user, tool or assistant message.
fn message_parts<'a>(
    req: &'a ChatRequest,
    i: usize,
    message: &'a Message,
    dropped: &mut Vec<String>,
) -> Result<Vec<PartOut<'a>>, ConvertError> {
    let mut parts = Vec::with_capacity(message.content.len());
    for (j, part) in message.content.iter().enumerate() {
        match part {
            Part::Text { text, .. } => {
                if !text.is_empty() {
                    parts.push(PartOut {
                        text: Some(text),
                        ..PartOut::default()
                    });
                }
            }
            // A part Gemini cannot read is reported whole; otherwise its unsupported details.
            Part::Image { source, detail } => match media(source) {
                Some(media) => {
                    if detail.as_deref().is_some_and(|d| d != "auto") {
                        dropped.push(format!("{}.image_url.detail", paths::part(req, i, j)));
                    }
                    parts.push(media);
                }
                None => dropped.push(paths::part(req, i, j)),
            },
            Part::Document { source, name } => match media(source) {
                Some(media) => {
                    if name.is_some() {
                        dropped.push(paths::document_name(req, i, j));
                    }
                    parts.push(media);
                }
                None => dropped.push(paths::part(req, i, j)),
            },
            Part::ToolCall(call) => parts.push(PartOut {
                function_call: Some(FunctionCall {
                    name: &call.name,
                    args: call_arguments(&call.arguments)
                        .map_err(|why| arguments_error(req, i, j, why))?,
                }),
                ..PartOut::default()
            }),
            Part::ToolResult(result) => {
                parts.push(PartOut {
                    function_response: Some(function_response(req, i, j, result, dropped)?),
                    ..PartOut::default()
                });
            }
            Part::Thinking { .. } | Part::RedactedThinking { .. } => {
                let path = paths::part(req, i, j);
                if !dropped.contains(&path) {
                    dropped.push(path);
                }
            }
        }
    }
    Ok(parts)
}

/// An image or document as inline bytes or a file reference; `None` if Gemini cannot read it.
fn media(source: &MediaSource) -> Option<PartOut<'_>> {
    let (mime_type, file_uri) = match source {
        MediaSource::Base64 { media_type, data } => {
            return Some(PartOut {
                inline_data: Some(Blob {
                    mime_type: media_type,
                    data,
                }),
                ..PartOut::default()
            });
        }
        MediaSource::Url { url } => {
            if let Some((mime_type, data)) = data_url(url) {
                return Some(PartOut {
                    inline_data: Some(Blob { mime_type, data }),
                    ..PartOut::default()
                });
            }
            match url_kind(url)? {
                // Gemini knows the type of its own files and of Cloud Storage objects.
                UrlKind::Google => (mime_from_extension(url), url),
                UrlKind::External => (Some(mime_from_extension(url)?), url),
            }
        }
    };
    Some(PartOut {
        file_data: Some(FileData {
            mime_type,
            file_uri,
        }),
        ..PartOut::default()
    })
}

/// Splits a base64 `data:` URL into its MIME type and data.
fn data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime_type = meta.strip_suffix(";base64")?;
    (!mime_type.is_empty()).then_some((mime_type, data))
}

/// The URLs Gemini fetches itself.
enum UrlKind {
    /// Cloud Storage objects (`gs://`) and Gemini Files API files
    /// (`https://generativelanguage.googleapis.com/<version>/files/<id>`).
    Google,
    /// Any other HTTPS URL: public or pre-signed, fetched by Gemini while it processes the
    /// request (supported since January 2026), which needs to be told the MIME type.
    External,
}

fn url_kind(url: &str) -> Option<UrlKind> {
    if url.starts_with("gs://") {
        return Some(UrlKind::Google);
    }
    let files_api = url
        .strip_prefix("https://generativelanguage.googleapis.com/")
        .and_then(|path| path.split_once('/'))
        .is_some_and(|(_version, rest)| rest.starts_with("files/"));
    if files_api {
        Some(UrlKind::Google)
    } else if url.starts_with("https://") {
        Some(UrlKind::External)
    } else {
        None
    }
}

/// The MIME type of a file URL by its extension, for `fileData`.
fn mime_from_extension(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ => return None,
    })
}

/// The arguments of a tool call as a raw JSON object (`None` for an empty text, which OpenAI
/// clients send for calls without arguments); `Err` explains why the text is not usable.
fn call_arguments(text: &str) -> Result<Option<&RawValue>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let raw: &RawValue = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if raw.get().trim_start().starts_with('{') {
        Ok(Some(raw))
    } else {
        Err("a JSON object is required".to_owned())
    }
}

fn arguments_error(req: &ChatRequest, i: usize, j: usize, why: String) -> ConvertError {
    let path = paths::tool_call_arguments(req, i, j);
    ConvertError::new(
        format!("{path}: Gemini needs the tool call arguments as a JSON object ({why})"),
        Some(path),
    )
}

fn function_response<'a>(
    req: &'a ChatRequest,
    i: usize,
    j: usize,
    result: &'a ToolResult,
    dropped: &mut Vec<String>,
) -> Result<FunctionResponse<'a>, ConvertError> {
    let name = match result.name.as_deref() {
        Some(name) => name,
        None => call_name(req, &result.tool_call_id).ok_or_else(|| {
            let path = paths::tool_result_id(req, i, j);
            ConvertError::new(
                format!(
                    "{path}: no earlier tool call has the id `{}`, and Gemini needs the function \
                     name of every tool result",
                    result.tool_call_id
                ),
                Some(path),
            )
        })?,
    };
    let mut texts = Vec::new();
    for (k, part) in result.content.iter().enumerate() {
        match part {
            Part::Text { text, .. } => texts.push(text.as_str()),
            _ => dropped.push(paths::tool_result_part(req, i, j, k)),
        }
    }
    let key = if result.is_error { "error" } else { "output" };
    let response = match texts[..] {
        [one] => match serde_json::from_str::<&RawValue>(one) {
            Ok(raw) if raw.get().trim_start().starts_with('{') => {
                if result.is_error {
                    ResultValue::Keyed {
                        key,
                        value: KeyedValue::Object(raw),
                    }
                } else {
                    ResultValue::Object(raw)
                }
            }
            _ => ResultValue::Keyed {
                key,
                value: KeyedValue::Text(Cow::Borrowed(one)),
            },
        },
        _ => ResultValue::Keyed {
            key,
            value: KeyedValue::Text(Cow::Owned(texts.join("\n"))),
        },
    };
    Ok(FunctionResponse { name, response })
}

/// The function name of the earlier tool call with this id.
fn call_name<'a>(req: &'a ChatRequest, id: &str) -> Option<&'a str> {
    req.messages
        .iter()
        .flat_map(|m| m.content.iter())
        .find_map(|part| match part {
            Part::ToolCall(call) if call.id == id => Some(call.name.as_str()),
            _ => None,
        })
}

fn function_declarations<'a>(req: &'a ChatRequest, dropped: &mut Vec<String>) -> Option<Tools<'a>> {
    if req.tools.is_empty() {
        return None;
    }
    let declarations = req
        .tools
        .iter()
        .enumerate()
        .map(|(k, tool)| {
            if tool.strict == Some(true) {
                dropped.push(paths::tool_field(req, k, "strict"));
            }
            FunctionDeclaration {
                name: &tool.name,
                description: tool.description.as_deref().filter(|d| !d.is_empty()),
                parameters_json_schema: schema::function_parameters(&tool.parameters),
            }
        })
        .collect();
    Some(Tools {
        function_declarations: declarations,
    })
}

fn tool_config<'a>(
    req: &'a ChatRequest,
    has_tools: bool,
    dropped: &mut Vec<String>,
) -> Option<ToolConfig<'a>> {
    if req.parallel_tool_calls == Some(false) && has_tools {
        dropped.push(paths::field(
            req,
            "parallel_tool_calls",
            "tool_choice.disable_parallel_tool_use",
        ));
    }
    let choice = req.tool_choice.as_ref()?;
    if !has_tools {
        // Without tools, "auto" and "none" already hold; a demand for a call cannot be met.
        if matches!(choice, ToolChoice::Required | ToolChoice::Tool { .. }) {
            dropped.push("tool_choice".to_owned());
        }
        return None;
    }
    let (mode, allowed_function_names) = match choice {
        ToolChoice::Auto => ("AUTO", None),
        ToolChoice::None => ("NONE", None),
        ToolChoice::Required => ("ANY", None),
        ToolChoice::Tool { name } => ("ANY", Some([name.as_str()])),
    };
    Some(ToolConfig {
        function_calling_config: FunctionCallingConfig {
            mode,
            allowed_function_names,
        },
    })
}

fn generation_config<'a>(req: &'a ChatRequest, dropped: &mut Vec<String>) -> GenerationConfig<'a> {
    let mut config = GenerationConfig {
        stop_sequences: &req.stop,
        candidate_count: req.n,
        max_output_tokens: req.max_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: req.top_k,
        presence_penalty: req.presence_penalty,
        frequency_penalty: req.frequency_penalty,
        ..GenerationConfig::default()
    };
    if let Some(seed) = req.seed {
        match i32::try_from(seed) {
            Ok(seed) => config.seed = Some(seed),
            Err(_) => dropped.push("seed".to_owned()),
        }
    }
    if req.logprobs == Some(true) {
        config.response_logprobs = Some(true);
        config.logprobs = req.top_logprobs.filter(|n| *n > 0);
    } else if req.top_logprobs.is_some_and(|n| n > 0) {
        dropped.push("top_logprobs".to_owned());
    }
    match &req.response_format {
        None | Some(ResponseFormat::Text) => {}
        Some(ResponseFormat::JsonObject) => config.response_mime_type = Some("application/json"),
        Some(ResponseFormat::JsonSchema {
            schema: json_schema,
            description,
            ..
        }) => {
            config.response_mime_type = Some("application/json");
            config.response_json_schema = Some(schema::response_schema(json_schema));
            if description.is_some() {
                dropped.push("response_format.json_schema.description".to_owned());
            }
        }
    }
    if let Some(reasoning) = &req.reasoning {
        let effort = reasoning.effort.as_deref();
        let budget = reasoning
            .budget_tokens
            .or_else(|| effort.and_then(effort_budget));
        match budget {
            Some(budget) => {
                config.thinking_config = Some(ThinkingConfig {
                    thinking_budget: budget,
                    include_thoughts: budget > 0,
                });
            }
            None if effort.is_some() => {
                dropped.push(paths::field(req, "reasoning_effort", "thinking"));
            }
            None => {}
        }
    }
    if req.user.is_some() {
        dropped.push(paths::field(req, "user", "metadata.user_id"));
    }
    config
}

/// The thinking budget Google publishes for an OpenAI reasoning effort.
fn effort_budget(effort: &str) -> Option<u32> {
    Some(match effort {
        "none" => 0,
        "minimal" | "low" => 1024,
        "medium" => 8192,
        "high" => 24576,
        _ => return None,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
