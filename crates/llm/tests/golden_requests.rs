//! Golden tests of request translation: every inbound request fixture, parsed by its API's
//! parser, built for every outbound API this crate half owns (OpenAI, Anthropic). The snapshot
//! holds the dropped-field list and the body; it is the reviewed spec of the translation.

#[expect(
    dead_code,
    reason = "each test binary uses a subset of the shared helpers"
)]
mod common;

use portcullis_llm::openai::{MaxTokensField, OpenAiBuildOptions};
use portcullis_llm::{ChatRequest, ConvertError, Converted, anthropic, openai};

#[cfg(test)] // clippy: a test helper, where a panic is a test failure
fn parse(api: &str, body: &[u8]) -> ChatRequest {
    match api {
        "openai" => openai::parse_chat_request(body),
        _ => anthropic::parse_messages_request(body),
    }
    .unwrap_or_else(|e| panic!("{api} fixture does not parse: {e:?}"))
}

#[cfg(test)]
fn render(result: Result<Converted, ConvertError>) -> String {
    match result {
        Ok(converted) => format!(
            "dropped: {:?}\n---\n{}",
            converted.dropped,
            common::pretty(&converted.body)
        ),
        Err(e) => format!("ConvertError: {e:?}"),
    }
}

#[cfg(test)]
fn run(api: &str) {
    for (name, body) in common::fixtures(&format!("requests/{api}"), "json") {
        let req = parse(api, &body);
        let to_openai = openai::build_chat_request(
            &req,
            "upstream-model",
            &OpenAiBuildOptions {
                max_tokens_field: MaxTokensField::MaxCompletionTokens,
            },
        );
        insta::assert_snapshot!(format!("{api}__{name}__to_openai"), render(to_openai));
        let to_anthropic = anthropic::build_messages_request(&req, "upstream-model", 4096);
        insta::assert_snapshot!(format!("{api}__{name}__to_anthropic"), render(to_anthropic));
    }
}

#[test]
fn openai_requests() {
    run("openai");
}

#[test]
fn anthropic_requests() {
    run("anthropic");
}

/// OpenAI-compatible servers get `max_tokens` (the default), official OpenAI
/// `max_completion_tokens`.
#[test]
fn max_tokens_field_follows_the_option() {
    let body =
        br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":77}"#;
    let req = openai::parse_chat_request(body).unwrap();
    let built = openai::build_chat_request(&req, "m", &OpenAiBuildOptions::default()).unwrap();
    let text = String::from_utf8(built.body).unwrap();
    assert!(
        text.contains(r#""max_tokens":77"#) && !text.contains("max_completion_tokens"),
        "{text}"
    );
}
