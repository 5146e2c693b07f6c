//! OpenAI wire pieces shared by responses, streams and the fast path: usage, finish reasons,
//! error objects.

use serde::{Deserialize, Serialize};

use crate::canonical::{ErrorKind, FinishReason, Usage};

/// `usage` of a response or of the final stream chunk. Every field is optional because
/// compatible servers omit or null some of them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(u: WireUsage) -> Usage {
        Usage {
            input_tokens: u.prompt_tokens.unwrap_or(0),
            output_tokens: u.completion_tokens.unwrap_or(0),
            cached_input_tokens: u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0),
            cache_creation_input_tokens: 0,
            reasoning_tokens: u
                .completion_tokens_details
                .and_then(|d| d.reasoning_tokens)
                .unwrap_or(0),
        }
    }
}

/// `usage` as OpenAI renders it.
#[derive(Serialize)]
pub(crate) struct RenderUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
    prompt_tokens_details: RenderPromptDetails,
    completion_tokens_details: RenderCompletionDetails,
}

#[derive(Serialize)]
struct RenderPromptDetails {
    cached_tokens: u64,
}

#[derive(Serialize)]
struct RenderCompletionDetails {
    reasoning_tokens: u64,
}

impl From<&Usage> for RenderUsage {
    fn from(u: &Usage) -> RenderUsage {
        RenderUsage {
            prompt_tokens: u.input_tokens,
            completion_tokens: u.output_tokens,
            total_tokens: u.total_tokens(),
            prompt_tokens_details: RenderPromptDetails {
                cached_tokens: u.cached_input_tokens,
            },
            completion_tokens_details: RenderCompletionDetails {
                reasoning_tokens: u.reasoning_tokens,
            },
        }
    }
}

/// OpenAI `finish_reason` → canonical. OpenAI says `stop` both for the natural end and for a
/// matched stop sequence; canonical gets `EndTurn`.
pub(crate) fn finish_reason(value: &str) -> FinishReason {
    match value {
        "stop" => FinishReason::EndTurn,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other {
            value: other.to_owned(),
        },
    }
}

/// Canonical → OpenAI `finish_reason`. Values OpenAI does not define (Anthropic `pause_turn`)
/// become `stop`, the only reason an OpenAI client handles without special code.
pub(crate) fn render_finish_reason(reason: &FinishReason) -> &'static str {
    match reason {
        FinishReason::EndTurn | FinishReason::StopSequence { .. } => "stop",
        FinishReason::Length => "length",
        FinishReason::ToolCalls => "tool_calls",
        FinishReason::ContentFilter => "content_filter",
        FinishReason::Other { value } => match value.as_str() {
            "length" => "length",
            "tool_calls" | "function_call" => "tool_calls",
            "content_filter" => "content_filter",
            _ => "stop",
        },
    }
}

/// OpenAI's error `type` for a kind. OpenAI documents `invalid_request_error`,
/// `authentication_error`, `permission_error`, `not_found_error`, `rate_limit_error`,
/// `server_error` and `service_unavailable_error`; the rest map onto the nearest of those.
pub(crate) fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidRequest | ErrorKind::RequestTooLarge => "invalid_request_error",
        ErrorKind::Authentication => "authentication_error",
        ErrorKind::PermissionDenied => "permission_error",
        ErrorKind::NotFound => "not_found_error",
        ErrorKind::RateLimited => "rate_limit_error",
        ErrorKind::Overloaded => "service_unavailable_error",
        ErrorKind::Timeout | ErrorKind::Upstream | ErrorKind::Internal => "server_error",
    }
}

/// The kind an OpenAI (or compatible) error `type`/`code` string names, if it names one.
pub(crate) fn kind_from_code(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "invalid_request_error"
        | "context_length_exceeded"
        | "invalid_value"
        | "BadRequestError"
        | "content_filter"
        | "string_above_max_length" => ErrorKind::InvalidRequest,
        "authentication_error" | "invalid_api_key" | "AuthenticationError" => {
            ErrorKind::Authentication
        }
        "permission_error" | "permission_denied" | "unsupported_country_region_territory" => {
            ErrorKind::PermissionDenied
        }
        "not_found_error" | "model_not_found" | "DeploymentNotFound" | "NotFoundError" => {
            ErrorKind::NotFound
        }
        "rate_limit_error"
        | "rate_limit_exceeded"
        | "insufficient_quota"
        | "requests"
        | "tokens"
        | "RateLimitError" => ErrorKind::RateLimited,
        "server_is_overloaded" | "service_unavailable_error" | "overloaded_error" | "slow_down" => {
            ErrorKind::Overloaded
        }
        "timeout" | "timeout_error" => ErrorKind::Timeout,
        "server_error" | "api_error" | "internal_error" | "InternalServerError" => {
            ErrorKind::Upstream
        }
        "request_too_large" => ErrorKind::RequestTooLarge,
        _ => return None,
    })
}
