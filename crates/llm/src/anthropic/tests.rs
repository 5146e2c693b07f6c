//! Unit tests of the Anthropic module's tricky mappings.

use serde_json::json;

use super::*;
use crate::canonical::{
    ChatRequest, ErrorKind, FinishReason, Message, Part, Reasoning, ResponseFormat, Role,
    StreamError, StreamEvent, ToolCall, WireApi,
};
use crate::sse::SseEvent;
use crate::stream::{StreamDecoder, StreamEncoder};

fn text(t: &str) -> Part {
    Part::Text {
        text: t.into(),
        cache_control: None,
    }
}

fn msg(role: Role, content: Vec<Part>) -> Message {
    Message {
        role,
        content,
        name: None,
    }
}

fn build(req: &ChatRequest) -> (serde_json::Value, Vec<String>) {
    let c = build_messages_request(req, "claude", 1000).unwrap();
    (serde_json::from_slice(&c.body).unwrap(), c.dropped)
}

#[test]
fn parse_errors_name_the_field() {
    let parse = |v: serde_json::Value| parse_messages_request(&serde_json::to_vec(&v).unwrap());
    let err = parse(json!({"model": "c", "messages": []})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("max_tokens"));
    let err = parse(
        json!({"model": "c", "max_tokens": 1, "system": [{"type": "image"}], "messages": []}),
    )
    .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("system[0].type"));
    let err = parse(
        json!({"model": "c", "max_tokens": 1, "messages": [{"role": "system", "content": "x"}]}),
    )
    .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    let err = parse(json!({"model": "c", "max_tokens": 1, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": [{"type": "tool_use", "id": "x", "name": "n", "input": {}}]}]}
    ]}))
    .unwrap_err();
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].content[0].content[0]")
    );
}

#[test]
fn system_is_hoisted_and_turns_merged_with_results_first() {
    let req = ChatRequest {
        model: "m".into(),
        messages: vec![
            msg(Role::System, vec![text("be brief")]),
            msg(Role::User, vec![text("q")]),
            msg(
                Role::Assistant,
                vec![Part::ToolCall(ToolCall {
                    id: "call.1/x".into(),
                    name: "f".into(),
                    arguments: "  ".into(),
                })],
            ),
            msg(Role::User, vec![text("by the way")]),
            msg(
                Role::Tool,
                vec![Part::ToolResult(crate::ToolResult {
                    tool_call_id: "call.1/x".into(),
                    name: None,
                    content: vec![text("ok")],
                    is_error: false,
                })],
            ),
            msg(Role::Developer, vec![text("late instruction")]),
            msg(Role::Assistant, vec![text("")]),
        ],
        ..ChatRequest::default()
    };
    let (body, dropped) = build(&req);
    assert!(dropped.is_empty(), "{dropped:?}");
    assert_eq!(
        body["system"],
        json!([{"type": "text", "text": "be brief"}, {"type": "text", "text": "late instruction"}])
    );
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{body}");
    assert_eq!(messages[1]["content"][0]["id"], "call_1_x");
    assert_eq!(messages[1]["content"][0]["input"], json!({}));
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
    assert_eq!(messages[2]["content"][0]["tool_use_id"], "call_1_x");
    assert_eq!(
        messages[2]["content"][1],
        json!({"type": "text", "text": "by the way"})
    );
}

#[test]
fn non_object_tool_arguments_are_refused_with_the_callers_path() {
    let req = ChatRequest {
        model: "m".into(),
        source: Some(WireApi::OpenAiChat),
        messages: vec![msg(
            Role::Assistant,
            vec![
                Part::Thinking {
                    text: "hmm".into(),
                    signature: None,
                },
                Part::ToolCall(ToolCall {
                    id: "a".into(),
                    name: "f".into(),
                    arguments: "{\"x\":".into(),
                }),
            ],
        )],
        ..ChatRequest::default()
    };
    let err = build_messages_request(&req, "c", 100).unwrap_err();
    assert_eq!(
        err.param.as_deref(),
        Some("messages[0].tool_calls[0].function.arguments")
    );
}

#[test]
fn reasoning_becomes_a_budget_that_fits() {
    let mut req = ChatRequest {
        model: "m".into(),
        messages: vec![msg(Role::User, vec![text("q")])],
        max_tokens: Some(3000),
        temperature: Some(0.2),
        top_p: Some(0.99),
        reasoning: Some(Reasoning {
            effort: Some("high".into()),
            budget_tokens: None,
        }),
        source: Some(WireApi::OpenAiChat),
        response_format: Some(ResponseFormat::JsonObject),
        ..ChatRequest::default()
    };
    let (body, dropped) = build(&req);
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2999})
    );
    assert!(body.get("temperature").is_none() && body["top_p"] == json!(0.99));
    assert_eq!(dropped, vec!["temperature", "response_format"]);
    req.max_tokens = Some(1024);
    let (body, dropped) = build(&req);
    assert!(body.get("thinking").is_none());
    assert_eq!(dropped, vec!["reasoning_effort", "response_format"]);
    req.reasoning = Some(Reasoning {
        effort: Some("minimal".into()),
        budget_tokens: None,
    });
    req.temperature = Some(1.7);
    let (body, _) = build(&req);
    assert!(body.get("thinking").is_none());
    assert_eq!(body["temperature"], json!(1.0));
}

