//! JSON Schema of the configuration file, for editors (YAML language servers) and CI linters.
//!
//! Hand-written rather than derived: a derive crate would add a proc-macro build to every
//! CI run, and our scalar types (sizes, durations, `${ENV}` strings, target shorthand) need
//! hand-written schema parts anyway. A test keeps the property lists equal to the serde types.

use serde_json::{Value, json};

use crate::raw::ProviderType;

const DURATION: &str = r"^(0|([0-9]+(ms|s|m|h|d))+|.*\$\{.*)$";
const SIZE: &str = r"^([0-9][0-9_]*(\.[0-9]+)?\s*([kKmMgG]i?[bB]|[bB])?|.*\$\{.*)$";

fn duration(description: &str, default: &str) -> Value {
    json!({"type": "string", "pattern": DURATION, "description": description, "default": default})
}

fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

/// The JSON Schema (draft 2020-12) of the configuration file.
///
/// Values may hold `${ENV}` references, so numeric and boolean fields also accept strings.
/// Cheap to call (builds a `serde_json::Value`); cannot fail.
pub fn json_schema() -> Value {
    let types: Vec<&str> = ProviderType::ALL.iter().map(|t| t.as_str()).collect();
    let count = |description: &str, default: u64| json!({"type": ["integer", "string"], "minimum": 1, "description": description, "default": default});
    let boolean = |description: &str, default: bool| json!({"type": ["boolean", "string"], "description": description, "default": default});
    let translation = json!({"enum": ["lenient", "strict"], "description": "What happens to fields a provider cannot take."});
    let target = json!({
        "oneOf": [
            {"type": "string", "description": "\"provider/upstream-model\" or \"provider\""},
            {
                "type": "object",
                "additionalProperties": false,
                "required": ["provider"],
                "properties": {
                    "provider": string("Name of a provider in `providers`."),
                    "model": string("Upstream model; may hold one `*` (pattern routes): the part the route's `*` matched."),
                }
            }
        ]
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Portcullis configuration",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "server": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "listen": {"type": "string", "description": "ip:port to listen on.", "default": "127.0.0.1:8080"},
                    "max_body_size": {"type": ["integer", "string"], "pattern": SIZE, "description": "Largest request body (413 above).", "default": "10MiB"},
                    "request_timeout": duration("Total time per call, streaming included.", "10m"),
                    "shutdown_grace": duration("How long in-flight requests may finish after SIGTERM.", "30s"),
                    "data_dir": {"type": "string", "description": "Local state directory, relative to the config file.", "default": "./portcullis-data"},
                }
            },
            "translation": translation.clone(),
            "database": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "url": string("sqlite://path (relative to the config file) or sqlite::memory:. Default: portcullis.db in data_dir."),
                }
            },
            "call_log": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "enabled": boolean("Record every call.", true),
                    "queue_capacity": count("Records buffered before new ones are dropped.", 10_000),
                    "batch_size": count("Records per write.", 256),
                    "flush_interval": duration("Longest wait before a write.", "200ms"),
                }
            },
            "admin": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "token": string("Bearer token for /admin/v1/*; absent or empty disables the admin API."),
                }
            },
            "providers": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z0-9][a-z0-9_.-]*$"},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["type"],
                    "properties": {
                        "type": {"enum": types, "description": "Wire protocol, or a preset of openai_compatible."},
                        "api_key": string("Credential (use ${ENV_VAR}). Required for openai, azure, anthropic, gemini."),
                        "base_url": string("Upstream base URL (http or https). Required for azure and openai_compatible."),
                        "organization": string("OpenAI-Organization header (openai only)."),
                        "project": string("OpenAI-Project header (openai only)."),
                        "headers": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Extra headers sent upstream."},
                        "connect_timeout": duration("TCP + TLS connect timeout.", "5s"),
                        "timeout": {"type": "string", "pattern": DURATION, "description": "Time per upstream attempt; default server.request_timeout."},
                        "api_version": {"type": "string", "description": "Azure api-version (azure only).", "default": "2024-10-21"},
                        "version": {"type": "string", "description": "anthropic-version header (anthropic only).", "default": "2023-06-01"},
                        "default_max_tokens": count("max_tokens when the caller gives none (anthropic only).", 4096),
                    }
                }
            },
            "models": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "targets"],
                    "properties": {
                        "name": string("Public model name, or a pattern with one trailing `*`."),
                        "description": string("Free text for docs and the portal."),
                        "translation": translation,
                        "targets": {"type": "array", "minItems": 1, "items": target},
                    }
                }
            },
            "api_keys": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                        "key": string("The key text (use ${ENV_VAR}); hashed at load. Exactly one of key / hash."),
                        "hash": {"type": "string", "pattern": "^(sha256:)?[0-9a-fA-F]{64}$"},
                        "models": {"type": "array", "items": {"type": "string"}, "description": "Allowed models (patterns allowed); default all."},
                        "expires_at": {"type": "string", "description": "RFC 3339 timestamp."},
                        "disabled": boolean("Refuse this key.", false),
                    }
                }
            }
        }
    })
}
