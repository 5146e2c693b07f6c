//! The embedded defaults (`portcullis serve` without a config file).

use portcullis_config::{
    ConfigSource, DEV_KEY, MapEnv, ProviderKind, defaults, describe_defaults, hash_api_key,
};
use std::time::Duration;

fn upstream(config: &portcullis_config::Config, model: &str) -> Option<(String, String)> {
    let (route, captured) = config.route_for(model)?;
    let target = &route.targets[0];
    Some((
        target.provider.clone(),
        target.upstream_model(model, captured),
    ))
}

fn pair(provider: &str, model: &str) -> Option<(String, String)> {
    Some((provider.to_owned(), model.to_owned()))
}

#[test]
fn bare_environment_gives_mock_and_the_demo_key() {
    let config = defaults(&MapEnv::default());
    assert_eq!(config.source, ConfigSource::Defaults);
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert!(
        config.server.data_dir.is_absolute() && config.server.data_dir.ends_with("portcullis-data")
    );
    assert_eq!(config.server.request_timeout, Duration::from_secs(600));
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mock"]);
    assert_eq!(upstream(&config, "mock-echo"), pair("mock", "mock-echo"));
    assert_eq!(upstream(&config, "mock"), pair("mock", "mock"));
    assert_eq!(upstream(&config, "gpt-4o"), None);
    assert_eq!(config.api_keys.len(), 1);
    assert_eq!(config.api_keys[0].name, "dev");
    assert_eq!(config.api_keys[0].hash, hash_api_key(DEV_KEY));
    assert_eq!(DEV_KEY, "sk-portcullis-dev");
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let text = describe_defaults(&config);
    assert!(
        text.contains("127.0.0.1:8080")
            && text.contains("mock (built in")
            && text.contains("sk-portcullis-dev"),
        "{text}"
    );
}

#[test]
fn every_documented_variable_is_picked_up() {
    let env = MapEnv::from_pairs([
        ("OPENAI_API_KEY", "sk-o"),
        ("OPENAI_BASE_URL", "http://127.0.0.1:1234/v1/"),
        ("ANTHROPIC_API_KEY", "sk-a"),
        ("GOOGLE_API_KEY", "g"),
        ("AZURE_OPENAI_API_KEY", "az"),
        ("AZURE_OPENAI_ENDPOINT", "https://res.openai.azure.com"),
        ("OPENAI_API_VERSION", "2025-04-01-preview"),
        ("GROQ_API_KEY", "gq"),
        ("MISTRAL_API_KEY", "mi"),
        ("DEEPSEEK_API_KEY", "ds"),
        ("TOGETHER_API_KEY", "to"),
        ("OPENROUTER_API_KEY", "or"),
        ("OLLAMA_HOST", "127.0.0.1:11434"),
        ("PORTCULLIS_DEV_KEY", "my-own-dev-key-123"),
    ]);
    let config = defaults(&env);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mock",
            "openai",
            "anthropic",
            "gemini",
            "azure",
            "groq",
            "mistral",
            "deepseek",
            "together",
            "openrouter",
            "ollama"
        ]
    );
    let openai = config.provider("openai").unwrap();
    assert_eq!(openai.base_url, "http://127.0.0.1:1234/v1");
    assert_eq!(openai.api_key.as_ref().unwrap().expose(), "sk-o");
    assert_eq!(
        config
            .provider("gemini")
            .unwrap()
            .api_key
            .as_ref()
            .unwrap()
            .expose(),
        "g"
    );
    let azure = config.provider("azure").unwrap();
    assert_eq!(
        (azure.kind, azure.base_url.as_str()),
        (ProviderKind::Azure, "https://res.openai.azure.com")
    );
    assert_eq!(azure.api_version.as_deref(), Some("2025-04-01-preview"));
    assert_eq!(
        config.provider("ollama").unwrap().base_url,
        "http://127.0.0.1:11434/v1"
    );
    assert_eq!(
        config.provider("groq").unwrap().preset.as_deref(),
        Some("groq")
    );

    for (model, provider, upstream_model) in [
        ("openai/gpt-4o", "openai", "gpt-4o"),
        ("gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("o1", "openai", "o1"),
        ("o3-mini", "openai", "o3-mini"),
        ("o4-mini", "openai", "o4-mini"),
        ("chatgpt-4o-latest", "openai", "chatgpt-4o-latest"),
        ("text-embedding-3-small", "openai", "text-embedding-3-small"),
        ("anthropic/claude-x", "anthropic", "claude-x"),
        ("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("gemini/gemini-2.5-flash", "gemini", "gemini-2.5-flash"),
        ("gemini-2.5-pro", "gemini", "gemini-2.5-pro"),
        ("azure/my-deployment", "azure", "my-deployment"),
        (
            "groq/llama-3.3-70b-versatile",
            "groq",
            "llama-3.3-70b-versatile",
        ),
        (
            "mistral/mistral-large-latest",
            "mistral",
            "mistral-large-latest",
        ),
        ("deepseek/deepseek-chat", "deepseek", "deepseek-chat"),
        (
            "together/meta-llama/Llama-3-70b",
            "together",
            "meta-llama/Llama-3-70b",
        ),
        ("openrouter/openai/gpt-4o", "openrouter", "openai/gpt-4o"),
        ("ollama/llama3.2", "ollama", "llama3.2"),
        ("mock-echo", "mock", "mock-echo"),
    ] {
        assert_eq!(
            upstream(&config, model),
            pair(provider, upstream_model),
            "{model}"
        );
    }
    assert_eq!(config.api_keys[0].hash, hash_api_key("my-own-dev-key-123"));
    let text = describe_defaults(&config);
    assert!(
        text.contains("from PORTCULLIS_DEV_KEY") && !text.contains("sk-portcullis-dev"),
        "{text}"
    );
    assert!(
        text.contains("openai (from OPENAI_API_KEY / OPENAI_BASE_URL)"),
        "{text}"
    );
}

#[test]
fn partial_or_empty_variables_are_ignored() {
    // Azure needs both the key and the endpoint; empty values count as unset.
    let env = MapEnv::from_pairs([
        ("AZURE_OPENAI_API_KEY", "az"),
        ("OPENAI_API_KEY", ""),
        ("PORTCULLIS_DEV_KEY", ""),
    ]);
    let config = defaults(&env);
    assert_eq!(config.providers.len(), 1);
    assert_eq!(config.api_keys[0].hash, hash_api_key(DEV_KEY));
}

#[test]
fn an_invalid_variable_drops_only_its_provider_with_a_warning() {
    let env = MapEnv::from_pairs([
        ("OPENAI_API_KEY", "sk-o"),
        ("OPENAI_BASE_URL", "not a url"),
        ("ANTHROPIC_API_KEY", "sk-a"),
    ]);
    let config = defaults(&env);
    let names: Vec<&str> = config.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["mock", "anthropic"]);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(
        config.warnings[0]
            .message
            .contains("left out of the embedded defaults")
    );
    assert!(upstream(&config, "gpt-4o").is_none());
}
