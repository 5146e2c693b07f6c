//! Unit tests of the OpenAI module's tricky mappings.

use serde_json::json;

use super::*;
use crate::canonical::{
    ChatRequest, ErrorKind, FinishReason, MediaSource, Message, Part, Role, StreamEvent, ToolResult,
};
use crate::sse::SseEvent;
use crate::stream::{StreamDecoder, StreamEncoder};

fn parse(body: serde_json::Value) -> Result<ChatRequest, crate::RequestError> {
    parse_chat_request(&serde_json::to_vec(&body).unwrap())
}

fn built(req: &ChatRequest) -> (serde_json::Value, Vec<String>) {
    let c = build_chat_request(req, "up", &OpenAiBuildOptions::default()).unwrap();
    (serde_json::from_slice(&c.body).unwrap(), c.dropped)
}

#[test]
fn errors_name_the_field_path() {
    let err = parse(json!({"model": "m", "messages": [
        {"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "user", "content": 3}
    ]}))
    .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[2].content"));
    assert_eq!(
        err.message,
        "messages[2].content: expected a string or an array of content parts, got a number"
    );
    let err =
        parse(json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    assert_eq!(
        parse(json!({"messages": []})).unwrap_err().param.as_deref(),
        Some("model")
    );
    assert_eq!(
        parse(json!({"model": "m"})).unwrap_err().param.as_deref(),
        Some("messages")
    );
    let err = parse(json!({"model": "m", "messages": [], "temperature": "hot"})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("temperature"));
    let err = parse(json!({"model": "m", "messages": [], "max_tokens": -1})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("max_tokens"));
    let err = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/svg+xml,<svg/>"}}
        ]}]}),
    )
    .unwrap_err();
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[0].image_url.url")
    );
    assert!(
        parse_chat_request(b"[]")
            .unwrap_err()
            .message
            .contains("JSON object")
    );
}

#[test]
fn tool_results_get_the_tool_name_from_the_call() {
    let req = parse(json!({"model": "m", "messages": [
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
        {"role": "tool", "tool_call_id": "call_unknown", "content": "?"}
    ]}))
    .unwrap();
    let names: Vec<Option<&str>> = req.messages[1..]
        .iter()
        .map(|m| match &m.content[0] {
            Part::ToolResult(r) => r.name.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(names, vec![Some("lookup"), None]);
}

#[test]
fn field_precedence_and_shapes() {
    let req = parse(json!({"model": "m", "messages": [], "max_tokens": 5, "max_completion_tokens": 9,
        "stop": "END", "tool_choice": {"type": "allowed_tools", "allowed_tools": {"mode": "auto", "tools": []}},
        "parallel_tool_calls": true}))
    .unwrap();
    assert_eq!(req.max_tokens, Some(9));
    assert_eq!(req.stop, vec!["END"]);
    assert!(req.tool_choice.is_none() && req.extra.contains_key("tool_choice"));
    // No tools: OpenAI refuses parallel_tool_calls alone, so it is not sent.
    let (body, dropped) = built(&req);
    assert!(body.get("parallel_tool_calls").is_none());
    assert_eq!(body["tool_choice"]["type"], "allowed_tools");
    assert!(dropped.is_empty());
}

#[test]
fn non_function_tools_travel_to_openai_only() {
    let req = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [
            {"type": "function", "function": {"name": "f"}},
            {"type": "custom", "custom": {"name": "grammar", "format": {"type": "text"}}}
        ]}),
    )
    .unwrap();
    assert_eq!(req.tools.len(), 1);
    let (body, dropped) = built(&req);
    assert_eq!(body["tools"][1]["type"], "custom");
    assert!(dropped.is_empty());
    let to_anthropic = crate::anthropic::build_messages_request(&req, "c", 100).unwrap();
    assert_eq!(to_anthropic.dropped, vec!["tools[1]"]);
}

#[test]
fn anthropic_style_user_turns_become_tool_messages_first() {
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![
                Part::Text {
                    text: "and also".into(),
                    cache_control: None,
                },
                Part::ToolResult(ToolResult {
                    tool_call_id: "toolu_1".into(),
                    name: Some("f".into()),
                    content: vec![Part::Image {
                        source: MediaSource::Url {
                            url: "https://x/y.png".into(),
                        },
                        detail: None,
                    }],
                    is_error: true,
                }),
            ],
            name: None,
        }],
        extra: serde_json::from_value(json!({"service_tier": "auto"})).unwrap(),
        ..ChatRequest::default()
    };
    let (body, dropped) = built(&req);
    assert_eq!(body["messages"][0]["role"], "tool");
    assert_eq!(body["messages"][0]["content"], "");
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "and also"})
    );
    // Built in code (no source): extras are not forwarded.
    assert!(body.get("service_tier").is_none());
    assert_eq!(
        dropped,
        vec![
            "messages[0].content[1].is_error",
            "messages[0].content[1].content[0]",
            "service_tier"
        ]
    );
}

fn sse(data: &str) -> SseEvent {
    SseEvent {
        event: None,
        data: data.to_owned(),
    }
}

fn decode(chunks: &[&str]) -> Vec<StreamEvent> {
    let mut decoder = ChatStreamDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        decoder.on_event(&sse(chunk), &mut out);
    }
    decoder.on_eof(&mut out);
    out
}

