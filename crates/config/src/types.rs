//! Validated runtime configuration: what the gateway builds its data plane from.
//!
//! Every value here is defaulted and checked; nothing needs re-validating downstream.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::error::ConfigError;
use crate::secret::Secret;

/// What happens to request fields a provider cannot take.
///
/// `lenient` (default): the call proceeds without them and the gateway names them in the
/// `x-portcullis-dropped-fields` response header. `strict`: the call is rejected with 400
/// naming the field. Set at the top level and optionally per model route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TranslationMode {
    /// Drop what cannot be carried and say so in a header.
    #[default]
    Lenient,
    /// Reject the request instead.
    Strict,
}

impl TranslationMode {
    /// The word used in the file (`lenient`, `strict`), for logs and headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lenient => "lenient",
            Self::Strict => "strict",
        }
    }
}

/// The whole validated configuration: one immutable snapshot.
///
/// `PartialEq` lets a reload tell "file touched but unchanged" from a real change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Listener and request limits.
    pub server: Server,
    /// Default translation mode (routes may override it).
    pub translation: TranslationMode,
    /// Where the call log and state are stored.
    pub database: Database,
    /// Call-log writer settings.
    pub call_log: CallLog,
    /// Admin API settings.
    pub admin: Admin,
    /// Upstream providers, in file order.
    pub providers: Vec<Provider>,
    /// Model routes, in file order: the first whose pattern matches wins.
    pub models: Vec<ModelRoute>,
    /// Inbound API keys.
    pub api_keys: Vec<ApiKeyConfig>,
    /// Where this configuration came from.
    pub source: ConfigSource,
    /// Things that are allowed but probably not meant (e.g. a scope pattern matching no
    /// route, an already expired key); `portcullis check` prints them, serving proceeds.
    pub warnings: Vec<ConfigError>,
}

impl Config {
    /// The provider called `name`.
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The route serving the public model name `model` (first match in file order) and the part
    /// of the name its `*` captured (`None` for exact routes). `None` when no route matches.
    pub fn route_for<'m>(&self, model: &'m str) -> Option<(&ModelRoute, Option<&'m str>)> {
        self.models.iter().find_map(|route| {
            route
                .pattern
                .matches(model)
                .map(|captured| (route, captured))
        })
    }

    /// The translation mode in force for `route`: its override, else the top-level mode.
    pub fn translation_for(&self, route: &ModelRoute) -> TranslationMode {
        route.translation.unwrap_or(self.translation)
    }
}

/// Where a [`Config`] came from, for logs and reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// Read from this file (absolute path); reload re-reads it.
    File(PathBuf),
    /// Parsed from a string by [`crate::load_str`]; `origin` is the path it was given.
    Inline {
        /// The path used for relative paths and messages.
        origin: PathBuf,
    },
    /// Built by [`crate::defaults`] from the environment, no file.
    Defaults,
}

/// `server:` — the listener and per-request limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// Address to listen on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (413 above). Default 10 MiB.
    pub max_body_size: u64,
    /// Total time allowed per call, streaming included. Default 10 minutes.
    pub request_timeout: Duration,
    /// How long in-flight requests may finish after SIGTERM. Default 30 seconds.
    pub shutdown_grace: Duration,
    /// Directory for local state (SQLite database, ...), absolute. Default `./portcullis-data`
    /// next to the config file (or the working directory for the embedded defaults).
    pub data_dir: PathBuf,
}

/// `database:` — where state and the call log live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// The connection URL as the store should use it (relative SQLite paths already resolved).
    /// A secret because server URLs carry passwords; print [`Database::kind`] instead.
    pub url: Secret,
    /// What the URL points at.
    pub kind: DatabaseKind,
}

/// The database backend and its location (safe to print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    /// A SQLite file (absolute path). Default: `<data_dir>/portcullis.db`.
    SqliteFile(PathBuf),
    /// An in-memory SQLite database (`sqlite::memory:`): lost on exit, for tests.
    SqliteMemory,
}

