//! Fuzz target bodies, shared by the cargo-fuzz project in `fuzz/` and by the stable-Rust smoke
//! test `tests/fuzz_smoke.rs`. Not part of the API.
//!
//! Each function takes arbitrary bytes, runs one entry point and everything downstream of it,
//! and checks invariants with `assert!`: a failed assertion is a fuzzing finding, exactly like
//! a panic inside the code under test.

use crate::canonical::StreamEvent;
use crate::openai::{MaxTokensField, OpenAiBuildOptions};
use crate::sse::{SseDecoder, SseEvent, write_event};
use crate::stream::{StreamDecoder, StreamEncoder};
use crate::{anthropic, gemini, openai, raw};

/// Splits `data` into chunks whose sizes come from the first byte, so the fuzzer explores chunk
/// boundaries as well as content.
fn chunks(data: &[u8]) -> (usize, &[u8]) {
    match data.split_first() {
        Some((&first, rest)) => (usize::from(first % 17) + 1, rest),
        None => (1, data),
    }
}

/// Decodes `data` as SSE in chunks; returns the events.
fn sse_events(data: &[u8], max_event_bytes: usize) -> Vec<SseEvent> {
    let (size, body) = chunks(data);
    let mut decoder = SseDecoder::with_max_event_bytes(max_event_bytes);
    let mut events = Vec::new();
    for chunk in body.chunks(size) {
        if decoder.push(chunk).is_err() {
            return events;
        }
        while let Some(event) = decoder.next_event() {
            events.push(event);
        }
    }
    while let Some(event) = decoder.finish() {
        events.push(event);
    }
    events
}

/// SSE decoder: chunking never changes the events, and every decoded event survives
/// `write_event` and a second decode unchanged.
pub fn sse_decoder(data: &[u8]) {
    let events = sse_events(data, 1 << 20);
    let (_, body) = chunks(data);
    let mut whole = SseDecoder::new();
    let mut expected = Vec::new();
    if whole.push(body).is_ok() {
        while let Some(event) = whole.next_event() {
            expected.push(event);
        }
        while let Some(event) = whole.finish() {
            expected.push(event);
        }
        assert_eq!(events, expected, "chunking changed the decoded events");
    }
    // Decoded values never contain line breaks, so `write_event` can express every one.
    let mut written = Vec::new();
    for event in &events {
        write_event(&mut written, event.event.as_deref(), &event.data);
    }
    let mut again = SseDecoder::new();
    assert!(
        again.push(&written).is_ok(),
        "re-encoded events exceed the limit"
    );
    let mut reread = Vec::new();
    while let Some(event) = again.next_event() {
        reread.push(event);
    }
    assert_eq!(reread, events, "write_event does not round-trip");
}

/// OpenAI request parser, then every builder; what the builders produce must parse again.
pub fn openai_request(data: &[u8]) {
    let Ok(req) = openai::parse_chat_request(data) else {
        return;
    };
    for field in [
        MaxTokensField::MaxTokens,
        MaxTokensField::MaxCompletionTokens,
    ] {
        let opts = OpenAiBuildOptions {
            max_tokens_field: field,
        };
        if let Ok(built) = openai::build_chat_request(&req, "m", &opts) {
            assert!(
                openai::parse_chat_request(&built.body).is_ok(),
                "built OpenAI body does not parse"
            );
        }
    }
    if let Ok(built) = anthropic::build_messages_request(&req, "m", 1024) {
        assert!(
            anthropic::parse_messages_request(&built.body).is_ok(),
            "built Anthropic body does not parse"
        );
    }
}

/// Anthropic request parser, then every builder; what the builders produce must parse again.
pub fn anthropic_request(data: &[u8]) {
    let Ok(req) = anthropic::parse_messages_request(data) else {
        return;
    };
    if let Ok(built) = anthropic::build_messages_request(&req, "m", 1024) {
        assert!(
            anthropic::parse_messages_request(&built.body).is_ok(),
            "built Anthropic body does not parse"
        );
    }
    let opts = OpenAiBuildOptions::default();
    if let Ok(built) = openai::build_chat_request(&req, "m", &opts) {
        assert!(
            openai::parse_chat_request(&built.body).is_ok(),
            "built OpenAI body does not parse"
        );
    }
}

/// OpenAI response parser and fast-path usage; rendered responses must parse again.
pub fn openai_response(data: &[u8]) {
    let _ = openai::extract_usage(data);
    let _ = openai::parse_error(500, data);
    if let Ok(resp) = openai::parse_chat_response(data) {
        render_both(&resp);
    }
}

/// Anthropic response parser and fast-path usage; rendered responses must parse again.
pub fn anthropic_response(data: &[u8]) {
    let _ = anthropic::extract_usage(data);
    let _ = anthropic::parse_error(529, data);
    if let Ok(resp) = anthropic::parse_messages_response(data) {
        render_both(&resp);
    }
}

fn render_both(resp: &crate::ChatResponse) {
    let body = openai::render_chat_response(resp, "m");
    assert!(
        openai::parse_chat_response(&body).is_ok(),
        "rendered OpenAI response does not parse"
    );
    let body = anthropic::render_messages_response(resp, "m");
    assert!(
        anthropic::parse_messages_response(&body).is_ok(),
        "rendered Anthropic response does not parse"
    );
}

