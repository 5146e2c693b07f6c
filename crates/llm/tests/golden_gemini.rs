//! Golden tests of the Gemini translation: every fixture is converted and compared with a
//! reviewed snapshot under `tests/snapshots/gemini/` (the snapshots are the spec).
//!
//! * `fixtures/responses/gemini/*.json` → canonical `ChatResponse`.
//! * `fixtures/streams/gemini/*.sse` → canonical stream events, identical whatever the byte
//!   chunking of the body.

use std::path::Path;

use portcullis_llm::gemini::{GenerateStreamDecoder, parse_generate_response};
use portcullis_llm::sse::SseDecoder;
use portcullis_llm::{StreamDecoder, StreamEvent, UpstreamError};
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

#[test]
fn responses_parse_to_canonical() {
    for (name, body) in fixtures("responses/gemini", "json") {
        let value = match parse_generate_response(&body, MODEL) {
            Ok(response) => serde_json::to_value(&response).unwrap(),
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