/// `call_log:` — the asynchronous call-log writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLog {
    /// Whether calls are recorded. Default true.
    pub enabled: bool,
    /// Records buffered before new ones are dropped (and counted). Default 10 000.
    pub queue_capacity: usize,
    /// Records written per database transaction, at most. Default 256.
    pub batch_size: usize,
    /// Longest a record waits before its batch is written. Default 200 ms.
    pub flush_interval: Duration,
}

/// `admin:` — the admin API.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admin {
    /// Bearer token for `/admin/v1/*`; `None` disables the admin API.
    pub token: Option<Secret>,
}

/// The wire protocol a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// OpenAI's API (`api.openai.com`).
    OpenAi,
    /// Any server with OpenAI's chat-completions API (vLLM, Ollama, Groq, ...).
    OpenAiCompatible,
    /// Azure OpenAI (deployment paths, `api-key` header, `api-version` query).
    Azure,
    /// Anthropic Messages API.
    Anthropic,
    /// Google Gemini API (`generativelanguage.googleapis.com`).
    Gemini,
    /// The built-in deterministic provider: no network.
    Mock,
}

impl ProviderKind {
    /// A stable lowercase name (`openai`, `openai_compatible`, `azure`, `anthropic`, `gemini`,
    /// `mock`), for logs and metric labels (bounded cardinality).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::OpenAiCompatible => "openai_compatible",
            Self::Azure => "azure",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Mock => "mock",
        }
    }
}

/// One upstream provider (`providers.<name>`), fully defaulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// The map key: `[a-z0-9][a-z0-9_.-]*`. Routes refer to it.
    pub name: String,
    /// Wire protocol.
    pub kind: ProviderKind,
    /// Base URL without trailing `/`: for `openai`/compatible it includes `/v1`; for
    /// `anthropic` and `gemini` it is the host root (the client adds `/v1/messages`,
    /// `/v1beta/models/...`); for `azure` the resource endpoint; `mock://` for `mock`.
    pub base_url: String,
    /// Credential; required for openai, azure, anthropic and gemini.
    pub api_key: Option<Secret>,
    /// `OpenAI-Organization` header (openai only).
    pub organization: Option<String>,
    /// `OpenAI-Project` header (openai only).
    pub project: Option<String>,
    /// Extra headers sent upstream on every call, in file order.
    pub headers: Vec<(String, Secret)>,
    /// TCP + TLS connect timeout. Default 5 s.
    pub connect_timeout: Duration,
    /// Total time for one upstream attempt. Default `server.request_timeout`.
    pub timeout: Duration,
    /// Azure `api-version` query parameter (azure only; default [`crate::AZURE_API_VERSION`]).
    pub api_version: Option<String>,
    /// `anthropic-version` header (anthropic only; default `2023-06-01`).
    pub anthropic_version: Option<String>,
    /// `max_tokens` sent to providers that require it (Anthropic) when the caller gave none.
    /// Default 4096.
    pub default_max_tokens: u32,
    /// The preset the provider was declared with (`groq`, `ollama`, ...), if any.
    pub preset: Option<String>,
}

/// A public model name or name pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModelPattern {
    /// Matches exactly this name.
    Exact(String),
    /// `prefix*`: matches names that start with the prefix (`*` stands for any run of
    /// characters, none included); that remainder is the captured part.
    Prefix(String),
}

