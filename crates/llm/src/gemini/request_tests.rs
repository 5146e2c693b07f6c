//! Unit tests of `build_generate_request` (kept apart: the mapping has many cases).

use serde_json::{Value, json};

use super::*;
use crate::canonical::{Reasoning, Tool, ToolCall};

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

fn call(id: &str, name: &str, arguments: &str) -> Part {
    Part::ToolCall(ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    })
}

fn result(id: &str, name: Option<&str>, content: Vec<Part>, is_error: bool) -> Part {
    Part::ToolResult(ToolResult {
        tool_call_id: id.into(),
        name: name.map(Into::into),
        content,
        is_error,
    })
}

fn openai(messages: Vec<Message>) -> ChatRequest {
    ChatRequest {
        model: "m".into(),
        messages,
        source: Some(WireApi::OpenAiChat),
        ..ChatRequest::default()
    }
}

fn build(req: &ChatRequest) -> (Value, Vec<String>) {
    let out = build_generate_request(req).unwrap();
    (serde_json::from_slice(&out.body).unwrap(), out.dropped)
}

#[test]
fn system_prompts_are_hoisted_and_same_role_turns_merged() {
    let req = openai(vec![
        msg(Role::System, vec![text("Be brief.")]),
        msg(Role::User, vec![text("Hi")]),
        msg(Role::User, vec![text(""), text("there")]),
        msg(Role::Developer, vec![text("Answer in French.")]),
        msg(Role::Assistant, vec![text("Bonjour")]),
        msg(Role::Assistant, vec![]),
    ]);
    let (body, dropped) = build(&req);
    assert_eq!(
        body,
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}, {"text": "there"}]},
                {"role": "model", "parts": [{"text": "Bonjour"}]}
            ],
            "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]}
        })
    );
    assert!(dropped.is_empty());
}

