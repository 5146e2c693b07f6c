//! Broken input never panics: random edits of the example file always give a config or errors.

use portcullis_config::{MapEnv, load_str};
use std::path::Path;

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_files_never_panic() {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../portcullis.example.yaml"
    ))
    .unwrap();
    let env = MapEnv::from_pairs([
        ("PORTCULLIS_ADMIN_TOKEN", "admin-token-0123456789abcdef"),
        ("OPENAI_API_KEY", "k"),
        ("AZURE_OPENAI_API_KEY", "k"),
        ("ANTHROPIC_API_KEY", "k"),
        ("GEMINI_API_KEY", "k"),
        ("TEAM_A_KEY", "team-a-key-0123456789"),
    ]);
    let alphabet: &[u8] = b" \n\t:-[]{}*&!|>'\"#$%{}0123456789abcz,.?@`\\";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..1500 {
        let mut bytes = example.clone().into_bytes();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = alphabet[rng.below(alphabet.len())],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[rng.below(alphabet.len())]),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        match load_str(&text, Path::new("/etc/portcullis/p.yaml"), &env) {
            Ok(_) => ok += 1,
            Err(errors) => {
                assert!(!errors.is_empty());
                failed += 1;
            }
        }
    }
    // Both outcomes occur, so the mutations exercise more than the syntax error path.
    assert!(ok > 0 && failed > 0, "ok={ok} failed={failed}");
}
