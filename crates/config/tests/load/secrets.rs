//! Secrets never show up in Debug output or in error messages.

use portcullis_config::{MapEnv, defaults, load_str};
use std::path::Path;

use crate::common::{ORIGIN, load};

const SECRETS: [&str; 4] = [
    "sk-openai-secret-value-1",
    "sk-ant-secret-value-2",
    "team-a-secret-value-3",
    "hunter2",
];

#[test]
fn debug_output_of_a_loaded_config_holds_no_secret() {
    let config = load(
        "admin: {token: hunter2}\ndatabase: {url: 'sqlite://x.db'}\nproviders:\n  o:\n    type: openai\n    \
         api_key: ${OPENAI_API_KEY}\n    headers: {x-k: '${ANTHROPIC_API_KEY}'}\n\
         api_keys:\n  - {name: a, key: '${TEAM_A_KEY}'}\n",
    );
    let debug = format!("{config:?} {config:#?}");
    for secret in SECRETS {
        assert!(!debug.contains(secret), "{secret} leaked into Debug output");
    }
    assert!(debug.contains("***"));
    // The key itself is not even kept: only its hash.
    assert!(!format!("{:?}", config.api_keys).contains("team-a"));
}

#[test]
fn debug_output_of_defaults_holds_no_secret() {
    let env = MapEnv::from_pairs([
        ("OPENAI_API_KEY", "sk-openai-secret-value-1"),
        ("PORTCULLIS_DEV_KEY", "hunter2"),
    ]);
    let config = defaults(&env);
    let text = format!(
        "{config:?}\n{}",
        portcullis_config::describe_defaults(&config)
    );
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} leaked");
    }
}

#[test]
fn error_messages_never_quote_values_from_the_environment() {
    let env = MapEnv::from_pairs([("S1", "hunter2"), ("S2", "hunter2:80"), ("S3", "hunter2")]);
    let yaml = "server:\n  max_body_size: ${S1}\n  listen: '${S2}x'\n\
                call_log: {enabled: '${S3}'}\n\
                translation: ${S1}\n\
                providers:\n  p: {type: '${S1}'}\n  q: {type: groq, base_url: '${S1}', headers: {'a b': '${S1}'}}\n\
                api_keys:\n  - {name: k, hash: '${S1}'}\n";
    let errors = load_str(yaml, Path::new(ORIGIN), &env).unwrap_err();
    assert!(errors.len() >= 7, "{errors}");
    let text = errors.to_string();
    assert!(!text.contains("hunter2"), "secret in errors:\n{text}");
}
