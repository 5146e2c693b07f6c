//! Portcullis configuration: one YAML file → a validated, fully defaulted [`Config`].
//!
//! Loading runs in three steps. The YAML text is parsed into a tree that remembers lines
//! ([`yaml`]); `${ENV}` references in values are expanded; each section (and each provider,
//! route and key) is deserialized into the raw serde types of [`raw`] on its own, then
//! validated into the runtime types of [`types`]. Every problem is collected, so one run of
//! `portcullis check` shows them all, each as `path (line N): message`.
//!
//! ```
//! use portcullis_config::{load_str, MapEnv};
//! use std::path::Path;
//!
//! let env = MapEnv::from_pairs([("OPENAI_API_KEY", "sk-test")]);
//! let yaml = "providers:\n  openai: {type: openai, api_key: '${OPENAI_API_KEY}'}\n\
//!             models:\n  - {name: 'gpt-*', targets: ['openai/gpt-*']}\n";
//! let config = load_str(yaml, Path::new("/etc/portcullis/portcullis.yaml"), &env).unwrap();
//! let (route, captured) = config.route_for("gpt-4o").unwrap();
//! assert_eq!(route.targets[0].upstream_model("gpt-4o", captured), "gpt-4o");
//! ```

mod defaults;
mod env;
mod error;
mod load;
pub mod raw;
mod schema;
mod secret;
pub mod types;
pub mod units;
mod validate;
mod yaml;

pub use defaults::{DEV_KEY, DEV_KEY_ENV, defaults, describe_defaults};
pub use env::{Env, MapEnv, ProcessEnv};
pub use error::{ConfigError, ConfigErrors};
pub use load::{load_file, load_str, parse_raw};
pub use schema::json_schema;
pub use secret::Secret;
pub use types::{
    Admin, ApiKeyConfig, CallLog, Config, ConfigSource, Database, DatabaseKind, ModelPattern,
    ModelRoute, Provider, ProviderKind, RouteTarget, Server, TargetModel, TranslationMode,
};
pub use validate::{
    ANTHROPIC_VERSION, AZURE_API_VERSION, DEFAULT_BATCH_SIZE, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DATA_DIR, DEFAULT_FLUSH_INTERVAL, DEFAULT_LISTEN, DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_TOKENS, DEFAULT_QUEUE_CAPACITY, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
    MOCK_BASE_URL, hash_api_key,
};
