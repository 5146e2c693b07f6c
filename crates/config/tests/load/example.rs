//! `portcullis.example.yaml` at the repository root loads and means what its comments say.

use portcullis_config::{
    ConfigSource, DatabaseKind, MapEnv, ModelPattern, ProviderKind, TargetModel, TranslationMode,
    hash_api_key, load_file,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../portcullis.example.yaml")
}

fn example_env() -> MapEnv {
    MapEnv::from_pairs([
        ("PORTCULLIS_ADMIN_TOKEN", "admin-token-0123456789abcdef"),
        ("OPENAI_API_KEY", "sk-openai-example"),
        ("AZURE_OPENAI_API_KEY", "azure-example"),
        ("ANTHROPIC_API_KEY", "sk-ant-example"),
        ("GEMINI_API_KEY", "gemini-example"),
        ("TEAM_A_KEY", "sk-team-a-0123456789"),
    ])
}

#[test]
fn example_file_loads_with_the_documented_values() {
    let config = load_file(&example_path(), &example_env()).unwrap_or_else(|e| panic!("{e}"));
    let dir = std::path::absolute(example_path().parent().unwrap()).unwrap();
    assert!(
        matches!(&config.source, ConfigSource::File(p) if p.ends_with("portcullis.example.yaml"))
    );
    assert_eq!(
        config.warnings,
        vec![],
        "the example should be warning-free"
    );

    let server = &config.server;
    assert_eq!(server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(server.max_body_size, 10 * 1024 * 1024);
    assert_eq!(server.request_timeout, Duration::from_secs(600));
    assert_eq!(server.shutdown_grace, Duration::from_secs(30));
    assert!(server.data_dir.ends_with("portcullis-data"));
    assert!(
        server
            .data_dir
            .starts_with(dir.components().next().unwrap())
    );
    assert_eq!(config.translation, TranslationMode::Lenient);
    let DatabaseKind::SqliteFile(db) = &config.database.kind else {
        panic!("sqlite file expected")
    };
    assert!(
        db.ends_with("portcullis-data/portcullis.db"),
        "{}",
        db.display()
    );
    assert!(db.is_absolute());
    assert!(config.call_log.enabled);
    assert_eq!(config.call_log.queue_capacity, 10_000);
    assert_eq!(config.call_log.batch_size, 256);
    assert_eq!(config.call_log.flush_interval, Duration::from_millis(200));
    assert_eq!(
        config.admin.token.as_ref().unwrap().expose(),
        "admin-token-0123456789abcdef"
    );

    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "openai", "azure-eu", "claude", "gemini", "local", "vllm", "mock"
        ]
    );
    let openai = config.provider("openai").unwrap();
    assert_eq!(openai.kind, ProviderKind::OpenAi);
    assert_eq!(
        openai.api_key.as_ref().unwrap().expose(),
        "sk-openai-example"
    );
    assert_eq!(
        openai.organization, None,
        "OPENAI_ORG_ID is unset, so no header"
    );
    assert_eq!(openai.headers.len(), 1);
    assert_eq!(openai.headers[0].0, "x-team");
    assert_eq!(openai.headers[0].1.expose(), "platform");
    assert_eq!(openai.timeout, Duration::from_secs(300));
    assert_eq!(openai.connect_timeout, Duration::from_secs(5));
    let azure = config.provider("azure-eu").unwrap();
    assert_eq!(azure.kind, ProviderKind::Azure);
    assert_eq!(azure.base_url, "https://my-resource.openai.azure.com");
    assert_eq!(azure.api_version.as_deref(), Some("2024-10-21"));
    let claude = config.provider("claude").unwrap();
    assert_eq!(claude.anthropic_version.as_deref(), Some("2023-06-01"));
    assert_eq!(claude.default_max_tokens, 4096);
    assert_eq!(claude.base_url, "https://api.anthropic.com");
    assert_eq!(
        config.provider("gemini").unwrap().base_url,
        "https://generativelanguage.googleapis.com"
    );
    let local = config.provider("local").unwrap();
    assert_eq!(
        (local.kind, local.preset.as_deref()),
        (ProviderKind::OpenAiCompatible, Some("ollama"))
    );
    assert_eq!(local.base_url, "http://localhost:11434/v1");
    assert_eq!(config.provider("vllm").unwrap().preset, None);
    assert_eq!(config.provider("mock").unwrap().kind, ProviderKind::Mock);

    assert_eq!(config.models.len(), 7);
    let first = &config.models[0];
    assert_eq!(first.pattern, ModelPattern::Exact("gpt-4o-mini".into()));
    assert_eq!(first.targets.len(), 2);
    assert_eq!(first.targets[1].provider, "azure-eu");
    assert_eq!(
        first.targets[1].model,
        TargetModel::Fixed("my-gpt-4o-mini-deployment".into())
    );
    let smart = &config.models[1];
    assert_eq!(config.translation_for(smart), TranslationMode::Strict);
    let (route, captured) = config.route_for("openai/gpt-4o").unwrap();
    assert_eq!(
        route.targets[0].upstream_model("openai/gpt-4o", captured),
        "gpt-4o"
    );
    let (route, captured) = config.route_for("claude-haiku-4-5").unwrap();
    assert_eq!(
        route.targets[0].upstream_model("claude-haiku-4-5", captured),
        "claude-haiku-4-5"
    );
    assert!(config.route_for("unknown-model").is_none());

    let keys = &config.api_keys;
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0].hash, hash_api_key("sk-team-a-0123456789"));
    assert!(keys[0].allows_model("openai/gpt-4o") && !keys[0].allows_model("claude-x"));
    assert_eq!(keys[1].hash, hash_api_key("test"));
    assert!(keys[1].is_active(SystemTime::now()));
    assert!(keys[2].disabled);
}

#[test]
fn example_file_without_its_environment_names_every_missing_variable() {
    let errors = load_file(&example_path(), &MapEnv::default()).unwrap_err();
    let text = errors.to_string();
    for var in [
        "PORTCULLIS_ADMIN_TOKEN",
        "OPENAI_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "GEMINI_API_KEY",
        "TEAM_A_KEY",
    ] {
        assert!(
            text.contains(&format!("{var} is not set")),
            "{var} missing from:\n{text}"
        );
    }
    // One error per missing variable, nothing cascading from them.
    assert_eq!(errors.len(), 6, "{text}");
}

#[test]
fn example_file_matches_the_raw_types_as_a_whole() {
    // The loader reads section by section; the documented RawConfig type must accept the same
    // file in one go, so the two cannot drift apart.
    let text = std::fs::read_to_string(example_path()).unwrap();
    let raw = portcullis_config::parse_raw(&text, &example_env()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.providers.map(|p| p.0.len()), Some(7));
    assert_eq!(raw.models.map(|m| m.len()), Some(7));
}

#[test]
fn missing_file_is_one_clear_error() {
    let errors = load_file(
        Path::new("/nonexistent/portcullis.yaml"),
        &MapEnv::default(),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors
            .to_string()
            .contains("cannot read config file /nonexistent/portcullis.yaml"),
        "{errors}"
    );
}
