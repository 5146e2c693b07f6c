//! Golden tests of the Gemini translation: every fixture is converted and compared with a
//! reviewed snapshot under `tests/snapshots/gemini/` (the snapshots are the spec).
//!
//! * `fixtures/requests/{openai,anthropic}/*.json` → parsed by that API's parser, built for
//!   Gemini: the body and the dropped fields (or the error).
//! * `fixtures/responses/gemini/*.json` → canonical `ChatResponse`, and that response rendered
//!   for OpenAI and Anthropic callers.
//! * `fixtures/streams/gemini/*.sse` → canonical stream events, identical whatever the byte
//!   chunking of the body.

// Marks the helpers below as test code, where a failed unwrap is a test failure with a location.
#![cfg(test)]

use std::path::Path;

use portcullis_llm::gemini::{
    GenerateStreamDecoder, build_generate_request, parse_generate_response,
};
use portcullis_llm::sse::SseDecoder;
use portcullis_llm::{
    ChatRequest, RequestError, StreamDecoder, StreamEvent, UpstreamError, anthropic, openai,
};
use serde_json::{Value, json};

/// The upstream model the fixtures pretend to have called.
const MODEL: &str = "gemini-2.5-flash";

/// `(file stem, contents)` of every fixture with this extension in `dir`, sorted by name.
fn fixtures(dir: &str, extension: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .map(|path| {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read(&path).unwrap())
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no fixtures in {}", dir.display());
    found
}

fn snapshot(name: &str, value: &Value) {
    insta::with_settings!({
        snapshot_path => "snapshots/gemini",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(name, value);
    });
}

fn upstream_error(error: &UpstreamError) -> Value {
    json!({
        "error": {
            "status": error.status,
            "kind": error.kind,
            "message": error.message,
            "code": error.code,
            "param": error.param,
        }
    })
}

/// The Gemini body built from a parsed request, with what was dropped, or why it failed.
fn built_for_gemini(parsed: Result<ChatRequest, RequestError>) -> Value {
    let request = match parsed {
        Ok(request) => request,
        Err(error) => {
            return json!({"parse_error": {"message": error.message, "param": error.param}});
        }
    };
    match build_generate_request(&request) {
        Ok(converted) => json!({
            "body": serde_json::from_slice::<Value>(&converted.body).unwrap(),
            "dropped": converted.dropped,
        }),
        Err(error) => json!({"convert_error": {"message": error.message, "param": error.param}}),
    }
}

#[test]
fn openai_requests_build_for_gemini() {
    for (name, body) in fixtures("requests/openai", "json") {
        let value = built_for_gemini(openai::parse_chat_request(&body));
        snapshot(&format!("request__openai__{name}"), &value);
    }
}

#[test]
fn anthropic_requests_build_for_gemini() {
    for (name, body) in fixtures("requests/anthropic", "json") {
        let value = built_for_gemini(anthropic::parse_messages_request(&body));
        snapshot(&format!("request__anthropic__{name}"), &value);
    }
}

#[test]
fn responses_parse_to_canonical_and_render_for_callers() {
    for (name, body) in fixtures("responses/gemini", "json") {
        let value = match parse_generate_response(&body, MODEL) {
            Ok(response) => json!({
                "canonical": serde_json::to_value(&response).unwrap(),
                "openai": serde_json::from_slice::<Value>(
                    &openai::render_chat_response(&response, "gpt-4o")
                ).unwrap(),
                "anthropic": serde_json::from_slice::<Value>(
                    &anthropic::render_messages_response(&response, "claude-sonnet-4-5")
                ).unwrap(),
            }),
            Err(error) => upstream_error(&error),
        };
        snapshot(&format!("response__{name}"), &value);
    }
}

/// Decodes a whole SSE body delivered in chunks of the given sizes (the rest in one last chunk).
fn decode(body: &[u8], chunk_sizes: impl IntoIterator<Item = usize>) -> Vec<StreamEvent> {
    let mut sse = SseDecoder::new();
    let mut decoder = GenerateStreamDecoder::new(MODEL);
    let mut out = Vec::new();
    let mut rest = body;
    let mut feed = |chunk: &[u8], sse: &mut SseDecoder, out: &mut Vec<StreamEvent>| {
        sse.push(chunk).unwrap();
        while let Some(event) = sse.next_event() {
            decoder.on_event(&event, out);
        }
    };
    for size in chunk_sizes {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        feed(chunk, &mut sse, &mut out);
        rest = tail;
    }
    feed(rest, &mut sse, &mut out);
    let mut last = sse.finish();
    while let Some(event) = last {
        decoder.on_event(&event, &mut out);
        last = sse.next_event();
    }
    decoder.on_eof(&mut out);
    out
}

/// A small deterministic generator for chunk sizes (xorshift64*).
struct Chunker(u64);

impl Chunker {
    fn sizes(&mut self, total: usize) -> Vec<usize> {
        let mut sizes = Vec::new();
        let mut covered = 0;
        while covered < total {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            let r = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let size = 1 + usize::try_from(r % 97).unwrap();
            sizes.push(size);
            covered += size;
        }
        sizes
    }
}

#[test]
fn streams_decode_to_canonical_events_whatever_the_chunking() {
    for (name, body) in fixtures("streams/gemini", "sse") {
        let whole = decode(&body, []);
        assert!(
            matches!(whole.last(), Some(StreamEvent::End | StreamEvent::Error(_))),
            "{name}: the stream must end with End or Error"
        );
        let bytewise = decode(&body, std::iter::repeat_n(1, body.len()));
        assert_eq!(bytewise, whole, "{name}: one byte at a time");
        let mut chunker = Chunker(0x9e37_79b9_7f4a_7c15 ^ body.len() as u64);
        for round in 0..64 {
            let sizes = chunker.sizes(body.len());
            assert_eq!(
                decode(&body, sizes),
                whole,
                "{name}: random chunking #{round}"
            );
        }
        snapshot(
            &format!("stream__{name}"),
            &serde_json::to_value(&whole).unwrap(),
        );
    }
}

/// Checks the `StreamDecoder` contract on one decoded stream: `Start` first (or a lone `Error`
/// when nothing had started), exactly one terminal event (`End` or `Error`) and it comes last,
/// `Usage` at most once and only right before `End`.
fn assert_stream_contract(name: &str, events: &[StreamEvent]) {
    let terminal = |e: &StreamEvent| matches!(e, StreamEvent::End | StreamEvent::Error(_));
    assert_eq!(
        events.iter().filter(|e| terminal(e)).count(),
        1,
        "{name}: exactly one terminal event in {events:?}"
    );
    assert!(events.last().is_some_and(terminal), "{name}: {events:?}");
    match events {
        [StreamEvent::Error(_)] | [StreamEvent::Start { .. }, ..] => {}
        _ => panic!("{name}: must open with Start: {events:?}"),
    }
    let usages: Vec<usize> = (0..events.len())
        .filter(|&i| matches!(events[i], StreamEvent::Usage(_)))
        .collect();
    assert!(usages.len() <= 1, "{name}: {events:?}");
    if let Some(&i) = usages.first() {
        assert_eq!(
            events.get(i + 1),
            Some(&StreamEvent::End),
            "{name}: {events:?}"
        );
    }
}

#[test]
fn decoded_fixture_streams_keep_the_decoder_contract() {
    for (name, body) in fixtures("streams/gemini", "sse") {
        assert_stream_contract(&name, &decode(&body, []));
    }
}

/// Deterministic mutations of a fixture: truncations, byte flips, deletions and insertions of
/// JSON-significant bytes.
fn mutations(body: &[u8], seed: u64) -> Vec<Vec<u8>> {
    const INTERESTING: &[u8] = b"{}[]\":,\\0-e\r\n ";
    let mut state = seed | 1;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % bound.max(1) as u64).unwrap()
    };
    (0..300)
        .map(|round| {
            let mut m = body.to_vec();
            for _ in 0..=round % 4 {
                let at = next(m.len());
                let last = m.len().saturating_sub(1);
                match next(4) {
                    0 => m.truncate(at),
                    1 if !m.is_empty() => m[at.min(last)] ^= 1 << next(8),
                    2 if !m.is_empty() => {
                        m.remove(at.min(last));
                    }
                    _ => m.insert(at.min(m.len()), INTERESTING[next(INTERESTING.len())]),
                }
            }
            m
        })
        .collect()
}

