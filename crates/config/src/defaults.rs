//! The embedded defaults: what `portcullis serve` runs with when given no config file.
//!
//! Loopback listener, the built-in `mock` provider, and one provider (with routes) for each
//! provider credential found in the environment, plus a development API key. Built through the
//! same validation as a file, so the defaults obey every rule a file does.

use std::path::Path;

use crate::env::Env;
use crate::error::ConfigError;
use crate::load::Parsed;
use crate::raw::{ProviderType, RawApiKey, RawModelRoute, RawProvider, RawTarget, RawTargetFull};
use crate::secret::Secret;
use crate::types::{Config, ConfigSource, ProviderKind};
use crate::validate::{self, hash_api_key};
use crate::yaml::Index;

/// The well-known development key of the embedded defaults (when PORTCULLIS_DEV_KEY is unset).
/// Public on purpose: it only ever guards a gateway on 127.0.0.1 running without a config file.
pub const DEV_KEY: &str = "sk-portcullis-dev";
/// The variable that replaces [`DEV_KEY`].
pub const DEV_KEY_ENV: &str = "PORTCULLIS_DEV_KEY";

/// One provider the defaults may pick up from the environment.
struct Candidate {
    name: &'static str,
    ty: ProviderType,
    /// Any of these holds the api key (first set wins); empty for key-less providers.
    key_vars: &'static [&'static str],
    /// Variable with the base URL: optional, except for azure (the endpoint) and ollama.
    url_var: Option<&'static str>,
    /// Route names; `*` in the name goes to the same `*` in the upstream model, so
    /// `gpt-*` sends `gpt-4o` as `gpt-4o` and `openai/*` sends `openai/gpt-4o` as `gpt-4o`.
    routes: &'static [(&'static str, &'static str)],
}

const CANDIDATES: &[Candidate] = &[
    Candidate {
        name: "openai",
        ty: ProviderType::OpenAi,
        key_vars: &["OPENAI_API_KEY"],
        url_var: Some("OPENAI_BASE_URL"),
        routes: &[
            ("openai/*", "*"),
            ("gpt-*", "gpt-*"),
            ("o1*", "o1*"),
            ("o3*", "o3*"),
            ("o4*", "o4*"),
            ("chatgpt-*", "chatgpt-*"),
            ("text-embedding-*", "text-embedding-*"),
        ],
    },
    Candidate {
        name: "anthropic",
        ty: ProviderType::Anthropic,
        key_vars: &["ANTHROPIC_API_KEY"],
        url_var: Some("ANTHROPIC_BASE_URL"),
        routes: &[("anthropic/*", "*"), ("claude-*", "claude-*")],
    },
    Candidate {
        name: "gemini",
        ty: ProviderType::Gemini,
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        url_var: Some("GEMINI_BASE_URL"),
        routes: &[("gemini/*", "*"), ("gemini-*", "gemini-*")],
    },
    Candidate {
        name: "azure",
        ty: ProviderType::Azure,
        key_vars: &["AZURE_OPENAI_API_KEY"],
        url_var: Some("AZURE_OPENAI_ENDPOINT"),
        // The captured part is the deployment name.
        routes: &[("azure/*", "*")],
    },
    Candidate {
        name: "groq",
        ty: ProviderType::Groq,
        key_vars: &["GROQ_API_KEY"],
        url_var: None,
        routes: &[("groq/*", "*")],
    },
    Candidate {
        name: "mistral",
        ty: ProviderType::Mistral,
        key_vars: &["MISTRAL_API_KEY"],
        url_var: None,
        routes: &[("mistral/*", "*")],
    },
    Candidate {
        name: "deepseek",
        ty: ProviderType::Deepseek,
        key_vars: &["DEEPSEEK_API_KEY"],
        url_var: None,
        routes: &[("deepseek/*", "*")],
    },
    Candidate {
        name: "together",
        ty: ProviderType::Together,
        key_vars: &["TOGETHER_API_KEY"],
        url_var: None,
        routes: &[("together/*", "*")],
    },
    Candidate {
        name: "openrouter",
        ty: ProviderType::Openrouter,
        key_vars: &["OPENROUTER_API_KEY"],
        url_var: None,
        routes: &[("openrouter/*", "*")],
    },
    Candidate {
        name: "ollama",
        ty: ProviderType::Ollama,
        key_vars: &[],
        url_var: Some("OLLAMA_HOST"),
        routes: &[("ollama/*", "*")],
    },
];

