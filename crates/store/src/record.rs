//! The call log's row ([`CallRecord`]) and the query over it ([`CallQuery`]).

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// One call through the gateway, successful or not, as the call log stores it.
///
/// The gateway fills one per request and hands it to the call log sink; the field names are a
/// contract shared with the admin API's JSON and the `portcullis calls` CLI, so they stay stable.
/// Free-text fields are truncated (on a character boundary) when written: identifiers (request
/// id, key, model, route, provider, upstream model) to 256 bytes, `error_message` and
/// `dropped_fields` to 1024, `user_agent` to 256, short codes to 64.
///
/// Counts are unsigned here and stored as SQLite integers; a count above `i64::MAX` is stored
/// as `i64::MAX`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The request id sent back in `x-request-id` (the caller's own, or one we generated).
    pub request_id: String,
    /// When the gateway received the request, in unix milliseconds (see [`unix_millis`]).
    pub started_at: i64,
    /// The name of the API key that authenticated the call; `None` when authentication failed
    /// or the endpoint needs none.
    pub key_name: Option<String>,
    /// The inbound API: `openai.chat`, `openai.embeddings`, `openai.models` or
    /// `anthropic.messages`.
    pub inbound_api: String,
    /// The model the caller asked for, as written in its request.
    pub model: Option<String>,
    /// The name of the model route that matched.
    pub route: Option<String>,
    /// The provider that served the call (the last one tried, when fallbacks ran).
    pub provider: Option<String>,
    /// The model name sent to that provider.
    pub upstream_model: Option<String>,
    /// The HTTP status the caller received. For a stream that failed after its first byte this
    /// stays 200 and `error_kind` says what happened.
    pub status: u16,
    /// A stable snake_case error class (`authentication`, `upstream_timeout`, …); `None` on
    /// success.
    pub error_kind: Option<String>,
    /// A short human-readable error message. Must never contain a secret or a prompt.
    pub error_message: Option<String>,
    /// Whether the caller asked for a streamed response.
    pub stream: bool,
    /// Total time from receiving the request to sending the last byte, in milliseconds.
    pub latency_ms: f64,
    /// Time from receiving the request to sending the first response byte, in milliseconds.
    pub ttfb_ms: Option<f64>,
    /// Time spent waiting on upstreams (all attempts), in milliseconds.
    pub upstream_ms: Option<f64>,
    /// Prompt (input) tokens, as the provider reported them.
    pub prompt_tokens: Option<u64>,
    /// Completion (output) tokens, as the provider reported them.
    pub completion_tokens: Option<u64>,
    /// Prompt tokens served from the provider's prompt cache (a subset of `prompt_tokens`).
    pub cached_tokens: Option<u64>,
    /// Upstream attempts made (retries and fallbacks included); 0 when no upstream was called.
    pub attempts: u32,
    /// Request fields left out by lenient translation, comma-separated, as in the
    /// `x-portcullis-dropped-fields` response header.
    pub dropped_fields: Option<String>,
    /// The caller's IP address (after trusted-proxy resolution).
    pub client_ip: Option<String>,
    /// The caller's `User-Agent` header (truncated).
    pub user_agent: Option<String>,
    /// Why generation stopped, in the caller's API's words (`stop`, `length`, `tool_calls`,
    /// `end_turn`, …): tells an operator a response was cut by `max_tokens`.
    pub finish_reason: Option<String>,
    /// Size of the request body received from the caller, in bytes.
    pub request_bytes: Option<u64>,
    /// Size of the response body sent to the caller, in bytes.
    pub response_bytes: Option<u64>,
    /// The configuration generation that served the call, to tie behaviour to a reload.
    pub config_generation: Option<u64>,
}

/// Milliseconds since the Unix epoch for `time`, the unit of [`CallRecord::started_at`] and of
/// [`CallQuery`]'s `since`/`before`. Times before 1970 give negative values; times beyond
/// `i64::MAX` ms saturate.
pub fn unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Which calls [`recent_calls`](crate::CallStore::recent_calls) returns: newest first, at most
/// `limit`, narrowed by every filter that is set (filters combine with AND).
///
/// Deserializes from the admin API's query string (`?limit=20&status=5xx&model=gpt-4o`);
/// unknown parameters are rejected so a typo does not silently widen the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallQuery {
    /// How many calls to return: default [`CallQuery::DEFAULT_LIMIT`], capped at
    /// [`CallQuery::MAX_LIMIT`].
    pub limit: Option<u32>,
    /// Exact status, status class or "any error".
    pub status: Option<StatusFilter>,
    /// The model the caller asked for (exact match).
    pub model: Option<String>,
    /// The matched route name (exact match).
    pub route: Option<String>,
    /// The API key name (exact match).
    pub key_name: Option<String>,
    /// The provider name (exact match).
    pub provider: Option<String>,
    /// Only calls started at or after this unix-millisecond time.
    pub since: Option<i64>,
    /// Only calls started strictly before this unix-millisecond time (for paging backwards).
    pub before: Option<i64>,
    /// Only calls with this request id.
    pub request_id: Option<String>,
}

impl CallQuery {
    /// The number of calls returned when `limit` is not set.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The most calls one query returns, whatever `limit` says.
    pub const MAX_LIMIT: u32 = 1000;

    /// The limit the store applies: `limit` or the default, capped at the maximum.
    pub fn effective_limit(&self) -> u32 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .min(Self::MAX_LIMIT)
    }
}

/// A filter on the status the caller received.
///
/// Parses from and prints as the text the CLI and admin API take: `404` (exact), `4xx`
/// (class 1–5, case-insensitive) or `error` (any status ≥ 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StatusFilter {
    /// Exactly this status.
    Exact(u16),
    /// Every status in `class * 100 .. class * 100 + 100`; the class is 1 to 5.
    Class(u8),
    /// Every status from 400 up.
    Errors,
}