#[test]
fn mutated_fixtures_never_panic_and_streams_still_terminate() {
    for (name, body) in fixtures("responses/gemini", "json") {
        for (i, mutated) in mutations(&body, 0x5eed ^ body.len() as u64)
            .iter()
            .enumerate()
        {
            let _ = parse_generate_response(mutated, MODEL);
            let error = portcullis_llm::gemini::parse_error(500, mutated);
            assert!(!error.message.is_empty(), "{name} mutation {i}");
        }
    }
    for (name, body) in fixtures("streams/gemini", "sse") {
        for (i, mutated) in mutations(&body, 0xfeed ^ body.len() as u64)
            .iter()
            .enumerate()
        {
            assert_stream_contract(&format!("{name} mutation {i}"), &decode(mutated, [7, 13]));
        }
    }
}

/// What a caller of choice 0 ends up with: text, thinking, tool calls, finish reason, usage and
/// how the stream ended. Ids and models are left out (each API makes its own).
#[derive(Debug, Default, PartialEq)]
struct Digest {
    text: String,
    thinking: String,
    calls: Vec<(String, String)>,
    finish: Option<portcullis_llm::FinishReason>,
    usage: Option<portcullis_llm::Usage>,
    ended: Option<&'static str>,
}

fn digest(events: &[StreamEvent]) -> Digest {
    let mut d = Digest::default();
    for event in events {
        match event {
            StreamEvent::TextDelta { choice: 0, text } => d.text.push_str(text),
            StreamEvent::ThinkingDelta { choice: 0, text } => d.thinking.push_str(text),
            StreamEvent::ToolCallStart {
                choice: 0, name, ..
            } => {
                d.calls.push((name.clone(), String::new()));
            }
            StreamEvent::ToolCallDelta {
                choice: 0,
                arguments,
                ..
            } => d.calls.last_mut().unwrap().1.push_str(arguments),
            StreamEvent::Finish { choice: 0, reason } => d.finish = Some(reason.clone()),
            StreamEvent::Usage(usage) => d.usage = Some(*usage),
            StreamEvent::End => d.ended = Some("end"),
            StreamEvent::Error(_) => d.ended = Some("error"),
            _ => {}
        }
    }
    d
}

