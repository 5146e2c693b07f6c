//! Shared helpers of the translation tests: fixtures, readable JSON, a deterministic RNG and
//! the stream pipeline the gateway runs.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers: a failed unwrap is a test failure with a location"
)]

use std::path::{Path, PathBuf};

use portcullis_llm::sse::SseDecoder;
use portcullis_llm::{StreamDecoder, StreamEncoder, StreamEvent};

/// `(name, bytes)` of every file under `fixtures/<dir>` with extension `ext`, sorted by name.
pub fn fixtures(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", root.display());
    paths
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Pretty-prints compact JSON keeping the key order (serde_json's `Value` would sort keys).
pub fn pretty(json: &[u8]) -> String {
    let text = std::str::from_utf8(json).expect("utf-8 JSON");
    // Validate first so a broken body fails loudly instead of printing oddly.
    serde_json::from_str::<serde_json::Value>(text).expect("valid JSON");
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let chars: Vec<char> = text.chars().collect();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                if chars.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                out.push(c);
                depth += 1;
                newline(&mut out, depth);
            }
            '}' | ']' => {
                depth -= 1;
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so random tests replay exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Splits `bytes` into random chunks of 1 to `max` bytes.
pub fn random_chunks<'a>(bytes: &'a [u8], rng: &mut Rng, max: usize) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = 1 + rng.below(max.min(rest.len()));
        let (head, tail) = rest.split_at(n);
        chunks.push(head);
        rest = tail;
    }
    chunks
}

/// Runs upstream SSE bytes, fed in `chunks`, through the SSE decoder and `decoder`, the way the
/// gateway does (drain events after each chunk, flush at end of body, then `on_eof`).
pub fn decode_stream(chunks: &[&[u8]], decoder: &mut dyn StreamDecoder) -> Vec<StreamEvent> {
    let mut sse = SseDecoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        sse.push(chunk).unwrap();
        while let Some(event) = sse.next_event() {
            decoder.on_event(&event, &mut events);
        }
    }
    while let Some(event) = sse.finish() {
        decoder.on_event(&event, &mut events);
    }
    decoder.on_eof(&mut events);
    events
}

/// Encodes canonical events with `encoder` into the caller's SSE text.
pub fn encode_stream(events: &[StreamEvent], encoder: &mut dyn StreamEncoder) -> String {
    let mut out = Vec::new();
    for event in events {
        encoder.encode(event, &mut out);
    }
    String::from_utf8(out).expect("encoders write UTF-8")
}

/// The canonical events one per line, for snapshots.
pub fn event_lines(events: &[StreamEvent]) -> String {
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}
