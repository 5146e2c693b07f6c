//! Authentication with API keys.
//!
//! Keys are never held in clear: the configuration gives a key or its SHA-256, and only the hash
//! is kept. A presented key is hashed and looked up; the lookup is a hash-map probe, so
//! authentication costs one SHA-256 of the presented key whatever the number of keys.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderMap;
use portcullis_config::{ApiKeyConfig, ModelPattern, hash_api_key};

/// An authenticated caller's key, as the rest of the request path sees it.
#[derive(Debug)]
pub struct ApiKey {
    /// The configured name (safe to log).
    pub name: Arc<str>,
    /// Model patterns this key may use; `None` = every model.
    models: Option<Vec<ModelPattern>>,
    expires_at: Option<SystemTime>,
    disabled: bool,
}

impl ApiKey {
    /// Whether this key may call `model` (the public model name the caller asked for).
    pub fn allows_model(&self, model: &str) -> bool {
        match &self.models {
            None => true,
            Some(patterns) => patterns.iter().any(|p| p.matches(model).is_some()),
        }
    }
}

/// Why a request could not be authenticated. Messages never contain the presented key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthnError {
    #[error(
        "missing API key: send it as `Authorization: Bearer <key>`, `x-api-key: <key>` or `api-key: <key>`"
    )]
    Missing,
    #[error("invalid API key")]
    Invalid,
    #[error("API key {name} has expired")]
    Expired { name: Arc<str> },
    #[error("API key {name} is disabled")]
    Disabled { name: Arc<str> },
}

/// The API keys of one configuration snapshot, indexed by hash.
#[derive(Debug, Default)]
pub struct KeyIndex {
    by_hash: HashMap<[u8; 32], Arc<ApiKey>>,
}

impl KeyIndex {
    /// Indexes the configured keys. The configuration validator rejects duplicate hashes; if one
    /// slipped through, the later key wins.
    pub fn new(keys: &[ApiKeyConfig]) -> KeyIndex {
        let by_hash = keys
            .iter()
            .map(|k| {
                let key = ApiKey {
                    name: Arc::from(k.name.as_str()),
                    models: k.models.clone(),
                    expires_at: k.expires_at,
                    disabled: k.disabled,
                };
                (k.hash, Arc::new(key))
            })
            .collect();
        KeyIndex { by_hash }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Authenticates the key presented in `headers` at time `now`.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        now: SystemTime,
    ) -> Result<Arc<ApiKey>, AuthnError> {
        let presented = presented_key(headers).ok_or(AuthnError::Missing)?;
        let key = self
            .by_hash
            .get(&hash_api_key(presented))
            .ok_or(AuthnError::Invalid)?;
        if key.disabled {
            return Err(AuthnError::Disabled {
                name: key.name.clone(),
            });
        }
        if key.expires_at.is_some_and(|at| now >= at) {
            return Err(AuthnError::Expired {
                name: key.name.clone(),
            });
        }
        Ok(key.clone())
    }
}

/// The key the caller presented, from the first of `Authorization: Bearer`, `x-api-key` (the
/// Anthropic SDKs) and `api-key` (the Azure OpenAI SDKs) that is present and non-empty.
pub fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        // The scheme is case-insensitive (RFC 9110); a bare token is accepted too.
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ if value.eq_ignore_ascii_case("bearer") => "",
            _ => value,
        };
        if !token.is_empty() {
            return Some(token);
        }
    }
    ["x-api-key", "api-key"].iter().find_map(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn key(name: &str, secret: &str) -> ApiKeyConfig {
        ApiKeyConfig {
            name: name.to_string(),
            hash: hash_api_key(secret),
            models: None,
            expires_at: None,
            disabled: false,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn every_header_style_authenticates() {
        let index = KeyIndex::new(&[key("a", "sk-a")]);
        let now = SystemTime::now();
        for h in [
            headers(&[("authorization", "Bearer sk-a")]),
            headers(&[("x-api-key", "sk-a")]),
            headers(&[("api-key", "sk-a")]),
        ] {
            assert_eq!(&*index.authenticate(&h, now).unwrap().name, "a");
        }
    }

    #[test]
    fn missing_wrong_expired_disabled() {
        let mut expired = key("old", "sk-old");
        expired.expires_at = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(10));
        let mut disabled = key("off", "sk-off");
        disabled.disabled = true;
        let index = KeyIndex::new(&[key("a", "sk-a"), expired, disabled]);
        let now = SystemTime::now();
        assert_eq!(
            index.authenticate(&HeaderMap::new(), now).unwrap_err(),
            AuthnError::Missing
        );
        assert_eq!(
            index
                .authenticate(&headers(&[("authorization", "Bearer ")]), now)
                .unwrap_err(),
            AuthnError::Missing
        );
        assert_eq!(
            index
                .authenticate(&headers(&[("x-api-key", "sk-b")]), now)
                .unwrap_err(),
            AuthnError::Invalid
        );
        assert!(matches!(
            index.authenticate(&headers(&[("x-api-key", "sk-old")]), now),
            Err(AuthnError::Expired { .. })
        ));
        assert!(matches!(
            index.authenticate(&headers(&[("x-api-key", "sk-off")]), now),
            Err(AuthnError::Disabled { .. })
        ));
    }

    #[test]
    fn errors_never_contain_the_key() {
        let index = KeyIndex::new(&[]);
        let err = index
            .authenticate(
                &headers(&[("authorization", "Bearer sk-secret-123")]),
                SystemTime::now(),
            )
            .unwrap_err();
        assert!(!err.to_string().contains("sk-secret-123"));
    }
}
