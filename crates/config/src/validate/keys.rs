//! `api_keys`: names, secrets reduced to hashes, scopes and expiry.

use sha2::{Digest, Sha256};
use std::time::SystemTime;

use super::Ctx;
use crate::raw::RawApiKey;
use crate::types::{ApiKeyConfig, ModelPattern, ModelRoute};
use crate::yaml::{index_path, key_path};

/// SHA-256 of the exact key text: how keys are stored and compared.
///
/// The gateway hashes each presented key with this function and looks the digest up, so the
/// config never needs to keep key text in memory. Pure function, cannot fail.
pub fn hash_api_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Keys shorter than this draw a warning: guessable keys defeat the point.
const MIN_KEY_LEN: usize = 16;

fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Parses `sha256:<64 hex>` or bare 64 hex digits (either case).
fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let hex_text = text.trim().strip_prefix("sha256:").unwrap_or(text.trim());
    let mut out = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut out).ok()?;
    Some(out)
}

pub(super) fn api_keys(
    raw: &[(usize, RawApiKey)],
    routes: &[ModelRoute],
    ctx: &mut Ctx<'_>,
) -> Vec<ApiKeyConfig> {
    let now = SystemTime::now();
    let mut out: Vec<(usize, ApiKeyConfig)> = Vec::with_capacity(raw.len());
    for (index, key) in raw {
        let path = index_path("api_keys", *index);
        let field = |f: &str| key_path(&path, f);
        if !valid_key_name(&key.name) {
            ctx.error(
                &field("name"),
                format!(
                    "invalid key name `{}`: use letters, digits, `_`, `.` and `-`",
                    key.name
                ),
            );
        } else if let Some((first, _)) = out.iter().find(|(_, k)| k.name == key.name) {
            ctx.error(
                &field("name"),
                format!("duplicate key name `{}` (also api_keys[{first}])", key.name),
            );
        }
        let hash = match (&key.key, &key.hash) {
            (Some(_), Some(_)) => {
                ctx.error(&path, "give either `key` or `hash`, not both");
                None
            }
            // An unreadable `key` / `hash` was dropped and reported already.
            (None, None)
                if ctx.already_reported(&field("key")) || ctx.already_reported(&field("hash")) =>
            {
                None
            }
            (None, None) => {
                ctx.error(
                    &path,
                    "give the key as `key: ${ENV_VAR}` or its digest as `hash: sha256:<hex>`",
                );
                None
            }
            (Some(secret), None) => {
                if secret.expose().trim().is_empty() {
                    ctx.error(
                        &field("key"),
                        "is empty (is the environment variable set but empty?)",
                    );
                    None
                } else {
                    if secret.expose().len() < MIN_KEY_LEN {
                        ctx.warn(
                            &field("key"),
                            format!("is shorter than {MIN_KEY_LEN} characters: easy to guess"),
                        );
                    }
                    Some(hash_api_key(secret.expose()))
                }
            }
            (None, Some(text)) => {
                let parsed = parse_hash(text);
                if parsed.is_none() {
                    ctx.error(
                        &field("hash"),
                        "not a SHA-256 digest: expected `sha256:` followed by 64 hex digits \
                         (from `portcullis keys hash`)",
                    );
                }
                parsed
            }
        };
        let models = key.models.as_ref().map(|patterns| {
            let mut parsed = Vec::with_capacity(patterns.len());
            for (j, text) in patterns.iter().enumerate() {
                let mpath = index_path(&field("models"), j);
                match ModelPattern::parse(text) {
                    Ok(pattern) => {
                        if !routes.iter().any(|r| overlaps(&pattern, &r.pattern)) {
                            ctx.warn(&mpath, format!("`{text}` matches no model route"));
                        }
                        parsed.push(pattern);
                    }
                    Err(message) => ctx.error(&mpath, format!("invalid model pattern: {message}")),
                }
            }
            if patterns.is_empty() {
                ctx.warn(&field("models"), "is empty, so this key can call no model");
            }
            parsed
        });
        let expires_at = key.expires_at.map(|t| t.0);
        if expires_at.is_some_and(|at| at <= now) {
            ctx.warn(
                &field("expires_at"),
                "is in the past: this key is already refused",
            );
        }
        let Some(hash) = hash else { continue };
        if let Some((first, other)) = out.iter().find(|(_, k)| k.hash == hash) {
            ctx.error(
                &path,
                format!(
                    "this key's secret is the same as key `{}` (api_keys[{first}]): every key needs its own secret",
                    other.name
                ),
            );
        }
        out.push((
            *index,
            ApiKeyConfig {
                name: key.name.clone(),
                hash,
                models,
                expires_at,
                disabled: key.disabled.unwrap_or(false),
            },
        ));
    }
    out.into_iter().map(|(_, k)| k).collect()
}

/// Whether some model name could match both patterns.
fn overlaps(a: &ModelPattern, b: &ModelPattern) -> bool {
    match (a, b) {
        (ModelPattern::Exact(x), ModelPattern::Exact(y)) => x == y,
        (ModelPattern::Exact(x), p @ ModelPattern::Prefix(_))
        | (p @ ModelPattern::Prefix(_), ModelPattern::Exact(x)) => p.matches(x).is_some(),
        (ModelPattern::Prefix(x), ModelPattern::Prefix(y)) => {
            x.starts_with(y.as_str()) || y.starts_with(x.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_is_sha256_of_the_text() {
        assert_eq!(
            hex::encode(hash_api_key("test")),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
    }

    #[test]
    fn hash_forms() {
        let hex_text = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(
            parse_hash(&format!("sha256:{hex_text}")),
            Some(hash_api_key("test"))
        );
        assert_eq!(
            parse_hash(&hex_text.to_uppercase()),
            Some(hash_api_key("test"))
        );
        assert_eq!(parse_hash("sha256:abc"), None);
        assert_eq!(parse_hash(&format!("md5:{hex_text}")), None);
    }

    #[test]
    fn pattern_overlap() {
        let p = |s| ModelPattern::parse(s).unwrap();
        assert!(overlaps(&p("openai/*"), &p("openai/gpt-4o")));
        assert!(overlaps(&p("gpt-*"), &p("gpt-4*")));
        assert!(overlaps(&p("gpt-4*"), &p("gpt-*")));
        assert!(!overlaps(&p("claude-*"), &p("gpt-*")));
        assert!(!overlaps(&p("a"), &p("b")));
    }
}