/// OpenAI stream decoder (and the fast-path inspector) over arbitrary SSE, re-encoded for both
/// inbound APIs.
pub fn openai_stream(data: &[u8]) {
    let events = sse_events(data, 1 << 20);
    for event in &events {
        let _ = openai::inspect_chunk(&event.data);
    }
    run_stream(&events, &mut openai::ChatStreamDecoder::new());
}

/// Anthropic stream decoder (and the fast-path inspector) over arbitrary SSE, re-encoded for
/// both inbound APIs.
pub fn anthropic_stream(data: &[u8]) {
    let events = sse_events(data, 1 << 20);
    for event in &events {
        let _ = anthropic::inspect_event(event.event.as_deref(), &event.data);
    }
    run_stream(&events, &mut anthropic::MessagesStreamDecoder::new());
}

/// Feeds events to `decoder`, checks the decoder contract, and encodes the result for both
/// inbound APIs.
pub fn run_stream(events: &[SseEvent], decoder: &mut dyn StreamDecoder) {
    let mut out = Vec::new();
    for event in events {
        decoder.on_event(event, &mut out);
    }
    decoder.on_eof(&mut out);
    let terminal = out
        .iter()
        .filter(|e| matches!(e, StreamEvent::End | StreamEvent::Error(_)))
        .count();
    assert_eq!(terminal, 1, "a stream must end exactly once");
    assert!(
        matches!(out.last(), Some(StreamEvent::End | StreamEvent::Error(_))),
        "nothing may follow the end of a stream"
    );
    let mut bytes = Vec::new();
    let mut encoder = openai::ChatStreamEncoder::new("m", true);
    for event in &out {
        encoder.encode(event, &mut bytes);
    }
    let mut encoder = anthropic::MessagesStreamEncoder::new("m");
    for event in &out {
        encoder.encode(event, &mut bytes);
    }
}

/// `RawObject`: whatever parses writes back to the same JSON value. (RawObject validates JSON
/// syntax only; a number beyond f64 range is valid JSON that `serde_json::Value` refuses, so
/// the comparison is made when the original reads as a `Value`.)
pub fn raw_object(data: &[u8]) {
    let Ok(obj) = raw::RawObject::parse(data) else {
        return;
    };
    let written = obj.to_vec();
    if let Ok(original) = serde_json::from_slice::<serde_json::Value>(data) {
        let rewritten = serde_json::from_slice::<serde_json::Value>(&written);
        assert!(rewritten.is_ok(), "RawObject wrote invalid JSON");
        if let Ok(rewritten) = rewritten {
            assert_eq!(original, rewritten, "RawObject changed the document");
        }
    } else {
        assert!(
            serde_json::from_slice::<serde::de::IgnoredAny>(&written).is_ok(),
            "RawObject wrote invalid JSON"
        );
    }
    let _ = obj.get_str("model");
    let _ = obj.get_bool("stream");
}

/// Embeddings request and response handling.
pub fn embeddings(data: &[u8]) {
    if let Ok(req) = openai::parse_embeddings_request(data) {
        let _ = openai::build_embeddings_request(&req, "m");
    }
    if let Ok(resp) = openai::parse_embeddings_response(data) {
        for format in [crate::EncodingFormat::Float, crate::EncodingFormat::Base64] {
            let body = openai::render_embeddings_response(&resp, "m", format);
            assert!(
                openai::parse_embeddings_response(&body).is_ok(),
                "rendered embeddings do not parse"
            );
        }
    }
}

/// Gemini request builder, fed by both inbound parsers: every body it builds is JSON whose
/// `contents` is a non-empty list of turns with non-empty `parts` and alternating roles.
pub fn gemini_request(data: &[u8]) {
    let parsed = [
        openai::parse_chat_request(data).ok(),
        anthropic::parse_messages_request(data).ok(),
    ];
    for req in parsed.into_iter().flatten() {
        let Ok(built) = gemini::build_generate_request(&req) else {
            continue;
        };
        let body = serde_json::from_slice::<serde_json::Value>(&built.body);
        assert!(body.is_ok(), "built Gemini body is not JSON");
        let contents = body
            .ok()
            .and_then(|b| b.get("contents").and_then(|c| c.as_array()).cloned())
            .unwrap_or_default();
        assert!(!contents.is_empty(), "built Gemini body has no contents");
        let roles: Vec<Option<&str>> = contents
            .iter()
            .map(|c| c.get("role").and_then(|r| r.as_str()))
            .collect();
        assert!(
            roles.windows(2).all(|pair| pair[0] != pair[1]),
            "adjacent Gemini turns share a role"
        );
        assert!(
            contents.iter().all(|c| c
                .get("parts")
                .and_then(|p| p.as_array())
                .is_some_and(|p| !p.is_empty())),
            "a Gemini turn has no parts"
        );
    }
}

/// Gemini response, error and embeddings parsers; parsed responses render for both inbound APIs.
pub fn gemini_response(data: &[u8]) {
    let _ = gemini::parse_error(503, data);
    let _ = gemini::parse_embeddings_response(data, "m");
    if let Ok(resp) = gemini::parse_generate_response(data, "m") {
        assert!(
            !resp.choices.is_empty(),
            "a Gemini response without choices"
        );
        render_both(&resp);
    }
}

/// Gemini stream decoder over arbitrary SSE, re-encoded for both inbound APIs.
pub fn gemini_stream(data: &[u8]) {
    let events = sse_events(data, 1 << 20);
    run_stream(&events, &mut gemini::GenerateStreamDecoder::new("m"));
}