impl ModelPattern {
    /// Parses `name` or `prefix*`; fails (with a message) on more than one `*`, a `*` that is
    /// not last, an empty name or whitespace.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if text.chars().any(char::is_whitespace) {
            return Err(format!("`{text}` contains whitespace"));
        }
        match text.find('*') {
            None => Ok(Self::Exact(text.to_owned())),
            Some(pos) if pos + 1 == text.len() => Ok(Self::Prefix(text[..pos].to_owned())),
            Some(_) => Err(format!(
                "`{text}`: a pattern may hold one `*`, and only at the end (like `openai/*`)"
            )),
        }
    }

    /// `Some(None)` when `name` matches exactly, `Some(Some(rest))` when it matches a prefix
    /// pattern (`rest` is what `*` stood for, possibly empty), `None` when it does not match.
    pub fn matches<'n>(&self, name: &'n str) -> Option<Option<&'n str>> {
        match self {
            Self::Exact(exact) => (exact == name).then_some(None),
            Self::Prefix(prefix) => name.strip_prefix(prefix.as_str()).map(Some),
        }
    }

    /// True when every name this pattern matches is also matched by `earlier`.
    pub fn is_covered_by(&self, earlier: &ModelPattern) -> bool {
        match (earlier, self) {
            (Self::Exact(a), Self::Exact(b)) => a == b,
            (Self::Prefix(p), Self::Exact(b)) => b.starts_with(p.as_str()),
            (Self::Prefix(p), Self::Prefix(q)) => q.starts_with(p.as_str()),
            (Self::Exact(_), Self::Prefix(_)) => false,
        }
    }
}

impl std::fmt::Display for ModelPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(name) => f.write_str(name),
            Self::Prefix(prefix) => write!(f, "{prefix}*"),
        }
    }
}

/// One entry of `models:`: a public name (or pattern) and where it is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRoute {
    /// The name as written (`gpt-4o-mini`, `openai/*`).
    pub name: String,
    /// The parsed name.
    pub pattern: ModelPattern,
    /// Free text for docs and the portal.
    pub description: Option<String>,
    /// Overrides the top-level translation mode for this route.
    pub translation: Option<TranslationMode>,
    /// Targets in fallback order; never empty.
    pub targets: Vec<RouteTarget>,
}

/// One place a route can send a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTarget {
    /// Name of a provider that exists in the same config.
    pub provider: String,
    /// Which upstream model to ask for.
    pub model: TargetModel,
}

/// How the upstream model name is chosen for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetModel {
    /// The public name (exact routes) or the part the route's `*` matched (pattern routes).
    Inherit,
    /// Always this name.
    Fixed(String),
    /// `prefix*suffix`: the part the route's `*` matched, wrapped (pattern routes only).
    Template {
        /// Text before the captured part.
        prefix: String,
        /// Text after the captured part.
        suffix: String,
    },
}

impl RouteTarget {
    /// The model name to send upstream for a request for `requested` that the route matched
    /// with `captured` (from [`ModelPattern::matches`]).
    pub fn upstream_model(&self, requested: &str, captured: Option<&str>) -> String {
        let base = captured.unwrap_or(requested);
        match &self.model {
            TargetModel::Inherit => base.to_owned(),
            TargetModel::Fixed(model) => model.clone(),
            TargetModel::Template { prefix, suffix } => format!("{prefix}{base}{suffix}"),
        }
    }
}

/// One inbound API key (`api_keys[i]`). Only the SHA-256 of the secret is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyConfig {
    /// Unique name, shown in logs and the call log.
    pub name: String,
    /// SHA-256 of the key text ([`crate::hash_api_key`]).
    pub hash: [u8; 32],
    /// Models the key may call; `None` = every model.
    pub models: Option<Vec<ModelPattern>>,
    /// After this instant the key is refused.
    pub expires_at: Option<SystemTime>,
    /// A disabled key is refused.
    pub disabled: bool,
}

impl ApiKeyConfig {
    /// True when the key's scope allows the public model name `model`.
    pub fn allows_model(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|patterns| patterns.iter().any(|p| p.matches(model).is_some()))
    }

    /// True when the key may be used at `now` (not disabled, not expired).
    pub fn is_active(&self, now: SystemTime) -> bool {
        !self.disabled && self.expires_at.is_none_or(|at| now < at)
    }
}

