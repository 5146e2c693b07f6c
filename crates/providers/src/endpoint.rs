//! Where each kind of provider is reached and how it is authenticated.

use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use portcullis_config::{Provider as ProviderConfig, ProviderKind};

use crate::Operation;

/// The URLs of one provider. Fixed URLs are parsed once; per-model URLs (Azure deployments,
/// Gemini models) are formatted per request from a normalised base.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// OpenAI and OpenAI-compatible servers: `{base}/chat/completions`, `{base}/embeddings`.
    OpenAi {
        chat: Uri,
        embeddings: Uri,
    },
    /// Azure OpenAI: `{base}/openai/deployments/{deployment}/...?api-version=...`, or the v1 API
    /// (`api_version: v1`): `{base}/openai/v1/...` with the deployment in the body's `model`.
    Azure {
        base: String,
        api_version: String,
    },
    /// Anthropic: `{base}/v1/messages`.
    Anthropic {
        messages: Uri,
    },
    /// Gemini: `{base}/v1beta/models/{model}:{method}`.
    Gemini {
        base: String,
    },
    Mock,
}

impl Endpoint {
    pub(crate) fn new(config: &ProviderConfig) -> Result<Endpoint, String> {
        let base = config.base_url.trim_end_matches('/');
        let parse = |s: String| -> Result<Uri, String> {
            s.parse::<Uri>()
                .map_err(|e| format!("invalid URL {s:?}: {e}"))
        };
        Ok(match config.kind {
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                // OpenAI-style base URLs include the API version path (`/v1`); a bare host is
                // taken to mean the conventional `/v1` (what vLLM, Ollama and others serve).
                let base = if path_is_empty(base) {
                    format!("{base}/v1")
                } else {
                    base.to_string()
                };
                Endpoint::OpenAi {
                    chat: parse(format!("{base}/chat/completions"))?,
                    embeddings: parse(format!("{base}/embeddings"))?,
                }
            }
            ProviderKind::Azure => {
                let base = base
                    .trim_end_matches("/openai/v1")
                    .trim_end_matches("/openai");
                parse(base.to_string())?;
                Endpoint::Azure {
                    base: base.to_string(),
                    api_version: config
                        .api_version
                        .clone()
                        .unwrap_or_else(|| "2024-10-21".to_string()),
                }
            }
            ProviderKind::Anthropic => {
                // The Anthropic SDKs' base URL has no version path; accept one that has it.
                let base = base.trim_end_matches("/v1");
                Endpoint::Anthropic {
                    messages: parse(format!("{base}/v1/messages"))?,
                }
            }
            ProviderKind::Gemini => {
                let base = if base.ends_with("/v1beta") || base.ends_with("/v1") {
                    base.to_string()
                } else {
                    format!("{base}/v1beta")
                };
                parse(base.clone())?;
                Endpoint::Gemini { base }
            }
            ProviderKind::Mock => Endpoint::Mock,
        })
    }

    /// The URL for `op` on `model`.
    pub fn uri(&self, op: Operation, model: &str) -> Result<Uri, String> {
        match self {
            Endpoint::OpenAi { chat, embeddings } => Ok(match op {
                Operation::Chat { .. } => chat.clone(),
                Operation::Embeddings => embeddings.clone(),
            }),
            Endpoint::Anthropic { messages } => Ok(messages.clone()),
            Endpoint::Azure { base, api_version } => {
                let path = match op {
                    Operation::Chat { .. } => "chat/completions",
                    Operation::Embeddings => "embeddings",
                };
                let url = if api_version == "v1" {
                    format!("{base}/openai/v1/{path}")
                } else {
                    check_path_segment(model)?;
                    format!("{base}/openai/deployments/{model}/{path}?api-version={api_version}")
                };
                url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))
            }
            Endpoint::Gemini { base } => {
                let model = model.strip_prefix("models/").unwrap_or(model);
                check_path_segment(model)?;
                let url = match op {
                    Operation::Chat { stream: false } => {
                        format!("{base}/models/{model}:generateContent")
                    }
                    Operation::Chat { stream: true } => {
                        format!("{base}/models/{model}:streamGenerateContent?alt=sse")
                    }
                    Operation::Embeddings => format!("{base}/models/{model}:batchEmbedContents"),
                };
                url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))
            }
            Endpoint::Mock => Err("the mock provider has no URL".to_string()),
        }
    }
}

