//! One test per validation rule and per default.

use portcullis_config::{
    ANTHROPIC_VERSION, AZURE_API_VERSION, DatabaseKind, ModelPattern, ProviderKind, TargetModel,
    TranslationMode, hash_api_key,
};
use std::path::Path;
use std::time::Duration;

use crate::common::{MOCK, errors, load, one_error};

#[test]
fn empty_file_is_all_defaults() {
    let config = load("");
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.server.max_body_size, 10 * 1024 * 1024);
    assert_eq!(config.server.request_timeout, Duration::from_secs(600));
    assert_eq!(config.server.shutdown_grace, Duration::from_secs(30));
    assert_eq!(
        config.server.data_dir,
        Path::new("/etc/portcullis/portcullis-data")
    );
    assert_eq!(config.translation, TranslationMode::Lenient);
    assert_eq!(
        config.database.kind,
        DatabaseKind::SqliteFile("/etc/portcullis/portcullis-data/portcullis.db".into())
    );
    assert_eq!(
        config.database.url.expose(),
        "sqlite:///etc/portcullis/portcullis-data/portcullis.db"
    );
    assert!(config.call_log.enabled);
    assert_eq!(config.call_log.queue_capacity, 10_000);
    assert_eq!(config.call_log.batch_size, 256);
    assert_eq!(config.call_log.flush_interval, Duration::from_millis(200));
    assert_eq!(config.admin.token, None);
    assert!(config.providers.is_empty() && config.models.is_empty() && config.api_keys.is_empty());
    assert!(config.warnings.is_empty());
    // Sections written but empty are the same as absent.
    let config = load("server:\ncall_log:\nproviders:\nmodels:\napi_keys:\n");
    assert_eq!(config.call_log.batch_size, 256);
}

#[test]
fn server_values_and_units() {
    let config = load(
        "server:\n  listen: '[::1]:9000'\n  max_body_size: 512KiB\n  request_timeout: 1m30s\n  \
         shutdown_grace: 0\n  data_dir: /var/lib/portcullis\n",
    );
    assert_eq!(config.server.listen.to_string(), "[::1]:9000");
    assert_eq!(config.server.max_body_size, 512 * 1024);
    assert_eq!(config.server.request_timeout, Duration::from_secs(90));
    assert_eq!(config.server.shutdown_grace, Duration::ZERO);
    assert_eq!(config.server.data_dir, Path::new("/var/lib/portcullis"));
    assert_eq!(
        load("server: {max_body_size: 2048}\n").server.max_body_size,
        2048
    );
    assert_eq!(
        load("server: {data_dir: ../data}\n").server.data_dir,
        Path::new("/etc/portcullis/../data")
    );
}

#[test]
fn server_errors() {
    one_error(
        "server: {listen: localhost:8080}\n",
        "server.listen",
        "write ip:port",
    );
    one_error(
        "server: {listen: 8080}\n",
        "server.listen",
        "is not an address",
    );
    one_error(
        "server: {max_body_size: 10}\n",
        "server.max_body_size",
        "out of range",
    );
    one_error(
        "server: {max_body_size: 2GiB}\n",
        "server.max_body_size",
        "out of range",
    );
    one_error(
        "server: {max_body_size: -1}\n",
        "server.max_body_size",
        "expected a size",
    );
    one_error(
        "server: {request_timeout: 30}\n",
        "server.request_timeout",
        "expected a duration",
    );
    one_error(
        "server: {request_timeout: 0}\n",
        "server.request_timeout",
        "out of range",
    );
    one_error(
        "server: {request_timeout: 2d}\n",
        "server.request_timeout",
        "allowed 1s to 24h",
    );
    one_error(
        "server: {shutdown_grace: 2h}\n",
        "server.shutdown_grace",
        "out of range",
    );
    one_error(
        "server: {data_dir: ''}\n",
        "server.data_dir",
        "must not be empty",
    );
    one_error("server: [1]\n", "server", "expected");
}

#[test]
fn translation_mode() {
    assert_eq!(
        load("translation: strict\n").translation,
        TranslationMode::Strict
    );
    one_error(
        "translation: strikt\n",
        "translation",
        "did you mean `strict`?",
    );
}