#[test]
fn tool_deltas_reusing_an_index_with_a_new_id_start_a_new_call() {
    let events = decode(&[
        r#"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":{"x":1}}}]}}]}"#,
        r#"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"h"}}]},"finish_reason":"tool_calls"}]}"#,
        "[DONE]",
    ]);
    let starts: Vec<(u32, String, String)> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallStart {
                index, id, name, ..
            } => Some((*index, id.clone(), name.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(starts.len(), 3);
    assert_eq!((starts[0].0, starts[1].0, starts[2].0), (0, 1, 2));
    assert_eq!((starts[0].1.as_str(), starts[1].1.as_str()), ("a", "b"));
    assert!(
        starts[2].1.starts_with("call_"),
        "derived id: {}",
        starts[2].1
    );
    assert!(events.contains(&StreamEvent::ToolCallDelta {
        choice: 0,
        index: 1,
        arguments: r#"{"x":1}"#.into()
    }));
}

#[test]
fn stream_endings() {
    // Cut before any finish reason.
    let events = decode(&[r#"{"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}]}"#]);
    assert!(
        matches!(events.last(), Some(StreamEvent::Error(e)) if e.message.starts_with("stream cut"))
    );
    // Finish reason but neither usage nor [DONE]: complete.
    let events =
        decode(&[r#"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#]);
    assert_eq!(events.last(), Some(&StreamEvent::End));
    assert!(events.contains(&StreamEvent::Finish {
        choice: 0,
        reason: FinishReason::Length
    }));
    // An error chunk ends the stream; nothing after it counts.
    let events = decode(&[
        r#"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
        "[DONE]",
    ]);
    assert_eq!(events.len(), 1);
    assert!(matches!(&events[0], StreamEvent::Error(e) if e.kind == ErrorKind::RateLimited));
    // [DONE] alone.
    assert!(matches!(
        decode(&["[DONE]"]).as_slice(),
        [StreamEvent::Start { .. }, StreamEvent::End]
    ));
}

#[test]
fn encoder_opens_each_choice_and_stops_after_an_error() {
    let mut encoder = ChatStreamEncoder::new("alias", false);
    let mut out = Vec::new();
    for event in [
        StreamEvent::Start {
            id: String::new(),
            model: "up".into(),
            created: 7,
        },
        StreamEvent::TextDelta {
            choice: 1,
            text: "b".into(),
        },
        StreamEvent::Error(crate::StreamError {
            kind: ErrorKind::Overloaded,
            message: "busy".into(),
        }),
        StreamEvent::End,
    ] {
        encoder.encode(&event, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.split("\n\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].contains(r#""index":0,"delta":{"role":"assistant","content":""}"#));
    assert!(lines[1].contains(r#""index":1,"delta":{"role":"assistant""#));
    assert!(lines[0].contains(r#""id":"chatcmpl-"#) && lines[0].contains(r#""model":"alias""#));
    assert_eq!(
        lines[3],
        r#"data: {"error":{"message":"busy","type":"service_unavailable_error","param":null,"code":null}}"#
    );
}

#[test]
fn errors_render_and_parse() {
    let body = render_error(
        ErrorKind::NotFound,
        "no such model",
        Some("model"),
        Some("model_not_found"),
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"error":{"message":"no such model","type":"not_found_error","param":"model","code":"model_not_found"}}"#
    );
    let e = parse_error(
        401,
        br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
    );
    assert_eq!(
        (e.kind, e.code.as_deref()),
        (ErrorKind::Authentication, Some("invalid_api_key"))
    );
    let e = parse_error(
        400,
        br#"{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#,
    );
    assert_eq!(
        (e.kind, e.param.as_deref()),
        (ErrorKind::InvalidRequest, Some("messages"))
    );
    // Azure content filter: numeric status inside, string code.
    let e = parse_error(
        400,
        br#"{"error":{"message":"The response was filtered","type":null,"param":"prompt","code":"content_filter","status":400}}"#,
    );
    assert_eq!(e.code.as_deref(), Some("content_filter"));
    let e = parse_error(429, br#"{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded call rate limit."}}"#);
    assert_eq!(e.kind, ErrorKind::RateLimited);
}

#[test]
fn data_urls() {
    use crate::openai::request::parse_data_url;
    let ok = |url: &str| parse_data_url(url, "p").unwrap();
    assert_eq!(
        ok("data:image/PNG;charset=x;base64,AAAA"),
        MediaSource::Base64 {
            media_type: "image/png".into(),
            data: "AAAA".into()
        }
    );
    assert_eq!(
        ok("data:;base64,AA=="),
        MediaSource::Base64 {
            media_type: "application/octet-stream".into(),
            data: "AA==".into()
        }
    );
    // Found by fuzzing: a comma in the media type must not cut the header short.
    assert_eq!(
        ok("data:,application/pdf;base64,JVBE"),
        MediaSource::Base64 {
            media_type: ",application/pdf".into(),
            data: "JVBE".into()
        }
    );
    assert!(parse_data_url("data:text/plain,hello", "p").is_err());
    assert!(parse_data_url("https://x", "p").is_err());
}