fn event(name: &str, data: serde_json::Value) -> SseEvent {
    SseEvent {
        event: Some(name.into()),
        data: data.to_string(),
    }
}

#[test]
fn decoder_skips_what_it_cannot_carry_and_tolerates_a_missing_stop() {
    let mut decoder = MessagesStreamDecoder::new();
    let mut out = Vec::new();
    for e in [
        event("ping", json!({"type": "ping"})),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "redacted_thinking", "data": "xx"}}),
        ),
        event(
            "content_block_start",
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ignored: block 0 is redacted"}}),
        ),
        event(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": "pause_turn"}, "usage": {"output_tokens": 9}}),
        ),
    ] {
        decoder.on_event(&e, &mut out);
    }
    decoder.on_eof(&mut out);
    assert_eq!(
        out,
        vec![
            StreamEvent::Start {
                id: String::new(),
                model: String::new(),
                created: 0
            },
            StreamEvent::ToolCallStart {
                choice: 0,
                index: 0,
                id: "toolu_1".into(),
                name: "f".into()
            },
            StreamEvent::ToolCallDelta {
                choice: 0,
                index: 0,
                arguments: r#"{"a":1}"#.into()
            },
            StreamEvent::Finish {
                choice: 0,
                reason: FinishReason::Other {
                    value: "pause_turn".into()
                }
            },
            StreamEvent::Usage(crate::Usage {
                output_tokens: 9,
                ..crate::Usage::default()
            }),
            StreamEvent::End,
        ]
    );
}

#[test]
fn encoder_handles_odd_sequences() {
    let mut encoder = MessagesStreamEncoder::new("alias");
    let mut out = Vec::new();
    for e in [
        // No Start: the message is opened on the first content event.
        StreamEvent::ThinkingSignature {
            choice: 0,
            signature: "sig".into(),
        },
        StreamEvent::TextDelta {
            choice: 1,
            text: "other choice: ignored".into(),
        },
        StreamEvent::ToolCallDelta {
            choice: 0,
            index: 3,
            arguments: "{}".into(),
        },
        StreamEvent::Finish {
            choice: 0,
            reason: FinishReason::StopSequence {
                sequence: Some(String::from("<END>")),
            },
        },
        StreamEvent::End,
        StreamEvent::TextDelta {
            choice: 0,
            text: "after the end: ignored".into(),
        },
    ] {
        encoder.encode(&e, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(
        names,
        vec![
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    assert!(text.contains(r#""delta":{"type":"signature_delta","signature":"sig"}"#));
    assert!(text.contains(r#""index":1,"content_block":{"type":"tool_use","id":"toolu_"#));
    assert!(text.contains(r#""stop_reason":"stop_sequence","stop_sequence":"<END>""#));
    assert!(!text.contains("ignored"));
}

#[test]
fn errors_render_with_anthropic_types_and_statuses() {
    let body = render_error(ErrorKind::Overloaded, "Overloaded");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
    );
    assert_eq!(status_for(ErrorKind::Overloaded), 529);
    assert_eq!(status_for(ErrorKind::Timeout), 504);
    let e = parse_error(
        529,
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#,
    );
    assert_eq!(
        (e.kind, e.code.as_deref(), e.message.as_str()),
        (
            ErrorKind::Overloaded,
            Some("overloaded_error"),
            "Overloaded"
        )
    );
    let e = parse_error(
        413,
        b"<html><title>413 Request Entity Too Large</title></html>",
    );
    assert_eq!(e.kind, ErrorKind::RequestTooLarge);
    // An error event decoded mid-stream carries its kind.
    let mut decoder = MessagesStreamDecoder::new();
    let mut out = Vec::new();
    decoder.on_event(
        &event(
            "error",
            json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}),
        ),
        &mut out,
    );
    assert_eq!(
        out,
        vec![StreamEvent::Error(StreamError {
            kind: ErrorKind::RateLimited,
            message: "slow".into()
        })]
    );
}

#[test]
fn unmodelled_forms_of_modelled_fields_travel_within_anthropic() {
    let body = json!({"model": "c", "max_tokens": 8000, "thinking": {"type": "adaptive"},
        "output_config": {"effort": "low", "task_budget": 5},
        "messages": [{"role": "user", "content": "q"}]});
    let req = parse_messages_request(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(
        req.reasoning
            .as_ref()
            .is_some_and(|r| r.budget_tokens.is_none())
    );
    let (built, dropped) = build(&req);
    assert_eq!(built["thinking"], json!({"type": "adaptive"}));
    assert_eq!(built["output_config"], json!({"effort": "low"}));
    assert_eq!(dropped, vec!["output_config.task_budget"]);
}
