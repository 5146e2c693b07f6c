//! A file with many mistakes reports all of them, each at its path and line.

use crate::common::errors;

const BROKEN: &str = r#"server:
  lisen: 127.0.0.1:8080
  max_body_size: 10XB
call_log:
  queue_capacity: 0
providers:
  openai:
    type: openai
  claude:
    type: anthropic
    api_key: ${ANTHROPIC_API_KEY}
    organization: org-1
  Bad/Name:
    type: mock
  weird:
    type: openia
models:
  - name: gpt-4o
    targets: [claud/claude-x]
  - name: a*b
    targets: [openai]
  - name: empty
    targets: []
  - name: gpt-4o
    targets: [openai]
api_keys:
  - name: team-a
    key: ${TEAM_A_KEY}
    hash: sha256:abc
  - name: team b
    hash: nothex
translaton: strict
"#;

#[test]
fn every_mistake_is_reported_with_path_and_line() {
    let found: Vec<(String, Option<u32>)> = errors(BROKEN)
        .into_iter()
        .map(|e| (e.path, e.line))
        .collect();
    let expected: Vec<(&str, u32)> = vec![
        ("server.lisen", 2),
        ("server.max_body_size", 3),
        ("call_log.queue_capacity", 5),
        ("providers.openai.api_key", 7),
        ("providers.claude.organization", 12),
        ("providers[\"Bad/Name\"]", 13),
        ("providers.weird.type", 16),
        ("models[0].targets[0]", 19),
        ("models[1].name", 20),
        ("models[2].targets", 23),
        ("models[3].name", 24),
        ("api_keys[0]", 27),
        ("api_keys[1].name", 30),
        ("api_keys[1].hash", 31),
        ("translaton", 32),
    ];
    let expected: Vec<(String, Option<u32>)> = expected
        .into_iter()
        .map(|(p, l)| (p.to_owned(), Some(l)))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn messages_are_actionable() {
    let text = errors(BROKEN)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    for needle in [
        "server.lisen (line 2): unknown field `lisen`; did you mean `listen`?",
        "providers.openai.api_key (line 7): type openai needs an api_key",
        "`organization` applies only to type openai, not anthropic",
        "unknown value `openia`",
        "did you mean `openai`?",
        "unknown provider `claud` (known: openai, claude, Bad/Name, weird); did you mean `claude`?",
        "a pattern may hold one `*`, and only at the end",
        "a route needs at least one target",
        "duplicate model name `gpt-4o` (also models[0])",
        "give either `key` or `hash`, not both",
        "invalid key name `team b`",
        "not a SHA-256 digest",
        "unknown section `translaton`; did you mean `translation`?",
        "call_log.queue_capacity (line 5): 0 is out of range: allowed 1 to 10000000",
        "server.max_body_size (line 3): invalid value \"10XB\": expected a size in bytes",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}
