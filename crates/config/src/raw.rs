//! The file as written: serde types that mirror the YAML, before defaults and validation.
//!
//! Every struct denies unknown fields. Optional fields are `Option` so validation can tell
//! "absent" (take the default) from "written". `docs/configuration.md` must mention every
//! field here (a test checks it).

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

use crate::secret::Secret;
use crate::types::TranslationMode;
use crate::units::{ByteSize, HumanDuration, Timestamp};

/// The whole file. The loader reads it section by section (so one broken section does not
/// hide errors in the others); this type documents the shape and drives the JSON schema.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `server:`
    pub server: Option<RawServer>,
    /// `translation:`
    pub translation: Option<TranslationMode>,
    /// `database:`
    pub database: Option<RawDatabase>,
    /// `call_log:`
    pub call_log: Option<RawCallLog>,
    /// `admin:`
    pub admin: Option<RawAdmin>,
    /// `providers:` (name → provider, file order kept)
    pub providers: Option<OrderedMap<RawProvider>>,
    /// `models:`
    pub models: Option<Vec<RawModelRoute>>,
    /// `api_keys:`
    pub api_keys: Option<Vec<RawApiKey>>,
}

/// `server:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// Listen address (`ip:port`; parsed in validation for a better message).
    pub listen: Option<String>,
    /// Largest request body.
    pub max_body_size: Option<ByteSize>,
    /// Total time per call.
    pub request_timeout: Option<HumanDuration>,
    /// Drain time on SIGTERM.
    pub shutdown_grace: Option<HumanDuration>,
    /// Local state directory.
    pub data_dir: Option<String>,
}

/// `database:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    /// Connection URL.
    pub url: Option<Secret>,
}

/// `call_log:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCallLog {
    /// Record calls at all.
    pub enabled: Option<bool>,
    /// Bounded queue size.
    pub queue_capacity: Option<u64>,
    /// Records per write.
    pub batch_size: Option<u64>,
    /// Longest wait before a write.
    pub flush_interval: Option<HumanDuration>,
}

/// `admin:`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdmin {
    /// Admin bearer token.
    pub token: Option<Secret>,
}

/// The `type:` of a provider: a wire protocol, or a preset of `openai_compatible`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    /// OpenAI.
    #[serde(rename = "openai")]
    OpenAi,
    /// Azure OpenAI.
    Azure,
    /// Anthropic.
    Anthropic,
    /// Google Gemini.
    Gemini,
    /// Built-in mock.
    Mock,
    /// Any OpenAI-compatible server (`base_url` required).
    #[serde(rename = "openai_compatible")]
    OpenAiCompatible,
    /// vLLM preset.
    Vllm,
    /// Ollama preset.
    Ollama,
    /// Groq preset.
    Groq,
    /// Mistral preset.
    Mistral,
    /// DeepSeek preset.
    Deepseek,
    /// Together AI preset.
    Together,
    /// OpenRouter preset.
    Openrouter,
    /// LM Studio preset.
    Lmstudio,
}

/// `providers.<name>`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    /// Protocol or preset.
    #[serde(rename = "type")]
    pub kind: ProviderType,
    /// Credential.
    pub api_key: Option<Secret>,
    /// Base URL.
    pub base_url: Option<String>,
    /// OpenAI organization.
    pub organization: Option<String>,
    /// OpenAI project.
    pub project: Option<String>,
    /// Extra upstream headers.
    pub headers: Option<OrderedMap<Secret>>,
    /// Connect timeout.
    pub connect_timeout: Option<HumanDuration>,
    /// Per-attempt timeout.
    pub timeout: Option<HumanDuration>,
    /// Azure api-version.
    pub api_version: Option<String>,
    /// anthropic-version.
    pub version: Option<String>,
    /// Default max_tokens (Anthropic).
    pub default_max_tokens: Option<u64>,
}

/// `models[i]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModelRoute {
    /// Public name or pattern.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Translation override.
    pub translation: Option<TranslationMode>,
    /// Where to send calls.
    #[serde(default)]
    pub targets: Vec<RawTarget>,
}

/// `models[i].targets[j]`: `provider/model` shorthand or a mapping.
#[derive(Debug)]
pub enum RawTarget {
    /// `"openai/gpt-4o-mini"` or `"openai"`.
    Short(String),
    /// `{provider: openai, model: gpt-4o-mini}`.
    Full(RawTargetFull),
}

/// The mapping form of a target.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTargetFull {
    /// Provider name.
    pub provider: String,
    /// Upstream model (may hold one `*`).
    pub model: Option<String>,
}

impl<'de> Deserialize<'de> for RawTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTarget;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"provider/model\", \"provider\" or {provider: ..., model: ...}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawTarget::Short(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawTargetFull::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawTarget::Full)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `api_keys[i]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    /// Unique name.
    pub name: String,
    /// The key itself.
    pub key: Option<Secret>,
    /// Or its SHA-256.
    pub hash: Option<String>,
    /// Model scope.
    pub models: Option<Vec<String>>,
    /// Expiry.
    pub expires_at: Option<Timestamp>,
    /// Refuse the key.
    pub disabled: Option<bool>,
}

/// A YAML mapping read into a list, keeping file order (provider order matters for docs and
/// `describe`; header order is what upstream sees).
#[derive(Debug)]
pub struct OrderedMap<V>(pub Vec<(String, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, V>()? {
                    entries.push((k, v));
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}