#[test]
fn database_urls() {
    let db = load("database: {url: 'sqlite://state/gw.db?mode=rwc'}\n").database;
    assert_eq!(
        db.kind,
        DatabaseKind::SqliteFile("/etc/portcullis/state/gw.db".into())
    );
    assert_eq!(
        db.url.expose(),
        "sqlite:///etc/portcullis/state/gw.db?mode=rwc"
    );
    let db = load("database: {url: 'sqlite:///tmp/x.db'}\n").database;
    assert_eq!(db.kind, DatabaseKind::SqliteFile("/tmp/x.db".into()));
    assert_eq!(
        load("database: {url: 'sqlite::memory:'}\n").database.kind,
        DatabaseKind::SqliteMemory
    );
    // The URL may carry a password: the message must not repeat it.
    let e = one_error(
        "database: {url: 'postgres://u:hunter2@db/x'}\n",
        "database.url",
        "not supported yet",
    );
    assert!(!e.message.contains("hunter2"));
    one_error(
        "database: {url: 'mysql://x'}\n",
        "database.url",
        "unsupported database URL",
    );
    one_error(
        "database: {url: 'sqlite://'}\n",
        "database.url",
        "names no file",
    );
}

#[test]
fn call_log_values_and_ranges() {
    let log = load(
        "call_log: {enabled: false, queue_capacity: 100_000, batch_size: 50, flush_interval: 1s}\n",
    )
    .call_log;
    assert!(!log.enabled);
    assert_eq!((log.queue_capacity, log.batch_size), (100_000, 50));
    assert_eq!(log.flush_interval, Duration::from_secs(1));
    one_error(
        "call_log: {queue_capacity: 0}\n",
        "call_log.queue_capacity",
        "out of range",
    );
    one_error(
        "call_log: {batch_size: 0}\n",
        "call_log.batch_size",
        "out of range",
    );
    one_error(
        "call_log: {queue_capacity: 10, batch_size: 20}\n",
        "call_log.batch_size",
        "could never fill",
    );
    one_error(
        "call_log: {flush_interval: 0}\n",
        "call_log.flush_interval",
        "out of range",
    );
    one_error(
        "call_log: {enabled: yes}\n",
        "call_log.enabled",
        "expected true or false",
    );
}

#[test]
fn admin_token() {
    let config = load("admin: {token: a-long-enough-admin-token}\n");
    assert_eq!(
        config.admin.token.unwrap().expose(),
        "a-long-enough-admin-token"
    );
    let config = load("admin: {token: short}\n");
    assert_eq!(config.warnings.len(), 1);
    assert!(config.warnings[0].message.contains("shorter than 16"));
    let config = load("admin: {token: '${NOT_SET:-}'}\n");
    assert_eq!(
        config.admin.token, None,
        "empty token disables the admin API"
    );
    assert!(config.warnings[0].message.contains("disabled"));
}

#[test]
fn provider_defaults_per_type() {
    let config = load(
        "providers:\n  o: {type: openai, api_key: k}\n  a: {type: anthropic, api_key: k}\n  \
         g: {type: gemini, api_key: k}\n  z: {type: azure, api_key: k, base_url: 'https://r.openai.azure.com/'}\n  \
         q: {type: groq}\n  m: {type: mock}\n  c: {type: openai_compatible, base_url: 'http://127.0.0.1:8000/v1'}\n",
    );
    let p = |name| config.provider(name).unwrap();
    assert_eq!(p("o").base_url, "https://api.openai.com/v1");
    assert_eq!(p("o").connect_timeout, Duration::from_secs(5));
    assert_eq!(
        p("o").timeout,
        Duration::from_secs(600),
        "defaults to server.request_timeout"
    );
    assert_eq!(p("o").default_max_tokens, 4096);
    assert_eq!(p("o").api_version, None);
    assert_eq!(p("a").base_url, "https://api.anthropic.com");
    assert_eq!(p("a").anthropic_version.as_deref(), Some(ANTHROPIC_VERSION));
    assert_eq!(p("g").base_url, "https://generativelanguage.googleapis.com");
    assert_eq!(
        p("z").base_url,
        "https://r.openai.azure.com",
        "trailing slash removed"
    );
    assert_eq!(p("z").api_version.as_deref(), Some(AZURE_API_VERSION));
    assert_eq!(
        (p("q").kind, p("q").preset.as_deref()),
        (ProviderKind::OpenAiCompatible, Some("groq"))
    );
    assert_eq!(p("q").base_url, "https://api.groq.com/openai/v1");
    assert_eq!(p("m").base_url, "mock://");
    assert_eq!(
        (p("c").kind, p("c").preset.as_deref()),
        (ProviderKind::OpenAiCompatible, None)
    );
    assert_eq!(
        load("server: {request_timeout: 2m}\nproviders: {x: {type: mock}}\n").providers[0].timeout,
        Duration::from_secs(120)
    );
}