/// Re-decodes the SSE an encoder wrote for the caller with that API's own decoder.
fn redecode(sse_bytes: &[u8], mut decoder: impl StreamDecoder) -> Vec<StreamEvent> {
    let mut sse = SseDecoder::new();
    let mut out = Vec::new();
    sse.push(sse_bytes).unwrap();
    let mut next = sse.next_event().or_else(|| sse.finish());
    while let Some(event) = next {
        decoder.on_event(&event, &mut out);
        next = sse.next_event();
    }
    decoder.on_eof(&mut out);
    out
}

#[test]
fn gemini_streams_reach_openai_and_anthropic_callers_intact() {
    for (name, body) in fixtures("streams/gemini", "sse") {
        let events = decode(&body, []);
        if events
            .iter()
            .any(|e| matches!(e, StreamEvent::TextDelta { choice: 1.., .. }))
        {
            continue; // Anthropic has a single choice; covered by the canonical snapshot.
        }
        let expected = digest(&events);

        let mut openai_sse = Vec::new();
        let mut encoder = openai::ChatStreamEncoder::new("gpt-4o", true);
        for event in &events {
            portcullis_llm::StreamEncoder::encode(&mut encoder, event, &mut openai_sse);
        }
        let via_openai = digest(&redecode(&openai_sse, openai::ChatStreamDecoder::new()));
        assert_eq!(via_openai, expected, "{name} through OpenAI SSE");

        let mut anthropic_sse = Vec::new();
        let mut encoder = anthropic::MessagesStreamEncoder::new("claude-sonnet-4-5");
        for event in &events {
            portcullis_llm::StreamEncoder::encode(&mut encoder, event, &mut anthropic_sse);
        }
        let via_anthropic = digest(&redecode(
            &anthropic_sse,
            anthropic::MessagesStreamDecoder::new(),
        ));
        // Anthropic's usage has no reasoning-token count.
        let expected = Digest {
            usage: expected.usage.map(|u| portcullis_llm::Usage {
                reasoning_tokens: 0,
                ..u
            }),
            ..expected
        };
        assert_eq!(via_anthropic, expected, "{name} through Anthropic SSE");
    }
}

#[test]
fn gemini_fuzz_targets_hold_on_fixtures_and_mutations() {
    use portcullis_llm::fuzzing;
    let requests: Vec<Vec<u8>> = fixtures("requests/openai", "json")
        .into_iter()
        .chain(fixtures("requests/anthropic", "json"))
        .map(|(_, body)| body)
        .collect();
    for (i, body) in requests.iter().enumerate() {
        fuzzing::gemini_request(body);
        for mutated in mutations(body, 0xabcd ^ i as u64) {
            fuzzing::gemini_request(&mutated);
        }
    }
    for (name, body) in fixtures("responses/gemini", "json") {
        fuzzing::gemini_response(&body);
        for mutated in mutations(&body, 0x1234 ^ name.len() as u64) {
            fuzzing::gemini_response(&mutated);
        }
    }
    for (name, body) in fixtures("streams/gemini", "sse") {
        fuzzing::gemini_stream(&body);
        for mutated in mutations(&body, 0x4321 ^ name.len() as u64) {
            fuzzing::gemini_stream(&mutated);
        }
    }
}