#[test]
fn tool_round_trip_maps_calls_and_results() {
    let req = openai(vec![
        msg(Role::User, vec![text("Weather in Paris and Rome?")]),
        msg(
            Role::Assistant,
            vec![
                call("call_1", "get_weather", r#"{"city": "Paris", "unit": "c"}"#),
                call("call_2", "get_weather", r#"{"city":"Rome"}"#),
                call("call_3", "now", ""),
            ],
        ),
        msg(
            Role::Tool,
            vec![result("call_1", None, vec![text(r#"{"temp": 18}"#)], false)],
        ),
        msg(
            Role::Tool,
            vec![result(
                "call_2",
                Some("get_weather"),
                vec![text("sunny, 24")],
                false,
            )],
        ),
        msg(
            Role::Tool,
            vec![result("call_3", None, vec![text(r#"{"code": 7}"#)], true)],
        ),
    ]);
    let (body, dropped) = build(&req);
    assert!(dropped.is_empty());
    assert_eq!(
        body["contents"][1],
        json!({"role": "model", "parts": [
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris", "unit": "c"}},
             "thoughtSignature": "skip_thought_signature_validator"},
            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
            {"functionCall": {"name": "now"}}
        ]})
    );
    assert_eq!(
        body["contents"][2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}},
            {"functionResponse": {"name": "get_weather", "response": {"output": "sunny, 24"}}},
            {"functionResponse": {"name": "now", "response": {"error": {"code": 7}}}}
        ]})
    );
    // The arguments keep the caller's key order on the wire.
    let raw = String::from_utf8(build_generate_request(&req).unwrap().body).unwrap();
    assert!(raw.contains(r#"{"city": "Paris", "unit": "c"}"#));
}

#[test]
fn tool_results_with_several_texts_are_joined_and_images_dropped() {
    let req = ChatRequest {
        source: Some(WireApi::AnthropicMessages),
        ..openai(vec![
            msg(Role::Assistant, vec![call("toolu_1", "shot", "{}")]),
            msg(
                Role::User,
                vec![
                    result(
                        "toolu_1",
                        None,
                        vec![
                            text("line 1"),
                            Part::Image {
                                source: MediaSource::Base64 {
                                    media_type: "image/png".into(),
                                    data: "iVBO".into(),
                                },
                                detail: None,
                            },
                            text("line 2"),
                        ],
                        false,
                    ),
                    text("What do you see?"),
                ],
            ),
        ])
    };
    let (body, dropped) = build(&req);
    assert_eq!(
        body["contents"][1]["parts"],
        json!([
            {"functionResponse": {"name": "shot", "response": {"output": "line 1\nline 2"}}},
            {"text": "What do you see?"}
        ])
    );
    assert_eq!(dropped, ["messages[1].content[0].content[1]"]);
}

#[test]
fn invalid_arguments_name_the_field() {
    for arguments in ["{not json", "[1, 2]"] {
        let req = openai(vec![
            msg(Role::User, vec![text("go")]),
            msg(Role::Assistant, vec![text("ok"), call("c", "f", arguments)]),
        ]);
        let err = build_generate_request(&req).unwrap_err();
        assert_eq!(
            err.param.as_deref(),
            Some("messages[1].tool_calls[0].function.arguments")
        );
        assert!(err.message.contains("JSON object"), "{}", err.message);
    }
}

#[test]
fn tool_result_without_a_known_call_is_an_error() {
    let req = openai(vec![msg(
        Role::Tool,
        vec![result("call_x", None, vec![text("42")], false)],
    )]);
    let err = build_generate_request(&req).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].tool_call_id"));
    assert!(err.message.contains("call_x"));
}

#[test]
fn media_sources_map_to_inline_or_file_data() {
    let image = |url: &str| Part::Image {
        source: MediaSource::Url { url: url.into() },
        detail: None,
    };
    let req = openai(vec![msg(
        Role::User,
        vec![
            text("Compare"),
            Part::Image {
                source: MediaSource::Base64 {
                    media_type: "image/jpeg".into(),
                    data: "/9j/4AAQ".into(),
                },
                detail: Some("high".into()),
            },
            image("gs://bucket/cat.PNG"),
            image("https://generativelanguage.googleapis.com/v1beta/files/abc-123"),
            image("data:image/webp;base64,UklGR"),
            image("https://example.com/dog.jpg?size=large"),
            image("https://example.com/render?id=7"),
            image("http://example.com/cat.png"),
            Part::Document {
                source: MediaSource::Base64 {
                    media_type: "application/pdf".into(),
                    data: "JVBERi0".into(),
                },
                name: Some("report.pdf".into()),
            },
        ],
    )]);
    let (body, dropped) = build(&req);
    assert_eq!(
        body["contents"][0]["parts"],
        json!([
            {"text": "Compare"},
            {"inlineData": {"mimeType": "image/jpeg", "data": "/9j/4AAQ"}},
            {"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/cat.PNG"}},
            {"fileData": {"fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc-123"}},
            {"inlineData": {"mimeType": "image/webp", "data": "UklGR"}},
            {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/dog.jpg?size=large"}},
            {"inlineData": {"mimeType": "application/pdf", "data": "JVBERi0"}}
        ])
    );
    assert_eq!(
        dropped,
        [
            "messages[0].content[1].image_url.detail",
            "messages[0].content[6]",
            "messages[0].content[7]",
            "messages[0].content[8].file.filename"
        ]
    );
}

#[test]
fn tools_and_tool_choice_map_to_declarations_and_modes() {
    let tool = |name: &str, parameters: Value| Tool {
        name: name.into(),
        description: Some(format!("The {name} tool")),
        parameters,
        strict: None,
        cache_control: None,
    };
    let mut req = openai(vec![msg(Role::User, vec![text("hi")])]);
    req.tools = vec![
        tool(
            "search",
            json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"],
                   "additionalProperties": false}),
        ),
        Tool {
            strict: Some(true),
            description: Some(String::new()),
            ..tool("ping", json!({}))
        },
    ];
    let cases = [
        (ToolChoice::Auto, json!({"mode": "AUTO"})),
        (ToolChoice::None, json!({"mode": "NONE"})),
        (ToolChoice::Required, json!({"mode": "ANY"})),
        (
            ToolChoice::Tool {
                name: "search".into(),
            },
            json!({"mode": "ANY", "allowedFunctionNames": ["search"]}),
        ),
    ];
    for (choice, expected) in cases {
        req.tool_choice = Some(choice);
        let (body, dropped) = build(&req);
        assert_eq!(body["toolConfig"]["functionCallingConfig"], expected);
        assert_eq!(dropped, ["tools[1].function.strict"]);
    }
    let (body, _) = build(&req);
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [
            {"name": "search", "description": "The search tool",
             "parametersJsonSchema": {"type": "object", "properties": {"q": {"type": "string"}},
                                      "required": ["q"], "additionalProperties": false}},
            {"name": "ping"}
        ]}])
    );

    req.tools.clear();
    req.parallel_tool_calls = Some(false);
    let (body, dropped) = build(&req);
    assert!(body.get("toolConfig").is_none() && body.get("tools").is_none());
    assert_eq!(dropped, ["tool_choice"]);
}

#[test]
fn generation_config_carries_sampling_limits_and_formats() {
    let mut req = openai(vec![msg(Role::User, vec![text("hi")])]);
    req.max_tokens = Some(256);
    req.temperature = Some(0.2);
    req.top_p = Some(0.9);
    req.top_k = Some(40);
    req.stop = vec!["END".into()];
    req.n = Some(2);
    req.presence_penalty = Some(0.5);
    req.frequency_penalty = Some(-0.5);
    req.seed = Some(42);
    req.logprobs = Some(true);
    req.top_logprobs = Some(3);
    req.response_format = Some(ResponseFormat::JsonSchema {
        name: "answer".into(),
        description: Some("The answer".into()),
        schema: json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
                       "type": "object", "properties": {"a": {"type": "integer"}}}),
        strict: Some(true),
    });
    req.reasoning = Some(Reasoning {
        effort: Some("medium".into()),
        budget_tokens: None,
    });
    let (body, dropped) = build(&req);
    assert_eq!(
        body["generationConfig"],
        json!({
            "stopSequences": ["END"],
            "responseMimeType": "application/json",
            "responseJsonSchema": {"type": "object", "properties": {"a": {"type": "integer"}}},
            "candidateCount": 2,
            "maxOutputTokens": 256,
            "temperature": 0.2,
            "topP": 0.9,
            "topK": 40,
            "seed": 42,
            "presencePenalty": 0.5,
            "frequencyPenalty": -0.5,
            "responseLogprobs": true,
            "logprobs": 3,
            "thinkingConfig": {"thinkingBudget": 8192, "includeThoughts": true}
        })
    );
    assert_eq!(dropped, ["response_format.json_schema.description"]);
}

