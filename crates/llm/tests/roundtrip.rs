//! Round-trip properties: an API's request parsed into the canonical model and built back for the
//! same API keeps every field. Checked on the fixtures and on thousands of generated requests.

#[expect(
    dead_code,
    reason = "each test binary uses a subset of the shared helpers"
)]
mod common;

use common::Rng;
use portcullis_llm::openai::{MaxTokensField, OpenAiBuildOptions};
use portcullis_llm::{
    ChatRequest, MediaSource, Message, Part, Reasoning, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice, ToolResult, WireApi, anthropic, openai,
};
use serde_json::{Value, json};

const OPENAI_OPTS: OpenAiBuildOptions = OpenAiBuildOptions {
    max_tokens_field: MaxTokensField::MaxTokens,
};

/// Removes what a same-API round trip is allowed to change: nested extras (reported dropped,
/// or re-numbered when they are raw tools).
#[cfg(test)]
fn normalise(mut req: ChatRequest) -> ChatRequest {
    req.extra.retain(|k, _| !k.contains(['.', '[']));
    req
}

#[test]
fn openai_fixtures_survive_a_round_trip() {
    for (name, body) in common::fixtures("requests/openai", "json") {
        let first = openai::parse_chat_request(&body).unwrap();
        let built = openai::build_chat_request(&first, &first.model, &OPENAI_OPTS).unwrap();
        assert!(
            built.dropped.iter().all(|d| d.contains(['.', '['])),
            "{name}: top-level fields dropped within OpenAI: {:?}",
            built.dropped
        );
        let mut second = openai::parse_chat_request(&built.body).unwrap();
        // Streams always ask the upstream for usage.
        second.stream_include_usage = first.stream_include_usage;
        assert_eq!(normalise(second), normalise(first), "{name}");
    }
}

#[test]
fn anthropic_fixtures_survive_a_round_trip() {
    for (name, body) in common::fixtures("requests/anthropic", "json") {
        let first = anthropic::parse_messages_request(&body).unwrap();
        let built = anthropic::build_messages_request(&first, &first.model, 1).unwrap();
        let second = anthropic::parse_messages_request(&built.body).unwrap();
        assert_eq!(normalise(second), normalise(first), "{name}");
    }
}

#[test]
fn generated_openai_requests_survive_a_round_trip() {
    let mut rng = Rng::new(7);
    for i in 0..2000 {
        let req = gen_openai(&mut rng);
        let built = openai::build_chat_request(&req, &req.model, &OPENAI_OPTS).unwrap();
        assert_eq!(built.dropped, Vec::<String>::new(), "case {i}");
        let back = openai::parse_chat_request(&built.body).unwrap();
        assert_eq!(
            back,
            req,
            "case {i}: {}",
            String::from_utf8_lossy(&built.body)
        );
    }
}

#[test]
fn generated_anthropic_requests_survive_a_round_trip() {
    let mut rng = Rng::new(11);
    for i in 0..2000 {
        let req = gen_anthropic(&mut rng);
        let built = anthropic::build_messages_request(&req, &req.model, 1).unwrap();
        assert_eq!(built.dropped, Vec::<String>::new(), "case {i}");
        let back = anthropic::parse_messages_request(&built.body).unwrap();
        assert_eq!(
            back,
            req,
            "case {i}: {}",
            String::from_utf8_lossy(&built.body)
        );
    }
}

// ---- generators: random requests restricted to what each API can express ----

#[cfg(test)]
fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len())]
}

