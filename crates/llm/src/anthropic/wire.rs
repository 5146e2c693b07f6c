//! Anthropic wire pieces shared by responses, streams and the fast path: usage, stop reasons,
//! error types.

use serde::{Deserialize, Serialize};

use crate::canonical::{ErrorKind, FinishReason, Usage};

/// Anthropic `usage`. Anthropic's `input_tokens` excludes cache reads and writes; canonical
/// usage includes them. Every field is optional: `message_delta` carries only some.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    pub(crate) input_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) output_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub(crate) cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Canonical usage from this report alone (absent fields count as zero).
    pub(crate) fn to_usage(&self) -> Usage {
        let mut usage = Usage::default();
        self.apply(&mut usage);
        usage
    }

    /// Overwrites the fields of `usage` that this report carries (Anthropic's counts are
    /// cumulative, so the latest report of a field is its value so far).
    pub(crate) fn apply(&self, usage: &mut Usage) {
        let uncached = self.input_tokens.unwrap_or_else(|| uncached_input(usage));
        if let Some(read) = self.cache_read_input_tokens {
            usage.cached_input_tokens = read;
        }
        if let Some(created) = self.cache_creation_input_tokens {
            usage.cache_creation_input_tokens = created;
        }
        usage.input_tokens = uncached
            .saturating_add(usage.cached_input_tokens)
            .saturating_add(usage.cache_creation_input_tokens);
        if let Some(output) = self.output_tokens {
            usage.output_tokens = output;
        }
    }
}

/// Anthropic's `input_tokens` (cache reads and writes excluded) for a canonical usage.
pub(crate) fn uncached_input(usage: &Usage) -> u64 {
    usage
        .input_tokens
        .saturating_sub(usage.cached_input_tokens)
        .saturating_sub(usage.cache_creation_input_tokens)
}

/// `usage` as Anthropic renders it.
#[derive(Serialize)]
pub(crate) struct RenderUsage {
    input_tokens: u64,
    output_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
}

impl From<&Usage> for RenderUsage {
    fn from(u: &Usage) -> RenderUsage {
        RenderUsage {
            input_tokens: uncached_input(u),
            output_tokens: u.output_tokens,
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cached_input_tokens,
        }
    }
}

/// Anthropic `stop_reason` → canonical.
pub(crate) fn finish_reason(value: &str, sequence: Option<String>) -> FinishReason {
    match value {
        "end_turn" => FinishReason::EndTurn,
        "stop_sequence" => FinishReason::StopSequence { sequence },
        "max_tokens" | "model_context_window_exceeded" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other {
            value: other.to_owned(),
        },
    }
}

/// Canonical → Anthropic `stop_reason` and `stop_sequence`. Values Anthropic does not define
/// become `end_turn`.
pub(crate) fn render_stop_reason(reason: &FinishReason) -> (&'static str, Option<&str>) {
    match reason {
        FinishReason::EndTurn => ("end_turn", None),
        FinishReason::StopSequence { sequence } => ("stop_sequence", sequence.as_deref()),
        FinishReason::Length => ("max_tokens", None),
        FinishReason::ToolCalls => ("tool_use", None),
        FinishReason::ContentFilter => ("refusal", None),
        FinishReason::Other { value } => (
            match value.as_str() {
                "pause_turn" => "pause_turn",
                "model_context_window_exceeded" => "model_context_window_exceeded",
                _ => "end_turn",
            },
            None,
        ),
    }
}

/// Anthropic's documented error types (platform.claude.com/docs/en/api/errors).
pub(crate) fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RequestTooLarge => "request_too_large",
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::Overloaded => "overloaded_error",
        ErrorKind::Timeout => "timeout_error",
        ErrorKind::Upstream | ErrorKind::Internal => "api_error",
    }
}

/// The kind an Anthropic error type names.
pub(crate) fn kind_from_type(value: &str) -> Option<ErrorKind> {
    Some(match value {
        "invalid_request_error" => ErrorKind::InvalidRequest,
        "authentication_error" => ErrorKind::Authentication,
        "permission_error" | "billing_error" => ErrorKind::PermissionDenied,
        "not_found_error" => ErrorKind::NotFound,
        "request_too_large" => ErrorKind::RequestTooLarge,
        "rate_limit_error" => ErrorKind::RateLimited,
        "overloaded_error" => ErrorKind::Overloaded,
        "timeout_error" => ErrorKind::Timeout,
        "api_error" => ErrorKind::Upstream,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_reports_accumulate_in_canonical_convention() {
        let mut usage = Usage::default();
        let start: WireUsage = serde_json::from_str(
            r#"{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}"#,
        )
        .unwrap();
        start.apply(&mut usage);
        assert_eq!(
            (
                usage.input_tokens,
                usage.cached_input_tokens,
                usage.output_tokens
            ),
            (115, 100, 1)
        );
        let delta: WireUsage = serde_json::from_str(r#"{"output_tokens":42}"#).unwrap();
        delta.apply(&mut usage);
        assert_eq!((usage.input_tokens, usage.output_tokens), (115, 42));
        let rendered = serde_json::to_value(RenderUsage::from(&usage)).unwrap();
        assert_eq!(
            rendered,
            serde_json::json!({"input_tokens":10,"output_tokens":42,"cache_creation_input_tokens":5,"cache_read_input_tokens":100})
        );
    }
}