/// Whether a URL like `http://host:port` or `http://host:port/` has no path.
fn path_is_empty(base: &str) -> bool {
    let after_scheme = base.split_once("://").map_or(base, |(_, rest)| rest);
    !after_scheme.contains('/')
}

/// Model and deployment names go into URL paths: allow only characters that need no escaping,
/// so a caller-chosen name (pattern routes pass it through) cannot change the path.
fn check_path_segment(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@' | b':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "model name {name:?} cannot be used in the provider's URL (allowed: letters, digits, - _ . @ :)"
        ))
    }
}

/// The headers sent on every request to this provider: credentials, protocol headers and the
/// configured extras.
pub(crate) fn auth_headers(config: &ProviderConfig) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("portcullis/", env!("CARGO_PKG_VERSION"))),
    );
    let secret_value = |value: &str, what: &str| -> Result<HeaderValue, String> {
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| format!("{what} contains characters not allowed in an HTTP header"))?;
        value.set_sensitive(true);
        Ok(value)
    };
    if let Some(key) = &config.api_key {
        let key = key.expose();
        match config.kind {
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => {
                headers.insert(
                    AUTHORIZATION,
                    secret_value(&format!("Bearer {key}"), "api_key")?,
                );
            }
            ProviderKind::Azure => {
                headers.insert(
                    HeaderName::from_static("api-key"),
                    secret_value(key, "api_key")?,
                );
            }
            ProviderKind::Anthropic => {
                headers.insert(
                    HeaderName::from_static("x-api-key"),
                    secret_value(key, "api_key")?,
                );
            }
            ProviderKind::Gemini => {
                headers.insert(
                    HeaderName::from_static("x-goog-api-key"),
                    secret_value(key, "api_key")?,
                );
            }
            ProviderKind::Mock => {}
        }
    }
    if config.kind == ProviderKind::Anthropic {
        let version = config.anthropic_version.as_deref().unwrap_or("2023-06-01");
        let version = HeaderValue::from_str(version)
            .map_err(|_| "version is not a valid header value".to_string())?;
        headers.insert(HeaderName::from_static("anthropic-version"), version);
    }
    if config.kind == ProviderKind::OpenAi {
        if let Some(org) = &config.organization {
            let value = HeaderValue::from_str(org)
                .map_err(|_| "organization is not a valid header value".to_string())?;
            headers.insert(HeaderName::from_static("openai-organization"), value);
        }
        if let Some(project) = &config.project {
            let value = HeaderValue::from_str(project)
                .map_err(|_| "project is not a valid header value".to_string())?;
            headers.insert(HeaderName::from_static("openai-project"), value);
        }
    }
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("headers: {name:?} is not a valid header name"))?;
        let value = secret_value(value.expose(), &format!("headers.{name}"))?;
        headers.insert(name, value);
    }
    Ok(headers)
}

/// The configuration name of a provider kind, for messages.
pub(crate) fn kind_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::OpenAi => "openai",
        ProviderKind::OpenAiCompatible => "openai_compatible",
        ProviderKind::Azure => "azure",
        ProviderKind::Anthropic => "anthropic",
        ProviderKind::Gemini => "gemini",
        ProviderKind::Mock => "mock",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_hosts_get_the_conventional_version_path() {
        assert!(path_is_empty("http://127.0.0.1:8000"));
        assert!(!path_is_empty("http://127.0.0.1:8000/v1"));
        assert!(!path_is_empty("https://api.groq.com/openai/v1"));
    }

    #[test]
    fn path_segments_cannot_escape() {
        assert!(check_path_segment("gemini-2.0-flash").is_ok());
        assert!(check_path_segment("gpt-4o@2024-08-06").is_ok());
        assert!(check_path_segment("../admin").is_err());
        assert!(check_path_segment("a/b").is_err());
        assert!(check_path_segment("a?b").is_err());
        assert!(check_path_segment("").is_err());
    }
}
