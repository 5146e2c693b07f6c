//! The built-in `mock` provider: deterministic answers for demos and tests, with no network.
//!
//! It speaks the OpenAI wire format (so it exercises the same paths as a real provider) and
//! chooses its behaviour from the model name and from markers in the last user message:
//!
//! | model name        | marker                     | behaviour                                      |
//! |-------------------|----------------------------|------------------------------------------------|
//! | any `mock*`       |                            | echo: `Echo: <last user text>`                 |
//! | `mock-tools`      | `[[mock:tool_call]]`       | call the first tool offered (or `=NAME`)       |
//! |                   | `[[mock:tool_calls=N]]`    | N parallel calls of the offered tools          |
//! | `mock-error-NNN`  | `[[mock:status=NNN]]`      | fail with HTTP NNN and an OpenAI error body    |
//! | `mock-slow`       | `[[mock:delay=MS]]`        | wait MS ms (slow: 2000) before answering       |
//! |                   | `[[mock:chunk_delay=MS]]`  | wait MS ms between stream chunks               |
//! | `mock-cut`        | `[[mock:cut_after=N]]`     | streams stop after N chunks without finishing; |
//! |                   |                            | non-streamed bodies are truncated              |
//! | `mock-garbage`    | `[[mock:garbage]]`         | answer 200 with a body that is not JSON        |
//! |                   | `[[mock:reply=TEXT]]`      | answer TEXT instead of the echo                |
//!
//! When the last message carries tool results, the mock answers with their text, so a tool
//! round trip completes. With `response_format` JSON modes the answer is a JSON object. Usage is
//! counted as one token per four characters (rounded up), prompt and completion.
//! Embeddings are unit vectors derived from a hash of each input (16 dimensions unless
//! `dimensions` is given), so equal inputs get equal vectors.

use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use portcullis_llm::openai::{self, ChatStreamEncoder};
use portcullis_llm::{
    ChatRequest, ChatResponse, Choice, EmbeddingsInput, EmbeddingsResponse, ErrorKind,
    FinishReason, Part, ResponseFormat, Role, StreamEncoder, StreamEvent, Tool, ToolChoice, Usage,
};
use serde_json::{Map, Value, json};

use crate::{BodyError, Operation, UpstreamBody};

/// The mock provider. Stateless: every answer is a function of the request.
#[derive(Debug, Default)]
pub struct MockProvider;

/// What the markers and the model name asked for.
#[derive(Debug, Default, PartialEq)]
struct Scenario {
    status: Option<u16>,
    delay_ms: u64,
    chunk_delay_ms: u64,
    cut_after: Option<usize>,
    garbage: bool,
    tool_call: Option<Option<String>>,
    tool_calls: Option<usize>,
    reply: Option<String>,
}

impl MockProvider {
    pub fn new() -> MockProvider {
        MockProvider
    }

    /// Answers one request as an OpenAI-compatible server would.
    pub async fn handle(&self, op: Operation, model: &str, body: Bytes) -> Response<UpstreamBody> {
        match op {
            Operation::Chat { .. } => chat(model, &body).await,
            Operation::Embeddings => embeddings(model, &body),
        }
    }
}

async fn chat(model: &str, body: &[u8]) -> Response<UpstreamBody> {
    let request = match openai::parse_chat_request(body) {
        Ok(request) => request,
        Err(e) => return error_response(400, &e.message),
    };
    let last_user_text = last_user_text(&request);
    let (scenario, text) = Scenario::parse(model, &last_user_text);
    if scenario.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(scenario.delay_ms)).await;
    }
    if let Some(status) = scenario.status {
        return error_response(status, &format!("mock failure with status {status}"));
    }
    if scenario.garbage {
        return full_response(
            200,
            "text/html",
            Bytes::from_static(b"<html>502 oops</html>"),
        );
    }
    let response = answer(&request, model, &scenario, &text);
    if request.stream {
        stream_response(&request, &response, &scenario)
    } else {
        let mut bytes = openai::render_chat_response(&response, model);
        if let Some(cut) = scenario.cut_after {
            bytes.truncate(cut.min(bytes.len() / 2));
        }
        full_response(200, "application/json", Bytes::from(bytes))
    }
}