#[test]
fn provider_errors() {
    one_error(
        "providers: {x: {type: openai}}\n",
        "providers.x.api_key",
        "needs an api_key",
    );
    one_error(
        "providers: {x: {type: azure, api_key: k}}\n",
        "providers.x.base_url",
        "needs a base_url",
    );
    one_error(
        "providers: {x: {type: openai_compatible}}\n",
        "providers.x.base_url",
        "needs a base_url",
    );
    one_error(
        "providers: {x: {type: mock, base_url: 'http://a'}}\n",
        "providers.x.base_url",
        "takes no base_url",
    );
    one_error(
        "providers: {x: {type: mock, api_key: k}}\n",
        "providers.x.api_key",
        "takes no api_key",
    );
    one_error(
        "providers: {x: {type: openai, api_key: ''}}\n",
        "providers.x.api_key",
        "is empty",
    );
    one_error(
        "providers: {x: {type: openai, api_key: \"k\\n\"}}\n",
        "providers.x.api_key",
        "control characters",
    );
    one_error(
        "providers: {x: {type: groq, base_url: 'ftp://a'}}\n",
        "providers.x.base_url",
        "http or https",
    );
    one_error(
        "providers: {x: {type: groq, base_url: 'api.groq.com'}}\n",
        "providers.x.base_url",
        "is not a URL",
    );
    one_error(
        "providers: {x: {type: groq, organization: o}}\n",
        "providers.x.organization",
        "only to type openai",
    );
    one_error(
        "providers: {x: {type: groq, project: p}}\n",
        "providers.x.project",
        "only to type openai",
    );
    one_error(
        "providers: {x: {type: groq, api_version: '2024-10-21'}}\n",
        "providers.x.api_version",
        "only to type azure",
    );
    one_error(
        "providers: {x: {type: groq, version: '2023-06-01'}}\n",
        "providers.x.version",
        "only to type anthropic",
    );
    one_error(
        "providers: {x: {type: groq, default_max_tokens: 5}}\n",
        "providers.x.default_max_tokens",
        "only to type anthropic",
    );
    one_error(
        "providers: {x: {type: anthropic, api_key: k, default_max_tokens: 0}}\n",
        "providers.x.default_max_tokens",
        "out of range",
    );
    one_error(
        "providers: {x: {type: anthropic, api_key: k, version: latest}}\n",
        "providers.x.version",
        "not an anthropic-version",
    );
    one_error(
        "providers: {x: {type: azure, api_key: k, base_url: 'https://a', api_version: v1}}\n",
        "providers.x.api_version",
        "not an Azure api-version",
    );
    one_error(
        "providers: {x: {type: groq, connect_timeout: 10ms}}\n",
        "providers.x.connect_timeout",
        "out of range",
    );
    one_error(
        "providers: {x: {type: groq, timeout: 0}}\n",
        "providers.x.timeout",
        "out of range",
    );
    one_error(
        "providers: {X: {type: groq}}\n",
        "providers.X",
        "invalid provider name",
    );
    one_error(
        "providers: {x: {type: groq, colour: red}}\n",
        "providers.x.colour",
        "unknown field",
    );
    one_error(
        "providers: {x: {api_key: k}}\n",
        "providers.x.type",
        "missing required field",
    );
    one_error(
        "providers: {x: {type: groq}, x: {type: mock}}\n",
        "providers.x",
        "duplicate provider name",
    );
    one_error("providers: [a]\n", "providers", "expected a mapping");
}