#[test]
fn reasoning_budget_wins_and_none_disables_thinking() {
    let mut req = openai(vec![msg(Role::User, vec![text("hi")])]);
    let mut thinking = |effort: Option<&str>, budget: Option<u32>| {
        req.reasoning = Some(Reasoning {
            effort: effort.map(Into::into),
            budget_tokens: budget,
        });
        build(&req)
    };
    let (body, _) = thinking(Some("high"), Some(2048));
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"thinkingBudget": 2048, "includeThoughts": true})
    );
    let (body, _) = thinking(Some("none"), None);
    assert_eq!(
        body["generationConfig"]["thinkingConfig"],
        json!({"thinkingBudget": 0})
    );
    let (body, dropped) = thinking(Some("extreme"), None);
    assert!(body.get("generationConfig").is_none());
    assert_eq!(dropped, ["reasoning_effort"]);
}

#[test]
fn uncarried_fields_are_reported_in_the_callers_terms() {
    let mut req = openai(vec![
        Message {
            name: Some("alice".into()),
            ..msg(Role::User, vec![text("hi")])
        },
        msg(
            Role::Assistant,
            vec![
                Part::Thinking {
                    text: "hmm".into(),
                    signature: None,
                },
                text("hello"),
            ],
        ),
    ]);
    req.user = Some("u-42".into());
    req.seed = Some(1 << 40);
    req.top_logprobs = Some(2);
    req.extra
        .insert("logit_bias".into(), json!({"50256": -100}));
    req.extra.insert("store".into(), json!(true));
    let (body, dropped) = build(&req);
    assert!(body.get("generationConfig").is_none());
    assert_eq!(
        dropped,
        [
            "messages[0].name",
            "messages[1].reasoning_content",
            "seed",
            "top_logprobs",
            "user",
            "logit_bias",
            "store"
        ]
    );

    req.source = Some(WireApi::AnthropicMessages);
    req.extra.clear();
    req.seed = None;
    req.top_logprobs = None;
    req.parallel_tool_calls = Some(false);
    req.tools = vec![Tool {
        name: "t".into(),
        description: None,
        parameters: Value::Null,
        strict: None,
        cache_control: Some(json!({"type": "ephemeral"})),
    }];
    let (_, dropped) = build(&req);
    assert_eq!(
        dropped,
        [
            "messages[0].name",
            "messages[1].content[0]",
            "tool_choice.disable_parallel_tool_use",
            "metadata.user_id"
        ]
    );
}

#[test]
fn gemini_native_extra_fields_are_forwarded() {
    let mut req = openai(vec![msg(Role::User, vec![text("hi")])]);
    req.source = Some(WireApi::GeminiGenerate);
    req.extra.insert(
        "safetySettings".into(),
        json!([{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]),
    );
    req.extra
        .insert("contents".into(), json!("never forwarded"));
    let (body, dropped) = build(&req);
    assert!(dropped.is_empty());
    assert_eq!(body["safetySettings"][0]["threshold"], "BLOCK_ONLY_HIGH");
    assert_eq!(body["contents"][0]["parts"][0]["text"], "hi");
}

#[test]
fn a_conversation_without_turns_is_rejected() {
    let req = openai(vec![msg(Role::System, vec![text("You are terse.")])]);
    let err = build_generate_request(&req).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages"));
}

#[test]
fn each_model_turn_signs_only_its_first_call() {
    let req = openai(vec![
        msg(Role::User, vec![text("a")]),
        msg(
            Role::Assistant,
            vec![
                text("thinking aloud"),
                call("1", "f", "{}"),
                call("2", "g", "{}"),
            ],
        ),
        msg(Role::Tool, vec![result("1", None, vec![text("x")], false)]),
        msg(Role::Tool, vec![result("2", None, vec![text("y")], false)]),
        msg(Role::Assistant, vec![call("3", "f", "{}")]),
        msg(Role::Tool, vec![result("3", None, vec![text("z")], false)]),
    ]);
    let (body, _) = build(&req);
    let signed: Vec<(usize, usize)> = body["contents"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .flat_map(|(c, content)| {
            content["parts"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .filter(|(_, part)| part.get("thoughtSignature").is_some())
                .map(move |(p, _)| (c, p))
        })
        .collect();
    assert_eq!(signed, [(1, 1), (3, 0)]);
}
