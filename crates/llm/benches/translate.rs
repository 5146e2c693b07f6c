//! Translation hot paths: request building across APIs, response rendering, stream decode and
//! re-encode, the fast-path inspectors, and `RawObject` against a full `serde_json::Value`
//! round trip.

#![expect(
    clippy::unwrap_used,
    reason = "benchmark setup on known-good fixtures: a failure is a broken bench"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis_llm::anthropic;
use portcullis_llm::openai::{self, OpenAiBuildOptions};
use portcullis_llm::raw::{RawObject, to_raw};
use portcullis_llm::sse::SseDecoder;
use portcullis_llm::{StreamDecoder, StreamEncoder, StreamEvent};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A 12-event OpenAI stream: role chunk, 9 content chunks, finish, usage — plus `[DONE]`.
fn twelve_chunk_stream() -> Vec<u8> {
    let mut out = String::new();
    let head = r#"{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1745499630,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_f5bdcc3276","choices":"#;
    out.push_str(&format!(
        "data: {head}[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
    ));
    for i in 0..9 {
        out.push_str(&format!(
            "data: {head}[{{\"index\":0,\"delta\":{{\"content\":\" token number {i} of the answer\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
        ));
    }
    out.push_str(&format!(
        "data: {head}[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],\"usage\":null}}\n\n"
    ));
    out.push_str(&format!(
        "data: {head}[],\"usage\":{{\"prompt_tokens\":12,\"completion_tokens\":40,\"total_tokens\":52,\"prompt_tokens_details\":{{\"cached_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0}}}}}}\n\ndata: [DONE]\n\n"
    ));
    out.into_bytes()
}

fn requests(c: &mut Criterion) {
    let body = fixture("requests/openai/tool_results.json");
    let req = openai::parse_chat_request(&body).unwrap();
    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("openai_parse", |b| {
        b.iter(|| openai::parse_chat_request(black_box(&body)).unwrap())
    });
    group.bench_function("anthropic_build_from_openai", |b| {
        b.iter(|| {
            anthropic::build_messages_request(black_box(&req), "claude-sonnet-4-5", 4096).unwrap()
        })
    });
    group.bench_function("openai_parse_then_anthropic_build", |b| {
        b.iter(|| {
            let req = openai::parse_chat_request(black_box(&body)).unwrap();
            anthropic::build_messages_request(&req, "claude-sonnet-4-5", 4096).unwrap()
        })
    });
    group.bench_function("openai_build_same_api", |b| {
        b.iter(|| {
            openai::build_chat_request(black_box(&req), "gpt-4o", &OpenAiBuildOptions::default())
                .unwrap()
        })
    });
    group.finish();
}

fn responses(c: &mut Criterion) {
    let body = fixture("responses/anthropic/tool_use.json");
    let resp = anthropic::parse_messages_response(&body).unwrap();
    let mut group = c.benchmark_group("response");
    group.bench_function("anthropic_parse", |b| {
        b.iter(|| anthropic::parse_messages_response(black_box(&body)).unwrap())
    });
    group.bench_function("openai_render", |b| {
        b.iter(|| openai::render_chat_response(black_box(&resp), "gpt-4o"))
    });
    group.bench_function("anthropic_render", |b| {
        b.iter(|| anthropic::render_messages_response(black_box(&resp), "claude"))
    });
    group.bench_function("openai_extract_usage", |b| {
        let body = fixture("responses/openai/tool_calls.json");
        b.iter(|| openai::extract_usage(black_box(&body)).unwrap())
    });
    group.finish();
}

fn streams(c: &mut Criterion) {
    let bytes = twelve_chunk_stream();
    let mut group = c.benchmark_group("stream_12_chunks");
    group.throughput(Throughput::Elements(12));
    let translate = |encoder: &mut dyn StreamEncoder| {
        let mut sse = SseDecoder::new();
        let mut decoder = openai::ChatStreamDecoder::new();
        let mut events: Vec<StreamEvent> = Vec::with_capacity(4);
        let mut out = Vec::with_capacity(4096);
        sse.push(black_box(&bytes)).unwrap();
        while let Some(event) = sse.next_event() {
            events.clear();
            decoder.on_event(&event, &mut events);
            for e in &events {
                encoder.encode(e, &mut out);
            }
        }
        out
    };
    group.bench_function("sse_decode_only", |b| {
        b.iter(|| {
            let mut sse = SseDecoder::new();
            sse.push(black_box(&bytes)).unwrap();
            let mut n = 0;
            while let Some(event) = sse.next_event() {
                n += event.data.len();
            }
            n
        })
    });
    group.bench_function("openai_to_openai", |b| {
        b.iter(|| translate(&mut openai::ChatStreamEncoder::new("gpt-4o", true)))
    });
    group.bench_function("openai_to_anthropic", |b| {
        b.iter(|| translate(&mut anthropic::MessagesStreamEncoder::new("claude")))
    });
    group.bench_function("passthrough_inspect_chunk", |b| {
        let mut sse = SseDecoder::new();
        sse.push(&bytes).unwrap();
        let events: Vec<_> = std::iter::from_fn(|| sse.next_event()).collect();
        b.iter(|| {
            events
                .iter()
                .filter(|e| openai::inspect_chunk(black_box(&e.data)).usage.is_some())
                .count()
        })
    });
    group.finish();
}

fn raw_object(c: &mut Criterion) {
    // A realistic request and a long conversation (about 60 KB), both patched the way the
    // passthrough path does: read model and stream, replace model, add stream_options.
    let small = fixture("requests/openai/tool_results.json");
    let mut long: serde_json::Value = serde_json::from_slice(&small).unwrap();
    let history = long["messages"].as_array().unwrap().clone();
    for _ in 0..60 {
        long["messages"]
            .as_array_mut()
            .unwrap()
            .extend(history.iter().cloned());
    }
    let long = serde_json::to_vec(&long).unwrap();
    let options = to_raw(&serde_json::json!({"include_usage": true})).unwrap();
    for (name, body) in [("small", &small), ("long", &long)] {
        let mut group = c.benchmark_group(format!("patch_{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function("raw_object", |b| {
            b.iter(|| {
                let mut obj = RawObject::parse(black_box(body)).unwrap();
                let _ = obj.get_str("model");
                let _ = obj.get_bool("stream");
                obj.set("model", to_raw("gpt-4o-2024-08-06").unwrap());
                obj.set("stream_options", options.clone());
                obj.to_vec()
            })
        });
        group.bench_function("serde_json_value", |b| {
            b.iter(|| {
                let mut value: serde_json::Value = serde_json::from_slice(black_box(body)).unwrap();
                let _ = value.get("model").and_then(|m| m.as_str());
                let _ = value.get("stream").and_then(|s| s.as_bool());
                value["model"] = serde_json::Value::from("gpt-4o-2024-08-06");
                value["stream_options"] = serde_json::json!({"include_usage": true});
                serde_json::to_vec(&value).unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, requests, responses, streams, raw_object);
criterion_main!(benches);