#[test]
fn provider_headers() {
    let config =
        load("providers: {x: {type: groq, headers: {X-Team: a, x-b: '${OPENAI_API_KEY}'}}}\n");
    let headers = &config.providers[0].headers;
    assert_eq!(headers[0].0, "x-team");
    assert_eq!(headers[1].1.expose(), "sk-openai-secret-value-1");
    one_error(
        "providers: {x: {type: groq, headers: {Host: a}}}\n",
        "providers.x.headers.Host",
        "managed by the HTTP client",
    );
    one_error(
        "providers: {x: {type: groq, headers: {'a b': a}}}\n",
        "providers.x.headers[\"a b\"]",
        "not a valid HTTP header name",
    );
    one_error(
        "providers: {x: {type: groq, api_key: k, headers: {Authorization: a}}}\n",
        "providers.x.headers.Authorization",
        "carries the api_key",
    );
    one_error(
        "providers: {x: {type: groq, headers: {x-a: 1, X-A: 2}}}\n",
        "providers.x.headers.X-A",
        "set twice",
    );
    one_error(
        "providers: {x: {type: groq, headers: {x-a: \"a\\nb\"}}}\n",
        "providers.x.headers.x-a",
        "line break",
    );
}

#[test]
fn provider_warnings() {
    let config = load(
        "providers: {x: {type: openai_compatible, api_key: k, base_url: 'http://gpu.internal:8000/v1'}}\n",
    );
    assert!(
        config.warnings[0].message.contains("unencrypted"),
        "{:?}",
        config.warnings
    );
    let config = load(
        "providers: {x: {type: openai_compatible, api_key: k, base_url: 'http://127.0.0.1:8000/v1'}}\n",
    );
    assert!(config.warnings.is_empty());
    let config = load("server: {request_timeout: 1m}\nproviders: {x: {type: mock, timeout: 2m}}\n");
    assert_eq!(config.warnings[0].path, "providers.x.timeout");
}

#[test]
fn routes_targets_and_upstream_names() {
    let config = load(&format!(
        "{MOCK}  - name: exact\n    description: d\n    translation: strict\n    targets:\n      - mock\n      \
         - mock/fixed\n      - {{provider: mock, model: other}}\n  - name: 'fast/*'\n    targets: ['mock/*-turbo', {{provider: mock}}]\n"
    ));
    let exact = &config.models[1];
    assert_eq!(exact.pattern, ModelPattern::Exact("exact".into()));
    assert_eq!(exact.description.as_deref(), Some("d"));
    assert_eq!(exact.translation, Some(TranslationMode::Strict));
    let models: Vec<_> = exact
        .targets
        .iter()
        .map(|t| t.upstream_model("exact", None))
        .collect();
    assert_eq!(models, ["exact", "fixed", "other"]);
    let (route, captured) = config.route_for("fast/x").unwrap();
    assert_eq!(
        route.targets[0].model,
        TargetModel::Template {
            prefix: String::new(),
            suffix: "-turbo".into()
        }
    );
    assert_eq!(
        route.targets[0].upstream_model("fast/x", captured),
        "x-turbo"
    );
    assert_eq!(route.targets[1].upstream_model("fast/x", captured), "x");
    // Shorthand splits at the first '/': the model may hold more.
    let config = load(
        "providers: {t: {type: together}}\nmodels:\n  - {name: llama, targets: [t/meta-llama/Llama-3-70b]}\n",
    );
    assert_eq!(
        config.models[0].targets[0].model,
        TargetModel::Fixed("meta-llama/Llama-3-70b".into())
    );
}

