//! The per-request context every phase of the policy chain reads and fills, and the record it
//! becomes when the call ends.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use portcullis_llm::Usage;
use portcullis_policy::authn::ApiKey;
use portcullis_store::CallRecord;

use crate::error::{ErrorFormat, GatewayError};
use crate::snapshot::Snapshot;

/// The inbound API a request arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundApi {
    OpenAiChat,
    OpenAiEmbeddings,
    OpenAiModels,
    AnthropicMessages,
    AnthropicModels,
}

impl InboundApi {
    /// Every inbound API, in declaration order (`api as usize` indexes it).
    pub const ALL: [InboundApi; 5] = [
        InboundApi::OpenAiChat,
        InboundApi::OpenAiEmbeddings,
        InboundApi::OpenAiModels,
        InboundApi::AnthropicMessages,
        InboundApi::AnthropicModels,
    ];

    /// Stable label for logs and metrics.
    pub fn label(self) -> &'static str {
        match self {
            InboundApi::OpenAiChat => "openai.chat",
            InboundApi::OpenAiEmbeddings => "openai.embeddings",
            InboundApi::OpenAiModels => "openai.models",
            InboundApi::AnthropicMessages => "anthropic.messages",
            InboundApi::AnthropicModels => "anthropic.models",
        }
    }

    /// The shape errors take on this API.
    pub fn error_format(self) -> ErrorFormat {
        match self {
            InboundApi::OpenAiChat | InboundApi::OpenAiEmbeddings | InboundApi::OpenAiModels => {
                ErrorFormat::OpenAi
            }
            InboundApi::AnthropicMessages | InboundApi::AnthropicModels => ErrorFormat::Anthropic,
        }
    }
}

/// Everything known about one call, filled in as it moves through the phases.
#[derive(Debug)]
pub struct RequestContext {
    pub request_id: String,
    pub api: InboundApi,
    pub started: Instant,
    pub started_at: SystemTime,
    /// The configuration this call runs under, from start to end, even if a reload happens.
    pub snapshot: Arc<Snapshot>,
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Set by authentication.
    pub key: Option<Arc<ApiKey>>,
    /// The model the caller asked for.
    pub model: Option<String>,
    /// The route that matched `model`.
    pub route: Option<Arc<str>>,
    /// The target that served (or last failed) the call.
    pub provider: Option<Arc<str>>,
    pub upstream_model: Option<String>,
    pub stream: bool,
    /// Upstream attempts made (targets tried).
    pub attempts: u32,
    /// Request fields left out by lenient translation.
    pub dropped: Vec<String>,
    pub usage: Option<Usage>,
    /// When the upstream attempt that served the call started.
    pub upstream_started: Option<Instant>,
    /// Time from the start of that attempt to the end of the upstream response.
    pub upstream_elapsed: Option<Duration>,
    /// Time from the start of the call to the first byte sent to the caller.
    pub ttfb: Option<Duration>,
    /// Size of the caller's request body.
    pub request_bytes: Option<usize>,
    /// Size of the response body sent to the caller (streams: all events).
    pub response_bytes: Option<usize>,
    /// Why generation stopped, in the caller's API's words, when the gateway saw it.
    pub finish_reason: Option<String>,
}

