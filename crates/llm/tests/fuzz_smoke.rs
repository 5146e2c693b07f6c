//! Stable-Rust smoke run of the fuzz targets (`portcullis_llm::fuzzing`): each target runs over
//! the fixtures and a few thousand deterministic mutations of them, and must not panic. The real
//! fuzzing runs with cargo-fuzz from `fuzz/` at the repository root.

#[expect(
    dead_code,
    reason = "each test binary uses a subset of the shared helpers"
)]
mod common;

use common::Rng;
use portcullis_llm::fuzzing;

/// Mutations per target; keeps the whole test well under ten seconds in a debug build.
const MUTATIONS: usize = 4000;

const INTERESTING: &[u8] = b"{}[]\",:\\\n\r 0-e.9\x00\xff\xc3tfnu";

#[cfg(test)]
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(4) {
        let len = data.len().max(1);
        match rng.below(7) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = start + rng.below(other.len() - start + 1);
                    let at = rng.below(len);
                    let at = at.min(data.len());
                    data.splice(at..at, other[start..end].iter().copied());
                }
            }
            3 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(16)).min(data.len());
                data.drain(start..end);
            }
            4 if !data.is_empty() => {
                let start = rng.below(data.len());
                let end = (start + 1 + rng.below(32)).min(data.len());
                let copy: Vec<u8> = data[start..end].to_vec();
                data.splice(start..start, copy);
            }
            5 => data.truncate(rng.below(len)),
            _ => {
                let at = rng.below(len).min(data.len());
                data.insert(at, INTERESTING[rng.below(INTERESTING.len())]);
            }
        }
    }
    data
}

#[cfg(test)]
fn seeds(dirs: &[(&str, &str)]) -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = dirs
        .iter()
        .flat_map(|(dir, ext)| common::fixtures(dir, ext))
        .map(|(_, bytes)| bytes)
        .collect();
    seeds.push(Vec::new());
    seeds
}

/// Inputs that once failed a target (from `fuzz/artifacts`), kept under
/// `fixtures/fuzz/<target>/` and replayed first.
#[cfg(test)]
fn regressions(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
fn run(target: fn(&[u8]), seeds: &[Vec<u8>], seed: u64) {
    for input in seeds {
        target(input);
    }
    let mut rng = Rng::new(seed);
    for _ in 0..MUTATIONS {
        target(&mutate(&mut rng, seeds));
    }
}

const REQUESTS: &[(&str, &str)] = &[("requests/openai", "json"), ("requests/anthropic", "json")];
const RESPONSES: &[(&str, &str)] = &[
    ("responses/openai", "json"),
    ("responses/anthropic", "json"),
];
const STREAMS: &[(&str, &str)] = &[("streams/openai", "sse"), ("streams/anthropic", "sse")];

#[test]
fn sse_decoder() {
    run(fuzzing::sse_decoder, &seeds(STREAMS), 1);
}

#[test]
fn openai_request() {
    run(fuzzing::openai_request, &seeds(&REQUESTS[..1]), 2);
}

#[test]
fn anthropic_request() {
    let mut seeds = seeds(&REQUESTS[1..]);
    seeds.extend(regressions("anthropic_request"));
    run(fuzzing::anthropic_request, &seeds, 3);
}

#[test]
fn openai_response() {
    run(fuzzing::openai_response, &seeds(&RESPONSES[..1]), 4);
}

#[test]
fn anthropic_response() {
    run(fuzzing::anthropic_response, &seeds(&RESPONSES[1..]), 5);
}

#[test]
fn openai_stream() {
    run(fuzzing::openai_stream, &seeds(&STREAMS[..1]), 6);
}

#[test]
fn anthropic_stream() {
    run(fuzzing::anthropic_stream, &seeds(&STREAMS[1..]), 7);
}

#[test]
fn raw_object() {
    let mut seeds = seeds(REQUESTS);
    seeds.extend(regressions("raw_object"));
    run(fuzzing::raw_object, &seeds, 8);
}

#[test]
fn embeddings() {
    let seeds = vec![
        br#"{"model":"text-embedding-3-small","input":["a","b"],"encoding_format":"base64","dimensions":8}"#.to_vec(),
        br#"{"model":"m","input":[[1,2],[3]]}"#.to_vec(),
        br#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]},{"object":"embedding","index":1,"embedding":"AACAPwAAAEA="}],"model":"m","usage":{"prompt_tokens":3,"total_tokens":3}}"#.to_vec(),
    ];
    run(fuzzing::embeddings, &seeds, 9);
}