#[test]
fn route_errors() {
    one_error(
        &format!("{MOCK}  - {{name: x, targets: [nope]}}\n"),
        "models[1].targets[0]",
        "unknown provider `nope` (known: mock)",
    );
    one_error(
        &format!("{MOCK}  - {{name: x, targets: [{{provider: mokc}}]}}\n"),
        "models[1].targets[0].provider",
        "did you mean `mock`?",
    );
    one_error(
        "models:\n  - {name: x, targets: [a]}\n",
        "models[0].targets[0]",
        "no providers are configured",
    );
    one_error(
        &format!("{MOCK}  - {{name: x, targets: []}}\n"),
        "models[1].targets",
        "at least one target",
    );
    one_error(
        &format!("{MOCK}  - {{name: x}}\n"),
        "models[1].targets",
        "at least one target",
    );
    one_error(
        &format!("{MOCK}  - {{name: 'a*b', targets: [mock]}}\n"),
        "models[1].name",
        "only at the end",
    );
    one_error(
        &format!("{MOCK}  - {{name: 'a**', targets: [mock]}}\n"),
        "models[1].name",
        "one `*`",
    );
    one_error(
        &format!("{MOCK}  - {{name: '', targets: [mock]}}\n"),
        "models[1].name",
        "must not be empty",
    );
    one_error(
        &format!("{MOCK}  - {{name: exact, targets: ['mock/x-*']}}\n"),
        "models[1].targets[0]",
        "no `*` to fill",
    );
    one_error(
        &format!("{MOCK}  - {{name: 'p/*', targets: ['mock/*-*']}}\n"),
        "models[1].targets[0]",
        "at most one `*`",
    );
    one_error(
        &format!("{MOCK}  - {{name: 'p/*', targets: ['mock/']}}\n"),
        "models[1].targets[0]",
        "is empty",
    );
    one_error(
        &format!("{MOCK}  - {{name: x, targets: [mock], colour: red}}\n"),
        "models[1].colour",
        "unknown field",
    );
    one_error(
        &format!("{MOCK}  - {{name: x, targets: [[mock]]}}\n"),
        "models[1].targets[0]",
        "expected",
    );
    one_error(
        &format!("{MOCK}  - {{name: mock-*, targets: [mock]}}\n"),
        "models[1].name",
        "duplicate model name",
    );
    one_error("models: {a: b}\n", "models", "expected a list");
}

#[test]
fn shadowed_routes_are_errors() {
    let e = one_error(
        &format!("{MOCK}  - {{name: mock-echo, targets: [mock]}}\n"),
        "models[1].name",
        "can never match",
    );
    assert!(e.message.contains("models[0] (`mock-*`)"), "{}", e.message);
    one_error(
        &format!("{MOCK}  - {{name: 'mock-e*', targets: [mock]}}\n"),
        "models[1].name",
        "can never match",
    );
    // The specific route first is the right order.
    let config = load(
        "providers: {m: {type: mock}}\nmodels:\n  - {name: mock-echo, targets: [m]}\n  - {name: mock-*, targets: [m]}\n",
    );
    assert_eq!(config.route_for("mock-echo").unwrap().0.name, "mock-echo");
    assert_eq!(config.route_for("mock-x").unwrap().0.name, "mock-*");
}

#[test]
fn api_keys_by_key_or_hash() {
    let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let config = load(&format!(
        "{MOCK}api_keys:\n  - {{name: a, key: '${{TEAM_A_KEY}}', models: [mock-*], expires_at: 2099-01-01T00:00:00Z}}\n  \
         - {{name: b.c_d-e, hash: 'sha256:{hex}', disabled: true}}\n"
    ));
    let [a, b] = &config.api_keys[..] else {
        panic!("two keys")
    };
    assert_eq!(a.hash, hash_api_key("team-a-secret-value-3"));
    assert_eq!(a.models, Some(vec![ModelPattern::Prefix("mock-".into())]));
    assert!(a.expires_at.is_some() && !a.disabled);
    assert_eq!(b.hash, hash_api_key("test"));
    assert!(b.disabled && b.models.is_none() && b.expires_at.is_none());
}

#[test]
fn api_key_errors() {
    let hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    one_error(
        "api_keys:\n  - {name: a, key: k-0123456789abcdef, hash: x}\n",
        "api_keys[0]",
        "not both",
    );
    one_error("api_keys:\n  - {name: a}\n", "api_keys[0]", "give the key");
    one_error(
        "api_keys:\n  - {name: a, key: ''}\n",
        "api_keys[0].key",
        "is empty",
    );
    one_error(
        "api_keys:\n  - {name: a, hash: 'sha256:xyz'}\n",
        "api_keys[0].hash",
        "not a SHA-256 digest",
    );
    one_error(
        "api_keys:\n  - {name: 'a b', key: k-0123456789abcdef}\n",
        "api_keys[0].name",
        "invalid key name",
    );
    one_error(
        "api_keys:\n  - {key: k-0123456789abcdef}\n",
        "api_keys[0].name",
        "missing required field",
    );
    one_error(
        "api_keys:\n  - {name: a, key: k-0123456789abcdef}\n  - {name: a, key: k-0123456789abcdeX}\n",
        "api_keys[1].name",
        "duplicate key name",
    );
    let e = one_error(
        &format!("api_keys:\n  - {{name: a, key: test}}\n  - {{name: b, hash: '{hex}'}}\n"),
        "api_keys[1]",
        "same as key `a`",
    );
    assert_eq!(e.line, Some(3));
    one_error(
        "api_keys:\n  - {name: a, hash: '0000000000000000000000000000000000000000000000000000000000000000', models: ['a*b']}\n",
        "api_keys[0].models[0]",
        "invalid model pattern",
    );
    one_error(
        "api_keys:\n  - {name: a, hash: '0000000000000000000000000000000000000000000000000000000000000000', expires_at: 2027-01-01}\n",
        "api_keys[0].expires_at",
        "RFC 3339",
    );
}