impl RequestContext {
    pub fn new(
        api: InboundApi,
        snapshot: Arc<Snapshot>,
        headers: &HeaderMap,
        client_ip: Option<IpAddr>,
    ) -> RequestContext {
        let request_id = headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_acceptable_request_id(v))
            .map_or_else(new_request_id, str::to_string);
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| truncate(ua, 200).to_string());
        RequestContext {
            request_id,
            api,
            started: Instant::now(),
            started_at: SystemTime::now(),
            snapshot,
            client_ip,
            user_agent,
            key: None,
            model: None,
            route: None,
            provider: None,
            upstream_model: None,
            stream: false,
            attempts: 0,
            dropped: Vec::new(),
            usage: None,
            upstream_started: None,
            upstream_elapsed: None,
            ttfb: None,
            request_bytes: None,
            response_bytes: None,
            finish_reason: None,
        }
    }

    /// The call-log record of this call as it ended with `status` (and `error`, if it failed).
    pub fn to_record(&self, status: u16, error: Option<(&'static str, String)>) -> CallRecord {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let started_at_ms = self
            .started_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let (error_kind, error_message) = match error {
            Some((kind, message)) => (
                Some(kind.to_string()),
                Some(truncate(&message, 500).to_string()),
            ),
            None => (None, None),
        };
        CallRecord {
            request_id: self.request_id.clone(),
            started_at: started_at_ms,
            key_name: self.key.as_ref().map(|k| k.name.to_string()),
            inbound_api: self.api.label().to_string(),
            model: self.model.clone(),
            route: self.route.as_ref().map(|r| r.to_string()),
            provider: self.provider.as_ref().map(|p| p.to_string()),
            upstream_model: self.upstream_model.clone(),
            status,
            error_kind,
            error_message,
            stream: self.stream,
            latency_ms: ms(self.started.elapsed()),
            ttfb_ms: self.ttfb.map(ms),
            upstream_ms: self.upstream_elapsed.map(ms),
            prompt_tokens: self.usage.map(|u| u.input_tokens),
            completion_tokens: self.usage.map(|u| u.output_tokens),
            cached_tokens: self.usage.map(|u| u.cached_input_tokens),
            attempts: self.attempts,
            dropped_fields: (!self.dropped.is_empty()).then(|| self.dropped.join(", ")),
            client_ip: self.client_ip.map(|ip| ip.to_string()),
            user_agent: self.user_agent.clone(),
            finish_reason: self.finish_reason.clone(),
            request_bytes: self.request_bytes.map(|n| n as u64),
            response_bytes: self.response_bytes.map(|n| n as u64),
            config_generation: Some(self.snapshot.generation),
        }
    }

    /// The error description for the call log.
    pub fn describe_error(error: &GatewayError) -> (&'static str, String) {
        (error.classify().label, error.client_message())
    }
}

/// Why generation stopped, in `api`'s words (for the call log).
pub fn finish_label(api: InboundApi, reason: &portcullis_llm::FinishReason) -> String {
    use portcullis_llm::FinishReason as F;
    let anthropic = api == InboundApi::AnthropicMessages;
    match (reason, anthropic) {
        (F::EndTurn, true) => "end_turn",
        (F::EndTurn | F::StopSequence { .. }, false) => "stop",
        (F::StopSequence { .. }, true) => "stop_sequence",
        (F::Length, true) => "max_tokens",
        (F::Length, false) => "length",
        (F::ToolCalls, true) => "tool_use",
        (F::ToolCalls, false) => "tool_calls",
        (F::ContentFilter, true) => "refusal",
        (F::ContentFilter, false) => "content_filter",
        (F::Other { value }, _) => value,
    }
    .to_string()
}

/// Client-supplied ids are kept if they are short and printable, so they can be correlated
/// across systems without letting a caller inject log lines.
fn is_acceptable_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A new request id: a random per-process prefix and a counter, 32 hex characters. Unique
/// across nodes (random prefix) without a random draw per request.
pub fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let prefix = *PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 8];
        // The process start time and id are a fallback seed if the system RNG is unavailable.
        if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            bytes = (u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or(0)
                ^ u64::from(std::process::id()))
            .to_le_bytes();
        }
        u64::from_le_bytes(bytes)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{n:016x}")
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_unique_and_fixed_length() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn client_request_ids_are_filtered() {
        assert!(is_acceptable_request_id("abc-123_x.y:z"));
        assert!(!is_acceptable_request_id("abc\ninjected"));
        assert!(!is_acceptable_request_id(&"a".repeat(200)));
        assert!(!is_acceptable_request_id(""));
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