impl std::fmt::Debug for ApiKeyConfig {
    /// The hash is shown shortened: enough to correlate, useless for offline guessing.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("name", &self.name)
            .field(
                "hash",
                &format_args!("sha256:{}…", hex::encode(&self.hash[..4])),
            )
            .field("models", &self.models)
            .field("expires_at", &self.expires_at)
            .field("disabled", &self.disabled)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_and_match() {
        let exact = ModelPattern::parse("gpt-4o").unwrap();
        let prefix = ModelPattern::parse("openai/*").unwrap();
        assert_eq!(exact.matches("gpt-4o"), Some(None));
        assert_eq!(exact.matches("gpt-4o-mini"), None);
        assert_eq!(prefix.matches("openai/gpt-4o"), Some(Some("gpt-4o")));
        assert_eq!(prefix.matches("openai/"), Some(Some("")));
        assert_eq!(
            ModelPattern::parse("o1*").unwrap().matches("o1"),
            Some(Some(""))
        );
        assert_eq!(prefix.matches("anthropic/x"), None);
        assert_eq!(
            ModelPattern::parse("*").unwrap().matches("anything"),
            Some(Some("anything"))
        );
        assert!(ModelPattern::parse("a*b").is_err());
        assert!(ModelPattern::parse("a**").is_err());
        assert!(ModelPattern::parse("").is_err());
        assert!(ModelPattern::parse("a b").is_err());
    }

    #[test]
    fn names_match_the_file() {
        assert_eq!(TranslationMode::Strict.as_str(), "strict");
        assert_eq!(ProviderKind::OpenAiCompatible.as_str(), "openai_compatible");
    }

    #[test]
    fn coverage() {
        let p = |s| ModelPattern::parse(s).unwrap();
        assert!(p("gpt-4o").is_covered_by(&p("gpt-*")));
        assert!(p("gpt-").is_covered_by(&p("gpt-*")));
        assert!(!p("gpt").is_covered_by(&p("gpt-*")));
        assert!(p("gpt-4*").is_covered_by(&p("gpt-*")));
        assert!(p("gpt-*").is_covered_by(&p("gpt-*")));
        assert!(!p("gpt-*").is_covered_by(&p("gpt-4*")));
        assert!(!p("gpt-*").is_covered_by(&p("gpt-4o")));
    }

    #[test]
    fn upstream_model_names() {
        let target = |model| RouteTarget {
            provider: "p".into(),
            model,
        };
        assert_eq!(
            target(TargetModel::Inherit).upstream_model("gpt-4o", None),
            "gpt-4o"
        );
        assert_eq!(
            target(TargetModel::Inherit).upstream_model("openai/gpt-4o", Some("gpt-4o")),
            "gpt-4o"
        );
        assert_eq!(
            target(TargetModel::Fixed("m".into())).upstream_model("x", Some("y")),
            "m"
        );
        let template = TargetModel::Template {
            prefix: "mock-".into(),
            suffix: "-v2".into(),
        };
        assert_eq!(
            target(template).upstream_model("mock-echo", Some("echo")),
            "mock-echo-v2"
        );
    }

    #[test]
    fn key_scope_and_activity() {
        let now = SystemTime::now();
        let key = ApiKeyConfig {
            name: "k".into(),
            hash: [7; 32],
            models: Some(vec![ModelPattern::parse("openai/*").unwrap()]),
            expires_at: Some(now + Duration::from_secs(60)),
            disabled: false,
        };
        assert!(key.allows_model("openai/gpt-4o"));
        assert!(!key.allows_model("claude"));
        assert!(key.is_active(now));
        assert!(!key.is_active(now + Duration::from_secs(61)));
        assert!(
            !ApiKeyConfig {
                disabled: true,
                ..key.clone()
            }
            .is_active(now)
        );
        let debug = format!("{key:?}");
        assert!(
            debug.contains("sha256:07070707…") && !debug.contains(&hex::encode([7u8; 32])),
            "{debug}"
        );
    }
}
