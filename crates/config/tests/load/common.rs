//! Helpers shared by the integration tests.

use portcullis_config::{Config, ConfigError, MapEnv, load_str};
use std::path::Path;

/// Where test configs claim to live: relative paths resolve against /etc/portcullis.
pub const ORIGIN: &str = "/etc/portcullis/portcullis.yaml";

pub fn env() -> MapEnv {
    MapEnv::from_pairs([
        ("OPENAI_API_KEY", "sk-openai-secret-value-1"),
        ("ANTHROPIC_API_KEY", "sk-ant-secret-value-2"),
        ("TEAM_A_KEY", "team-a-secret-value-3"),
    ])
}

pub fn load(yaml: &str) -> Config {
    match load_str(yaml, Path::new(ORIGIN), &env()) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid config, got:\n{errors}"),
    }
}

pub fn errors(yaml: &str) -> Vec<ConfigError> {
    match load_str(yaml, Path::new(ORIGIN), &env()) {
        Ok(_) => panic!("expected errors for:\n{yaml}"),
        Err(errors) => errors.0,
    }
}

/// Asserts exactly one error, at `path`, whose message contains `needle`; returns it.
pub fn one_error(yaml: &str, path: &str, needle: &str) -> ConfigError {
    let errors = errors(yaml);
    assert_eq!(errors.len(), 1, "expected one error, got: {errors:#?}");
    let error = errors.into_iter().next().unwrap();
    assert_eq!(error.path, path, "{error}");
    assert!(
        error.message.contains(needle),
        "`{}` does not contain `{needle}`",
        error.message
    );
    error
}

/// A minimal valid prefix: one mock provider and route, for tests about other sections.
pub const MOCK: &str =
    "providers:\n  mock: {type: mock}\nmodels:\n  - {name: mock-*, targets: [mock]}\n";
