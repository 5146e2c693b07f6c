//! Fast-path inspection of OpenAI stream chunks that are forwarded untouched.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::decode::stream_error;
use super::wire::WireUsage;
use crate::canonical::{StreamError, Usage};

/// What the gateway needs to know about one forwarded OpenAI stream event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkInfo {
    /// The usage carried by this chunk, if any.
    pub usage: Option<Usage>,
    /// The chunk only carries usage (`choices` empty or absent): hide it from a caller who did
    /// not ask for usage.
    pub usage_only: bool,
    /// The chunk is an in-stream error (`{"error": {...}}`).
    pub error: Option<StreamError>,
    /// The `[DONE]` sentinel.
    pub done: bool,
}

/// Inspects one stream event's `data` without building the chunk: `[DONE]` is recognised
/// textually, chunks that mention neither `usage` nor `error` are not parsed at all, and the
/// others are read into a struct that skips everything but `choices` (counted, not built),
/// `usage` and `error`. Data that is not JSON yields the default (nothing to report).
pub fn inspect_chunk(data: &str) -> ChunkInfo {
    let trimmed = data.trim();
    if trimmed == "[DONE]" {
        return ChunkInfo {
            done: true,
            ..ChunkInfo::default()
        };
    }
    // OpenAI sends `"usage":null` on every chunk once usage is requested: only a non-null
    // `usage` or `error` is worth a parse.
    if !has_non_null(trimmed, "\"usage\"") && !has_non_null(trimmed, "\"error\"") {
        return ChunkInfo::default();
    }
    let Ok(peek) = serde_json::from_str::<Peek>(trimmed) else {
        return ChunkInfo::default();
    };
    if let Some(error) = peek.error.filter(|e| !e.is_null()) {
        return ChunkInfo {
            error: Some(stream_error(&error)),
            ..ChunkInfo::default()
        };
    }
    let usage: Option<Usage> = peek.usage.map(Into::into);
    ChunkInfo {
        usage_only: usage.is_some() && peek.choices.is_none_or(|c| c.is_empty()),
        usage,
        error: None,
        done: false,
    }
}

/// Whether `key` (quoted) appears followed by `:` and a value other than `null`. A key inside a
/// string value is escaped (`\"usage\"`) and never matches; a false positive only costs a parse.
fn has_non_null(data: &str, key: &str) -> bool {
    let mut rest = data;
    while let Some(at) = rest.find(key) {
        rest = rest.get(at + key.len()..).unwrap_or_default();
        let after = rest.trim_start();
        if let Some(value) = after.strip_prefix(':')
            && !value.trim_start().starts_with("null")
        {
            return true;
        }
    }
    false
}

#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    choices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_done_usage_and_errors() {
        assert!(inspect_chunk("[DONE]").done);
        assert_eq!(
            inspect_chunk(r#"{"choices":[{"delta":{"content":"hi"}}]}"#),
            ChunkInfo::default()
        );
        let info = inspect_chunk(
            r#"{"id":"x","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4}}}"#,
        );
        assert!(info.usage_only);
        assert_eq!(
            info.usage,
            Some(Usage {
                input_tokens: 9,
                output_tokens: 3,
                cached_input_tokens: 4,
                ..Usage::default()
            })
        );
        // Usage riding on a content chunk (some compatible servers) must not be hidden.
        let info = inspect_chunk(
            r#"{"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}"#,
        );
        assert!(!info.usage_only && info.usage.is_some());
        // `"usage": null` on every chunk (OpenAI with include_usage).
        let info = inspect_chunk(r#"{"choices":[{"delta":{}}],"usage":null}"#);
        assert_eq!(info, ChunkInfo::default());
        let info = inspect_chunk(r#"{"error":{"message":"Rate limit","type":"rate_limit_error"}}"#);
        assert_eq!(
            info.error.map(|e| e.kind),
            Some(crate::ErrorKind::RateLimited)
        );
        assert_eq!(inspect_chunk("not json \"usage\""), ChunkInfo::default());
    }
}