#[test]
fn api_key_warnings() {
    let config = load(&format!(
        "{MOCK}api_keys:\n  - {{name: a, key: short, models: [gpt-*, mock-echo], expires_at: 2001-01-01T00:00:00Z}}\n  \
         - {{name: b, key: k-0123456789abcdef, models: []}}\n"
    ));
    let found: Vec<(&str, bool)> = config
        .warnings
        .iter()
        .map(|w| {
            (
                w.path.as_str(),
                w.message.contains("matches no model route")
                    || w.message.contains("shorter")
                    || w.message.contains("in the past")
                    || w.message.contains("can call no model"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("api_keys[0].key", true),
            ("api_keys[0].models[0]", true),
            ("api_keys[0].expires_at", true),
            ("api_keys[1].models", true)
        ]
    );
}

#[test]
fn unknown_sections_and_shapes() {
    one_error("servr: {}\n", "servr", "did you mean `server`?");
    one_error(
        "tenants: {}\n",
        "tenants",
        "known sections: server, translation",
    );
    one_error("- a\n- b\n", "", "must be a mapping of sections");
    one_error(
        "server: {}\nserver: {}\n",
        "server",
        "section written twice",
    );
    let e = errors("server: {listen: [\n");
    assert!(e[0].message.starts_with("YAML syntax error"), "{e:?}");
}

#[test]
fn one_bad_field_does_not_hide_the_next() {
    let found: Vec<String> = errors(
        "server:\n  listen: nope\n  max_body_size: huge\n  request_timeout: soon\n  colour: red\n",
    )
    .into_iter()
    .map(|e| e.path)
    .collect();
    assert_eq!(
        found,
        [
            "server.listen",
            "server.max_body_size",
            "server.request_timeout",
            "server.colour"
        ]
    );
    // A provider with a bad field reports it once, not again as "missing".
    one_error(
        "providers: {x: {type: openai, api_key: [a]}}\n",
        "providers.x.api_key",
        "expected a string, found a list",
    );
    one_error(
        &format!("{MOCK}  - {{name: x, targets: 5}}\n"),
        "models[1].targets",
        "expected",
    );
}

#[test]
fn env_references_everywhere_but_keys() {
    let config =
        crate::common::load("server:\n  listen: '127.0.0.1:${PORT:-9999}'\n  data_dir: $$HOME/x\n");
    assert_eq!(config.server.listen.port(), 9999);
    assert_eq!(config.server.data_dir, Path::new("/etc/portcullis/$HOME/x"));
    one_error(
        "admin: {token: '${NOPE}'}\n",
        "admin.token",
        "environment variable NOPE is not set",
    );
    one_error(
        "server: {listen: '${NOPE}'}\n",
        "server.listen",
        "NOPE is not set",
    );
    one_error(
        "server: {listen: '${1}'}\n",
        "server.listen",
        "invalid environment reference",
    );
    // Keys are never expanded.
    one_error(
        "providers: {'${OPENAI_API_KEY}': {type: mock}}\n",
        "providers[\"${OPENAI_API_KEY}\"]",
        "invalid provider name",
    );
}

#[test]
fn yaml_anchors_and_merge_keys() {
    let config = load(
        "providers:\n  a: &base {type: groq, timeout: 1m}\n  b:\n    <<: *base\n    connect_timeout: 2s\n",
    );
    let b = config.provider("b").unwrap();
    assert_eq!(b.preset.as_deref(), Some("groq"));
    assert_eq!(b.timeout, Duration::from_secs(60));
    assert_eq!(b.connect_timeout, Duration::from_secs(2));
}