impl Scenario {
    /// Reads the scenario from the model name and `[[mock:...]]` markers; returns it with the
    /// text stripped of markers.
    fn parse(model: &str, text: &str) -> (Scenario, String) {
        let mut scenario = Scenario::default();
        let name = model.strip_prefix("mock/").unwrap_or(model);
        if let Some(code) = name.strip_prefix("mock-error-") {
            scenario.status = code.parse().ok().filter(|c| (400..600).contains(c));
        }
        match name {
            "mock-tools" => scenario.tool_call = Some(None),
            "mock-slow" => scenario.delay_ms = 2000,
            "mock-cut" => scenario.cut_after = Some(2),
            "mock-garbage" => scenario.garbage = true,
            _ => {}
        }
        let mut clean = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("[[mock:") {
            clean.push_str(&rest[..start]);
            let after = &rest[start + 7..];
            let Some(end) = after.find("]]") else {
                clean.push_str(&rest[start..]);
                rest = "";
                break;
            };
            scenario.apply(&after[..end]);
            rest = &after[end + 2..];
        }
        clean.push_str(rest);
        (scenario, clean.trim().to_string())
    }

    fn apply(&mut self, directive: &str) {
        let (key, value) = directive
            .split_once('=')
            .map_or((directive, None), |(k, v)| (k, Some(v)));
        let number = || value.and_then(|v| v.trim().parse::<u64>().ok());
        match key.trim() {
            "status" => self.status = number().and_then(|n| u16::try_from(n).ok()),
            "delay" => self.delay_ms = number().unwrap_or(0),
            "chunk_delay" => self.chunk_delay_ms = number().unwrap_or(0),
            "cut_after" => self.cut_after = number().and_then(|n| usize::try_from(n).ok()),
            "garbage" => self.garbage = true,
            "tool_call" => self.tool_call = Some(value.map(str::to_string)),
            "tool_calls" => {
                self.tool_calls = number().and_then(|n| usize::try_from(n).ok());
                self.tool_call.get_or_insert(None);
            }
            "reply" => self.reply = value.map(str::to_string),
            _ => {}
        }
    }
}

fn last_user_text(request: &ChatRequest) -> String {
    request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| text_of(&m.content))
        .unwrap_or_default()
}

fn text_of(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text { text, .. } => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(text);
            }
            Part::ToolResult(result) => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&text_of(&result.content));
            }
            _ => {}
        }
    }
    out
}

/// The deterministic answer to `request`.
fn answer(request: &ChatRequest, model: &str, scenario: &Scenario, text: &str) -> ChatResponse {
    let last = request.messages.last();
    let answering_tool_results = last.is_some_and(|m| {
        m.role == Role::Tool || m.content.iter().any(|p| matches!(p, Part::ToolResult(_)))
    });
    let wants_tool = scenario.tool_call.is_some()
        || matches!(
            request.tool_choice,
            Some(ToolChoice::Required | ToolChoice::Tool { .. })
        );
    let mut content = Vec::new();
    let finish_reason = if wants_tool && !answering_tool_results && !request.tools.is_empty() {
        let count = scenario.tool_calls.unwrap_or(1).clamp(1, 16);
        let named = match (&scenario.tool_call, &request.tool_choice) {
            (Some(Some(name)), _) => Some(name.as_str()),
            (_, Some(ToolChoice::Tool { name })) => Some(name.as_str()),
            _ => None,
        };
        for i in 0..count {
            let tool = named
                .and_then(|n| request.tools.iter().find(|t| t.name == n))
                .unwrap_or(&request.tools[i % request.tools.len()]);
            content.push(Part::ToolCall(portcullis_llm::ToolCall {
                id: format!("call_mock_{i}"),
                name: tool.name.clone(),
                arguments: example_arguments(tool).to_string(),
            }));
        }
        FinishReason::ToolCalls
    } else {
        let reply = if let Some(reply) = &scenario.reply {
            reply.clone()
        } else if answering_tool_results {
            format!(
                "Tool results: {}",
                last.map(|m| text_of(&m.content)).unwrap_or_default()
            )
        } else {
            format!("Echo: {text}")
        };
        let reply = match &request.response_format {
            Some(ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. }) => {
                json!({ "echo": reply }).to_string()
            }
            _ => reply,
        };
        let (reply, reason) = limit_tokens(reply, request.max_tokens);
        content.push(Part::Text {
            text: reply,
            cache_control: None,
        });
        reason
    };
    let prompt_chars: usize = request
        .messages
        .iter()
        .map(|m| text_of(&m.content).len())
        .sum();
    let completion_chars: usize = content
        .iter()
        .map(|p| match p {
            Part::Text { text, .. } => text.len(),
            Part::ToolCall(call) => call.name.len() + call.arguments.len(),
            _ => 0,
        })
        .sum();
    ChatResponse {
        id: format!("chatcmpl-mock{:016x}", fnv1a(text.as_bytes())),
        model: model.to_string(),
        created: 1_735_689_600,
        choices: vec![Choice {
            index: 0,
            content,
            refusal: None,
            finish_reason: Some(finish_reason),
        }],
        usage: Some(Usage {
            input_tokens: tokens_for(prompt_chars),
            output_tokens: tokens_for(completion_chars),
            ..Usage::default()
        }),
    }
}