fn raw_provider(ty: ProviderType) -> RawProvider {
    RawProvider {
        kind: ty,
        api_key: None,
        base_url: None,
        organization: None,
        project: None,
        headers: None,
        connect_timeout: None,
        timeout: None,
        api_version: None,
        version: None,
        default_max_tokens: None,
    }
}

fn route(name: &str, provider: &str, model: &str) -> RawModelRoute {
    RawModelRoute {
        name: name.to_owned(),
        description: None,
        translation: None,
        targets: vec![RawTarget::Full(RawTargetFull {
            provider: provider.to_owned(),
            model: Some(model.to_owned()),
        })],
    }
}

/// `OLLAMA_HOST` is `host:port` or a URL without `/v1`; clients add the scheme and path.
fn ollama_url(host: &str) -> String {
    let host = host.trim().trim_end_matches('/');
    let with_scheme = if host.contains("://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    };
    format!("{with_scheme}/v1")
}

/// A non-empty variable: an empty one counts as unset (as `${X:-d}` does).
fn var(env: &dyn Env, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.trim().is_empty())
}

/// The embedded default configuration, built from `env`.
///
/// Listens on 127.0.0.1:8080, keeps data in `./portcullis-data` under the working directory,
/// serves `mock` / `mock-*` from the built-in mock provider, and adds a provider with routes for
/// each credential found (see the table in docs/configuration.md). One API key, `dev`: the value
/// of PORTCULLIS_DEV_KEY, or the well-known [`DEV_KEY`]. A variable whose value does not
/// validate (e.g. a malformed OPENAI_BASE_URL) drops that provider and adds a warning; this
/// function never fails.
pub fn defaults(env: &dyn Env) -> Config {
    let mut skipped: Vec<(String, ConfigError)> = Vec::new();
    loop {
        let parsed = defaults_parsed(env, &skipped);
        let mut errors = Vec::new();
        let base_dir = std::env::current_dir().unwrap_or_else(|_| Path::new(".").to_path_buf());
        let mut config = validate::build(
            parsed,
            &base_dir,
            ConfigSource::Defaults,
            &Index::default(),
            &mut errors,
        );
        // Attribute each error to its provider and retry without it; anything else would be a
        // bug in this table, so report it as a warning rather than refuse to start.
        let mut progressed = false;
        for error in &errors {
            let provider = error
                .path
                .strip_prefix("providers.")
                .and_then(|rest| rest.split('.').next())
                .filter(|name| !skipped.iter().any(|(s, _)| s == name));
            if let Some(name) = provider {
                skipped.push((name.to_owned(), error.clone()));
                progressed = true;
            }
        }
        if !progressed || errors.is_empty() {
            for error in errors {
                config.warnings.push(error);
            }
            for (name, error) in skipped {
                let field = error.path.rsplit('.').next().unwrap_or_default();
                let vars = CANDIDATES
                    .iter()
                    .find(|c| c.name == name)
                    .map(|c| {
                        c.key_vars
                            .iter()
                            .chain(&c.url_var)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .unwrap_or_default();
                config.warnings.push(ConfigError::new(
                    format!("providers.{name}"),
                    format!(
                        "left out of the embedded defaults: its {field} (from {vars}) {}",
                        error.message
                    ),
                ));
            }
            return config;
        }
    }
}

fn defaults_parsed(env: &dyn Env, skipped: &[(String, ConfigError)]) -> Parsed {
    let mut parsed = Parsed::default();
    parsed
        .providers
        .push(("mock".to_owned(), Some(raw_provider(ProviderType::Mock))));
    // The exact names come first so `/v1/models` lists them; `mock-*` serves every other
    // behaviour the mock offers (`mock-error-429`, `mock-slow`, ...).
    let mut routes = vec![
        route("mock", "mock", "mock"),
        route("mock-echo", "mock", "mock-echo"),
        route("mock-tools", "mock", "mock-tools"),
        route("mock-*", "mock", "mock-*"),
    ];
    for candidate in CANDIDATES {
        if skipped.iter().any(|(s, _)| s == candidate.name) {
            continue;
        }
        let key = candidate.key_vars.iter().find_map(|v| var(env, v));
        let url = candidate.url_var.and_then(|v| var(env, v));
        let present = match candidate.ty {
            ProviderType::Azure => key.is_some() && url.is_some(),
            ProviderType::Ollama => url.is_some(),
            _ => key.is_some(),
        };
        if !present {
            continue;
        }
        let mut provider = raw_provider(candidate.ty);
        provider.api_key = key.map(Secret::new);
        provider.base_url = match candidate.ty {
            ProviderType::Ollama => url.as_deref().map(ollama_url),
            _ => url,
        };
        if candidate.ty == ProviderType::Azure {
            provider.api_version = var(env, "OPENAI_API_VERSION");
        }
        parsed
            .providers
            .push((candidate.name.to_owned(), Some(provider)));
        for (name, model) in candidate.routes {
            routes.push(route(name, candidate.name, model));
        }
    }
    parsed.models = routes.into_iter().enumerate().collect();
    parsed.api_keys = vec![(
        0,
        RawApiKey {
            name: "dev".to_owned(),
            key: Some(Secret::new(
                var(env, DEV_KEY_ENV).unwrap_or_else(|| DEV_KEY.to_owned()),
            )),
            hash: None,
            models: None,
            expires_at: None,
            disabled: None,
        },
    )];
    parsed
}

/// A short, secret-free description of a configuration built by [`defaults`], for the binary
/// to print at startup: address, providers and the variables they came from, routes, the key.
pub fn describe_defaults(config: &Config) -> String {
    let mut out = format!(
        "no config file: using embedded defaults\n  listen: {}\n  data_dir: {}\n  providers:\n",
        config.server.listen,
        config.server.data_dir.display()
    );
    for provider in &config.providers {
        let origin = CANDIDATES
            .iter()
            .find(|c| c.name == provider.name)
            .map(|c| {
                let mut vars: Vec<&str> = c.key_vars.to_vec();
                vars.extend(c.url_var);
                format!("from {}", vars.join(" / "))
            })
            .unwrap_or_else(|| match provider.kind {
                ProviderKind::Mock => "built in, no network".to_owned(),
                _ => "configured".to_owned(),
            });
        let routes: Vec<&str> = config
            .models
            .iter()
            .filter(|r| r.targets.iter().any(|t| t.provider == provider.name))
            .map(|r| r.name.as_str())
            .collect();
        out.push_str(&format!(
            "    {} ({origin}) at {}: models {}\n",
            provider.name,
            provider.base_url,
            routes.join(", ")
        ));
    }
    for key in &config.api_keys {
        if key.hash == hash_api_key(DEV_KEY) {
            out.push_str(&format!(
                "  api key `{}`: the well-known demo key {DEV_KEY} (set {DEV_KEY_ENV} to choose another)\n",
                key.name
            ));
        } else {
            out.push_str(&format!("  api key `{}`: from {DEV_KEY_ENV}\n", key.name));
        }
    }
    for warning in &config.warnings {
        out.push_str(&format!("  warning: {warning}\n"));
    }
    out
}
