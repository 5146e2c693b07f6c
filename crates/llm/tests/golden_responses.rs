//! Golden tests of response translation: every upstream response fixture (OpenAI, Anthropic),
//! parsed by its API's parser, rendered for every inbound API (OpenAI, Anthropic). The
//! snapshots are the reviewed spec of what callers receive.

#[expect(
    dead_code,
    reason = "each test binary uses a subset of the shared helpers"
)]
mod common;

use portcullis_llm::{ChatResponse, anthropic, openai};

#[cfg(test)] // clippy: a test helper, where a panic is a test failure
fn parse(api: &str, body: &[u8]) -> ChatResponse {
    match api {
        "openai" => openai::parse_chat_response(body),
        _ => anthropic::parse_messages_response(body),
    }
    .unwrap_or_else(|e| panic!("{api} response fixture does not parse: {e:?}"))
}

#[cfg(test)]
fn run(api: &str) {
    for (name, body) in common::fixtures(&format!("responses/{api}"), "json") {
        let resp = parse(api, &body);
        let usage = match api {
            "openai" => openai::extract_usage(&body),
            _ => anthropic::extract_usage(&body),
        };
        assert_eq!(
            usage, resp.usage,
            "{api}/{name}: fast-path usage differs from the parser's"
        );
        let to_openai = openai::render_chat_response(&resp, "caller-model");
        insta::assert_snapshot!(
            format!("{api}__{name}__as_openai"),
            common::pretty(&to_openai)
        );
        let to_anthropic = anthropic::render_messages_response(&resp, "caller-model");
        insta::assert_snapshot!(
            format!("{api}__{name}__as_anthropic"),
            common::pretty(&to_anthropic)
        );
    }
}

#[test]
fn openai_responses() {
    run("openai");
}

#[test]
fn anthropic_responses() {
    run("anthropic");
}

/// Rendering and parsing in the same API keeps the canonical response (ids, parts, finish
/// reasons, usage), so a response can pass through the canonical model losslessly.
#[test]
fn render_then_parse_is_lossless_within_an_api() {
    for api in ["openai", "anthropic"] {
        for (name, body) in common::fixtures(&format!("responses/{api}"), "json") {
            let resp = parse(api, &body);
            let again = match api {
                "openai" => {
                    openai::parse_chat_response(&openai::render_chat_response(&resp, &resp.model))
                }
                _ => anthropic::parse_messages_response(&anthropic::render_messages_response(
                    &resp,
                    &resp.model,
                )),
            }
            .unwrap();
            assert_eq!(again, resp, "{api}/{name}");
        }
    }
}

#[test]
fn garbage_and_error_bodies() {
    let err = openai::parse_chat_response(b"<html>oops</html>").unwrap_err();
    assert_eq!(
        (err.status, err.kind),
        (200, portcullis_llm::ErrorKind::Upstream)
    );
    let err = openai::parse_chat_response(br#"{"id":"x","object":"chat.completion"}"#).unwrap_err();
    assert!(err.message.contains("choices"), "{}", err.message);
    let err = openai::parse_chat_response(
        br#"{"error":{"message":"quota","type":"insufficient_quota"}}"#,
    )
    .unwrap_err();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (portcullis_llm::ErrorKind::RateLimited, "quota")
    );
    let err = anthropic::parse_messages_response(br#"{"type":"message"}"#).unwrap_err();
    assert!(err.message.contains("content"), "{}", err.message);
    let err = anthropic::parse_messages_response(
        br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    )
    .unwrap_err();
    assert_eq!(err.kind, portcullis_llm::ErrorKind::Overloaded);
}