/// Cuts the reply to `max_tokens` (four characters each) and says whether that happened.
fn limit_tokens(reply: String, max_tokens: Option<u32>) -> (String, FinishReason) {
    let Some(max) = max_tokens else {
        return (reply, FinishReason::EndTurn);
    };
    let max_chars = usize::try_from(max).unwrap_or(usize::MAX).saturating_mul(4);
    if reply.len() <= max_chars {
        return (reply, FinishReason::EndTurn);
    }
    let mut end = max_chars;
    while !reply.is_char_boundary(end) {
        end -= 1;
    }
    (reply[..end].to_string(), FinishReason::Length)
}

fn tokens_for(chars: usize) -> u64 {
    u64::try_from(chars.div_ceil(4)).unwrap_or(u64::MAX)
}

/// Arguments that satisfy the tool's schema in the simplest way: every property gets a value of
/// its type (the first `enum` value when there is one).
fn example_arguments(tool: &Tool) -> Value {
    let mut args = Map::new();
    if let Some(properties) = tool.parameters.get("properties").and_then(Value::as_object) {
        for (name, schema) in properties {
            args.insert(name.clone(), example_value(schema, 0));
        }
    }
    Value::Object(args)
}

fn example_value(schema: &Value, depth: usize) -> Value {
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds.iter().find_map(Value::as_str).unwrap_or("string"),
        _ => "string",
    };
    match kind {
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" => json!([]),
        "null" => Value::Null,
        "object" if depth < 4 => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, inner) in properties {
                    object.insert(name.clone(), example_value(inner, depth + 1));
                }
            }
            Value::Object(object)
        }
        "object" => json!({}),
        _ => json!("mock"),
    }
}

/// Turns a complete answer into the stream an OpenAI server would send for it.
fn stream_response(
    request: &ChatRequest,
    response: &ChatResponse,
    scenario: &Scenario,
) -> Response<UpstreamBody> {
    let mut events = vec![StreamEvent::Start {
        id: response.id.clone(),
        model: response.model.clone(),
        created: response.created,
    }];
    for choice in &response.choices {
        let mut tool_index = 0;
        for part in &choice.content {
            match part {
                Part::Text { text, .. } => {
                    for word in text.split_inclusive(' ') {
                        events.push(StreamEvent::TextDelta {
                            choice: choice.index,
                            text: word.to_string(),
                        });
                    }
                }
                Part::ToolCall(call) => {
                    events.push(StreamEvent::ToolCallStart {
                        choice: choice.index,
                        index: tool_index,
                        id: call.id.clone(),
                        name: call.name.clone(),
                    });
                    events.push(StreamEvent::ToolCallDelta {
                        choice: choice.index,
                        index: tool_index,
                        arguments: call.arguments.clone(),
                    });
                    tool_index += 1;
                }
                _ => {}
            }
        }
        if let Some(reason) = &choice.finish_reason {
            events.push(StreamEvent::Finish {
                choice: choice.index,
                reason: reason.clone(),
            });
        }
    }
    if let Some(usage) = response.usage {
        events.push(StreamEvent::Usage(usage));
    }
    events.push(StreamEvent::End);

    let mut encoder = ChatStreamEncoder::new(&response.model, request.stream_include_usage);
    let mut chunks: Vec<Bytes> = Vec::with_capacity(events.len());
    for event in &events {
        let mut out = Vec::new();
        encoder.encode(event, &mut out);
        if !out.is_empty() {
            chunks.push(Bytes::from(out));
        }
    }
    let cut_after = scenario.cut_after;
    if let Some(cut) = cut_after {
        chunks.truncate(cut);
    }
    let delay = Duration::from_millis(scenario.chunk_delay_ms);
    let items = chunks.into_iter().enumerate();
    let body = stream::unfold(
        (items, cut_after.is_some(), false),
        move |(mut items, cut, finished)| async move {
            if finished {
                return None;
            }
            match items.next() {
                Some((index, chunk)) => {
                    if index > 0 && !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    Some((Ok(Frame::data(chunk)), (items, cut, false)))
                }
                None if cut => Some((Err(BodyError::Cut), (items, cut, true))),
                None => None,
            }
        },
    );
    let mut response = Response::new(StreamBody::new(body).boxed_unsync());
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
}