#[cfg(test)]
fn text(rng: &mut Rng) -> String {
    let words = [
        "hello",
        "wörld",
        "\"quoted\"",
        "line\nbreak",
        "emoji 😀",
        "tab\t",
        "<tag>",
        "{}",
    ];
    (0..1 + rng.below(4))
        .map(|_| pick(rng, &words))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
fn text_part(rng: &mut Rng, cache: bool) -> Part {
    Part::Text {
        text: text(rng),
        cache_control: (cache && rng.chance(20)).then(|| json!({"type": "ephemeral"})),
    }
}

#[cfg(test)]
fn image(rng: &mut Rng) -> Part {
    let source = if rng.chance(50) {
        MediaSource::Url {
            url: format!("https://example.com/{}.png", rng.below(100)),
        }
    } else {
        MediaSource::Base64 {
            media_type: String::from("image/png"),
            data: String::from("iVBORw0KGgo="),
        }
    };
    Part::Image {
        source,
        detail: None,
    }
}

#[cfg(test)]
fn arguments(rng: &mut Rng) -> String {
    let value =
        json!({"city": text(rng), "days": rng.below(9), "nested": {"z": 1, "a": [true, null]}});
    serde_json::to_string(&value).unwrap()
}

#[cfg(test)]
fn tools(rng: &mut Rng, strict: bool) -> Vec<Tool> {
    (0..rng.below(3))
        .map(|i| Tool {
            name: format!("tool_{i}"),
            description: rng.chance(50).then(|| text(rng)),
            parameters: json!({"type": "object", "properties": {"q": {"type": "string"}, "a": {"type": "integer"}}}),
            strict: (strict && rng.chance(30)).then_some(true),
            cache_control: None,
        })
        .collect()
}

#[cfg(test)]
fn tool_choice(rng: &mut Rng, tools: &[Tool]) -> Option<ToolChoice> {
    if tools.is_empty() {
        return None;
    }
    match rng.below(5) {
        0 => None,
        1 => Some(ToolChoice::Auto),
        2 => Some(ToolChoice::None),
        3 => Some(ToolChoice::Required),
        _ => Some(ToolChoice::Tool {
            name: tools[0].name.clone(),
        }),
    }
}

#[cfg(test)]
fn gen_openai(rng: &mut Rng) -> ChatRequest {
    let mut messages = Vec::new();
    if rng.chance(60) {
        let role = if rng.chance(50) {
            Role::System
        } else {
            Role::Developer
        };
        messages.push(Message {
            role,
            content: vec![text_part(rng, false)],
            name: None,
        });
    }
    for _ in 0..1 + rng.below(4) {
        let mut content = vec![text_part(rng, true)];
        if rng.chance(30) {
            content.push(image(rng));
        }
        if rng.chance(10) {
            content.push(Part::Document {
                source: MediaSource::Base64 {
                    media_type: String::from(if rng.chance(50) {
                        "audio/wav"
                    } else {
                        "audio/mpeg"
                    }),
                    data: String::from("UklGRg=="),
                },
                name: None,
            });
        }
        if rng.chance(10) {
            content.push(Part::Document {
                source: MediaSource::Base64 {
                    media_type: String::from("application/pdf"),
                    data: String::from("JVBERi0="),
                },
                name: Some(String::from("report.pdf")),
            });
        }
        messages.push(Message {
            role: Role::User,
            content,
            name: rng.chance(20).then(|| String::from("alice")),
        });
        let mut assistant = Vec::new();
        if rng.chance(20) {
            assistant.push(Part::Thinking {
                text: text(rng),
                signature: None,
            });
        }
        if rng.chance(70) {
            assistant.push(text_part(rng, false));
        }
        let calls: Vec<ToolCall> = (0..rng.below(3))
            .map(|k| ToolCall {
                id: format!("call_{}_{k}", rng.below(1000)),
                name: format!("tool_{k}"),
                arguments: arguments(rng),
            })
            .collect();
        assistant.extend(calls.iter().cloned().map(Part::ToolCall));
        if assistant.is_empty() {
            continue;
        }
        messages.push(Message {
            role: Role::Assistant,
            content: assistant,
            name: None,
        });
        for call in calls {
            messages.push(Message {
                role: Role::Tool,
                content: vec![Part::ToolResult(ToolResult {
                    tool_call_id: call.id,
                    name: Some(call.name),
                    content: vec![text_part(rng, false)],
                    is_error: false,
                })],
                name: None,
            });
        }
    }
    let tools = tools(rng, true);
    let mut extra = serde_json::Map::new();
    if rng.chance(30) {
        extra.insert(String::from("logit_bias"), json!({"50256": -100}));
    }
    if rng.chance(30) {
        extra.insert(String::from("service_tier"), json!("flex"));
    }
    let stream = rng.chance(40);
    ChatRequest {
        model: String::from("gpt-4o"),
        messages,
        max_tokens: rng.chance(50).then(|| 1 + rng.below(4000) as u32),
        temperature: rng.chance(50).then(|| rng.below(200) as f64 / 100.0),
        top_p: rng.chance(30).then_some(0.5),
        top_k: None,
        stop: (0..rng.below(3)).map(|_| text(rng)).collect(),
        presence_penalty: rng.chance(20).then_some(-0.5),
        frequency_penalty: rng.chance(20).then_some(1.25),
        seed: rng.chance(20).then_some(-42),
        n: rng.chance(20).then_some(3),
        logprobs: rng.chance(20).then_some(true),
        top_logprobs: rng.chance(20).then_some(2),
        user: rng.chance(20).then(|| String::from("u-1")),
        parallel_tool_calls: (!tools.is_empty() && rng.chance(30)).then_some(false),
        tool_choice: tool_choice(rng, &tools),
        tools,
        response_format: match rng.below(4) {
            0 => Some(ResponseFormat::Text),
            1 => Some(ResponseFormat::JsonObject),
            2 => Some(ResponseFormat::JsonSchema {
                name: String::from("answer"),
                description: rng.chance(50).then(|| text(rng)),
                schema: json!({"type": "object", "properties": {"z": {}, "a": {}}}),
                strict: rng.chance(50).then_some(true),
            }),
            _ => None,
        },
        reasoning: rng.chance(30).then(|| Reasoning {
            effort: Some(String::from(pick(rng, &["low", "medium", "high"]))),
            budget_tokens: None,
        }),
        stream,
        stream_include_usage: stream,
        extra,
        source: Some(WireApi::OpenAiChat),
    }
}

#[cfg(test)]
fn gen_anthropic(rng: &mut Rng) -> ChatRequest {
    let mut messages = Vec::new();
    if rng.chance(60) {
        messages.push(Message {
            role: Role::System,
            content: (0..1 + rng.below(2))
                .map(|_| text_part(rng, true))
                .collect(),
            name: None,
        });
    }
    let mut pending: Vec<ToolCall> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let mut user: Vec<Part> = pending
            .drain(..)
            .map(|call| {
                let mut content = vec![text_part(rng, false)];
                if rng.chance(20) {
                    content.push(image(rng));
                }
                Part::ToolResult(ToolResult {
                    tool_call_id: call.id,
                    name: Some(call.name),
                    content,
                    is_error: rng.chance(20),
                })
            })
            .collect();
        user.push(text_part(rng, true));
        if rng.chance(30) {
            user.push(image(rng));
        }
        if rng.chance(15) {
            user.push(Part::Document {
                source: MediaSource::Base64 {
                    media_type: String::from("application/pdf"),
                    data: String::from("JVBERi0="),
                },
                name: rng.chance(50).then(|| String::from("Q3")),
            });
        }
        if rng.chance(15) {
            use base64::Engine;
            user.push(Part::Document {
                source: MediaSource::Base64 {
                    media_type: String::from("text/plain"),
                    data: base64::engine::general_purpose::STANDARD.encode(text(rng)),
                },
                name: None,
            });
        }
        messages.push(Message {
            role: Role::User,
            content: user,
            name: None,
        });
        let mut assistant = Vec::new();
        if rng.chance(20) {
            assistant.push(Part::Thinking {
                text: text(rng),
                signature: Some(String::from("EqQBCgIYAhIM1gbcDa9GJwZA")),
            });
        }
        if rng.chance(10) {
            assistant.push(Part::RedactedThinking {
                data: String::from("EmwKAhgBEgy3va3pzix"),
            });
        }
        assistant.push(text_part(rng, true));
        for k in 0..rng.below(3) {
            let call = ToolCall {
                id: format!("toolu_{}_{k}", rng.below(1000)),
                name: format!("tool_{k}"),
                arguments: arguments(rng),
            };
            assistant.push(Part::ToolCall(call.clone()));
            pending.push(call);
        }
        messages.push(Message {
            role: Role::Assistant,
            content: assistant,
            name: None,
        });
    }
    let tools = tools(rng, true);
    ChatRequest {
        model: String::from("claude-sonnet-4-5"),
        messages,
        max_tokens: Some(1 + rng.below(8000) as u32),
        temperature: rng.chance(50).then(|| rng.below(100) as f64 / 100.0),
        top_p: rng.chance(30).then_some(0.9),
        top_k: rng.chance(30).then_some(40),
        stop: (0..rng.below(3)).map(|_| text(rng)).collect(),
        user: rng.chance(20).then(|| String::from("user-7")),
        parallel_tool_calls: (!tools.is_empty() && rng.chance(30)).then_some(false),
        tool_choice: None,
        tools,
        response_format: rng.chance(20).then(|| ResponseFormat::JsonSchema {
            name: String::from("response"),
            description: None,
            schema: json!({"type": "object", "properties": {"b": {}, "a": {}}}),
            strict: None,
        }),
        reasoning: rng.chance(30).then(|| Reasoning {
            effort: rng.chance(30).then(|| String::from("high")),
            budget_tokens: Some(1024 + rng.below(4000) as u32),
        }),
        stream: rng.chance(40),
        source: Some(WireApi::AnthropicMessages),
        ..ChatRequest::default()
    }
    .with_choice(rng)
}

#[cfg(test)]
trait WithChoice {
    fn with_choice(self, rng: &mut Rng) -> Self;
}

#[cfg(test)]
impl WithChoice for ChatRequest {
    /// Anthropic expresses `parallel_tool_calls: false` on a tool choice (`auto` when none was
    /// given) and not on `none`, so a generated request without a choice gets `auto` back.
    fn with_choice(mut self, rng: &mut Rng) -> Self {
        let choice = tool_choice(rng, &self.tools);
        self.tool_choice = match (choice, self.parallel_tool_calls) {
            (None | Some(ToolChoice::None), Some(false)) => Some(ToolChoice::Auto),
            (choice, _) => choice,
        };
        self
    }
}

/// A value check that fails loudly if the generators drift from the parsers' conventions.
#[test]
fn generators_produce_valid_json_arguments() {
    let mut rng = Rng::new(3);
    for _ in 0..100 {
        let args = arguments(&mut rng);
        assert!(serde_json::from_str::<Value>(&args).unwrap().is_object());
    }
}