impl StatusFilter {
    /// The inclusive-exclusive status range this filter selects.
    pub fn range(self) -> (u16, u16) {
        match self {
            Self::Exact(code) => (code, code.saturating_add(1)),
            Self::Class(class) => {
                let low = u16::from(class) * 100;
                (low, low + 100)
            }
            Self::Errors => (400, 1000),
        }
    }

    /// Whether `status` passes this filter.
    pub fn matches(self, status: u16) -> bool {
        let (low, high) = self.range();
        (low..high).contains(&status)
    }
}

/// Why a status filter did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid status filter `{0}`: expected a status code (404), a class (1xx to 5xx) or `error`"
)]
pub struct StatusFilterError(String);

impl FromStr for StatusFilter {
    type Err = StatusFilterError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let invalid = || StatusFilterError(text.to_owned());
        if trimmed.eq_ignore_ascii_case("error") || trimmed.eq_ignore_ascii_case("errors") {
            return Ok(Self::Errors);
        }
        let bytes = trimmed.as_bytes();
        if let [class @ b'1'..=b'5', x1, x2] = bytes
            && x1.eq_ignore_ascii_case(&b'x')
            && x2.eq_ignore_ascii_case(&b'x')
        {
            return Ok(Self::Class(class - b'0'));
        }
        match trimmed.parse::<u16>() {
            Ok(code) if (100..=999).contains(&code) => Ok(Self::Exact(code)),
            _ => Err(invalid()),
        }
    }
}

impl From<u16> for StatusFilter {
    /// An exact-status filter, for callers that only take a number.
    fn from(code: u16) -> Self {
        Self::Exact(code)
    }
}

impl TryFrom<String> for StatusFilter {
    type Error = StatusFilterError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<StatusFilter> for String {
    fn from(filter: StatusFilter) -> Self {
        filter.to_string()
    }
}

impl fmt::Display for StatusFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(code) => write!(f, "{code}"),
            Self::Class(class) => write!(f, "{class}xx"),
            Self::Errors => f.write_str("error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn status_filter_parses_codes_classes_and_errors() {
        assert_eq!("404".parse(), Ok(StatusFilter::Exact(404)));
        assert_eq!("5xx".parse(), Ok(StatusFilter::Class(5)));
        assert_eq!("2XX".parse(), Ok(StatusFilter::Class(2)));
        assert_eq!(" error ".parse(), Ok(StatusFilter::Errors));
        for bad in ["", "6xx", "0xx", "99", "1000", "4x", "abc", "-1"] {
            assert!(
                bad.parse::<StatusFilter>().is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn status_filter_round_trips_through_text() {
        for filter in [
            StatusFilter::Exact(429),
            StatusFilter::Class(4),
            StatusFilter::Errors,
        ] {
            assert_eq!(filter.to_string().parse(), Ok(filter));
        }
    }

    #[test]
    fn status_filter_ranges_select_the_right_codes() {
        assert!(StatusFilter::Class(5).matches(502));
        assert!(!StatusFilter::Class(5).matches(499));
        assert!(!StatusFilter::Class(5).matches(600));
        assert!(StatusFilter::Errors.matches(400));
        assert!(!StatusFilter::Errors.matches(399));
        assert!(StatusFilter::Exact(200).matches(200));
        assert!(!StatusFilter::Exact(200).matches(201));
    }

    #[test]
    fn limit_defaults_and_caps() {
        assert_eq!(CallQuery::default().effective_limit(), 50);
        let big = CallQuery {
            limit: Some(5000),
            ..CallQuery::default()
        };
        assert_eq!(big.effective_limit(), 1000);
        let small = CallQuery {
            limit: Some(3),
            ..CallQuery::default()
        };
        assert_eq!(small.effective_limit(), 3);
    }

    #[test]
    fn query_deserializes_from_admin_parameters_and_rejects_typos() {
        let query: CallQuery =
            serde_json::from_str(r#"{"limit": 20, "status": "5xx", "model": "gpt-4o"}"#).unwrap();
        assert_eq!(query.limit, Some(20));
        assert_eq!(query.status, Some(StatusFilter::Class(5)));
        assert_eq!(query.model.as_deref(), Some("gpt-4o"));
        assert!(serde_json::from_str::<CallQuery>(r#"{"modle": "x"}"#).is_err());
        assert!(serde_json::from_str::<CallQuery>(r#"{"status": "7xx"}"#).is_err());
    }

    #[test]
    fn query_parses_from_an_admin_api_query_string() {
        // The admin API hands the query string to serde_urlencoded (axum's `Query`).
        let query: CallQuery = serde_urlencoded::from_str(
            "limit=20&status=4xx&key_name=team-a&since=1750000000000&request_id=req-1",
        )
        .unwrap();
        assert_eq!(query.limit, Some(20));
        assert_eq!(query.status, Some(StatusFilter::Class(4)));
        assert_eq!(query.key_name.as_deref(), Some("team-a"));
        assert_eq!(query.since, Some(1_750_000_000_000));
        assert_eq!(query.request_id.as_deref(), Some("req-1"));
        let exact: CallQuery = serde_urlencoded::from_str("status=429").unwrap();
        assert_eq!(exact.status, Some(StatusFilter::Exact(429)));
        assert!(serde_urlencoded::from_str::<CallQuery>("limit=lots").is_err());
        assert!(serde_urlencoded::from_str::<CallQuery>("key=team-a").is_err());
    }

    #[test]
    fn unix_millis_counts_from_the_epoch_both_ways() {
        assert_eq!(
            unix_millis(UNIX_EPOCH + Duration::from_millis(1_234)),
            1_234
        );
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_millis(5)), -5);
    }
}