fn embeddings(model: &str, body: &[u8]) -> Response<UpstreamBody> {
    let request = match openai::parse_embeddings_request(body) {
        Ok(request) => request,
        Err(e) => return error_response(400, &e.message),
    };
    let (scenario, _) = Scenario::parse(model, "");
    if let Some(status) = scenario.status {
        return error_response(status, &format!("mock failure with status {status}"));
    }
    let inputs: Vec<String> = match &request.input {
        EmbeddingsInput::Text(text) => vec![text.clone()],
        EmbeddingsInput::Texts(texts) => texts.clone(),
        EmbeddingsInput::Tokens(tokens) => vec![format!("{tokens:?}")],
        EmbeddingsInput::TokenBatches(batches) => {
            batches.iter().map(|b| format!("{b:?}")).collect()
        }
    };
    if inputs.is_empty() {
        return error_response(400, "'input' must not be empty");
    }
    let dimensions = request.dimensions.unwrap_or(16).clamp(1, 4096);
    let data = inputs
        .iter()
        .map(|text| unit_vector(text, dimensions))
        .collect();
    let prompt_tokens = inputs.iter().map(|t| tokens_for(t.len())).sum();
    let response = EmbeddingsResponse {
        model: model.to_string(),
        data,
        usage: Some(Usage {
            input_tokens: prompt_tokens,
            ..Usage::default()
        }),
    };
    let bytes = openai::render_embeddings_response(&response, model, request.encoding_format);
    full_response(200, "application/json", Bytes::from(bytes))
}

/// A deterministic unit vector for `text` (xorshift seeded by the text's hash).
fn unit_vector(text: &str, dimensions: u32) -> Vec<f32> {
    let mut state = fnv1a(text.as_bytes()) | 1;
    let mut values: Vec<f32> = (0..dimensions)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // The top 24 bits as a value in [-1, 1): exact in f32.
            let bits = u32::try_from(state >> 40).unwrap_or(0);
            (f64::from(bits) / f64::from(1u32 << 23) - 1.0) as f32
        })
        .collect();
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for v in &mut values {
            *v /= norm;
        }
    }
    values
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn error_response(status: u16, message: &str) -> Response<UpstreamBody> {
    let kind = ErrorKind::from_status(status);
    let body = openai::render_error(kind, message, None, None);
    let mut response = full_response(status, "application/json", Bytes::from(body));
    if status == 429 {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn full_response(status: u16, content_type: &'static str, body: Bytes) -> Response<UpstreamBody> {
    let mut response = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_and_stripped() {
        let (s, text) = Scenario::parse(
            "mock-echo",
            "hello [[mock:status=429]] world [[mock:delay=5]][[mock:tool_call=get_weather]]",
        );
        assert_eq!(s.status, Some(429));
        assert_eq!(s.delay_ms, 5);
        assert_eq!(s.tool_call, Some(Some("get_weather".to_string())));
        assert_eq!(text, "hello  world");
    }

    #[test]
    fn model_names_choose_behaviour() {
        assert_eq!(Scenario::parse("mock-error-503", "").0.status, Some(503));
        assert_eq!(Scenario::parse("mock-error-abc", "").0.status, None);
        assert!(Scenario::parse("mock-garbage", "").0.garbage);
        assert_eq!(Scenario::parse("mock-cut", "").0.cut_after, Some(2));
        assert_eq!(Scenario::parse("mock-tools", "").0.tool_call, Some(None));
    }

    #[test]
    fn unclosed_marker_is_text() {
        let (s, text) = Scenario::parse("mock", "a [[mock:status=500");
        assert_eq!(s, Scenario::default());
        assert_eq!(text, "a [[mock:status=500");
    }

    #[test]
    fn vectors_are_deterministic_unit_vectors() {
        let a = unit_vector("hello", 16);
        assert_eq!(a, unit_vector("hello", 16));
        assert_ne!(a, unit_vector("world", 16));
        let norm: f32 = a.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
    }

    #[test]
    fn token_limit_cuts_on_char_boundary() {
        let (text, reason) = limit_tokens("héllo wörld, this is long".to_string(), Some(1));
        assert!(text.len() <= 4);
        assert_eq!(reason, FinishReason::Length);
        let (text, reason) = limit_tokens("short".to_string(), Some(10));
        assert_eq!(text, "short");
        assert_eq!(reason, FinishReason::EndTurn);
    }

    #[test]
    fn example_arguments_follow_the_schema() {
        let tool = Tool {
            name: "get_weather".into(),
            description: None,
            parameters: json!({"type":"object","properties":{
                "city":{"type":"string"},
                "unit":{"type":"string","enum":["celsius","fahrenheit"]},
                "days":{"type":"integer"}}}),
            strict: None,
            cache_control: None,
        };
        assert_eq!(
            example_arguments(&tool),
            json!({"city":"mock","unit":"celsius","days":1})
        );
    }
}
