//! The upstream attempt loop: a route's targets are candidates tried in order; a target that
//! fails in a way another might not (connection refused, timeout, 429, 5xx) passes the call to
//! the next one, as long as nothing was sent to the caller yet. Load balancing, retries with
//! backoff and circuit breaking will change the order and length of the candidate list, not
//! this loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Response};
use http_body::Body as _;
use http_body_util::BodyExt;
use portcullis_llm::{UpstreamError, WireApi};
use portcullis_providers::{Operation, Provider, SendError, UpstreamBody};
use portcullis_telemetry::metrics;

use crate::context::RequestContext;
use crate::error::{GatewayError, UpstreamFailure};
use crate::snapshot::Resolved;

/// A target that answered with a success status.
pub(crate) struct Answered<P> {
    pub response: Response<UpstreamBody>,
    pub provider: Arc<Provider>,
    pub upstream_model: String,
    /// What the body builder returned besides the body (how it was made).
    pub plan: P,
}

/// Tries the route's targets in order until one answers with a success status.
///
/// `build` turns the call into the body for one target (or refuses that target: strict
/// translation, a request the target's API cannot express). Refusals and retryable failures move
/// on to the next target; the last failure is the call's error.
pub(crate) async fn attempt<P>(
    ctx: &mut RequestContext,
    resolved: Resolved<'_>,
    op: Operation,
    extra_headers: &[(HeaderName, HeaderValue)],
    mut build: impl FnMut(&Provider, &str) -> Result<(Bytes, P, Vec<String>), GatewayError>,
) -> Result<Answered<P>, GatewayError> {
    let requested = ctx.model.clone().unwrap_or_default();
    let mut last_error = None;
    for target in &resolved.route.targets {
        let provider = &target.provider;
        let upstream_model = target.upstream_model(&requested, resolved.captured);
        ctx.provider = Some(provider.name_arc());
        ctx.upstream_model = Some(upstream_model.clone());
        if !provider.supports(op) {
            last_error.get_or_insert(GatewayError::UnsupportedOperation {
                model: requested.clone(),
                operation: match op {
                    Operation::Chat { .. } => "chat",
                    Operation::Embeddings => "embeddings",
                },
            });
            continue;
        }
        let (body, plan, dropped) = match build(provider, &upstream_model) {
            Ok(built) => built,
            Err(
                e @ (GatewayError::StrictTranslation { .. } | GatewayError::NotTranslatable(_)),
            ) => {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        ctx.attempts += 1;
        let started = Instant::now();
        ctx.upstream_started = Some(started);
        let error = match provider
            .send(op, &upstream_model, body, extra_headers)
            .await
        {
            Ok(response) if response.status().is_success() => {
                ctx.dropped = dropped;
                return Ok(Answered {
                    response,
                    provider: provider.clone(),
                    upstream_model,
                    plan,
                });
            }
            Ok(response) => error_from_response(provider, response).await,
            Err(e) => from_send_error(e),
        };
        ctx.upstream_elapsed = Some(started.elapsed());
        let class = error.classify();
        metrics::record_upstream_error(provider.name(), class.label);
        if !class.retryable {
            return Err(error);
        }
        tracing::debug!(
            request_id = %ctx.request_id, provider = provider.name(), kind = class.label,
            "Target failed, trying the next one if any: {error}"
        );
        last_error = Some(error);
    }
    Err(last_error.unwrap_or_else(|| {
        GatewayError::Internal(format!("route {} has no targets", resolved.route.name))
    }))
}

/// The largest upstream error body read; the rest is ignored.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Reads an error response's body (bounded in size and time) and parses it in the provider's
/// error format.
async fn error_from_response(
    provider: &Provider,
    response: Response<UpstreamBody>,
) -> GatewayError {
    let status = response.status().as_u16();
    let retry_after = response.headers().get(http::header::RETRY_AFTER).cloned();
    let body = read_limited(response.into_body(), MAX_ERROR_BODY, provider.timeout())
        .await
        .unwrap_or_default();
    let error = parse_error(provider.wire(), status, &body);
    GatewayError::UpstreamStatus(Box::new(UpstreamFailure {
        provider: provider.name().to_string(),
        error,
        retry_after,
    }))
}

/// An upstream error body in the given API's format.
pub(crate) fn parse_error(wire: WireApi, status: u16, body: &[u8]) -> UpstreamError {
    match wire {
        WireApi::OpenAiChat => portcullis_llm::openai::parse_error(status, body),
        WireApi::AnthropicMessages => portcullis_llm::anthropic::parse_error(status, body),
        WireApi::GeminiGenerate => portcullis_llm::gemini::parse_error(status, body),
    }
}

pub(crate) fn from_send_error(error: SendError) -> GatewayError {
    match error {
        SendError::Connect { provider, detail } | SendError::Io { provider, detail } => {
            GatewayError::UpstreamConnect { provider, detail }
        }
        SendError::Timeout { provider, timeout } => {
            GatewayError::UpstreamTimeout { provider, timeout }
        }
        SendError::Unsupported {
            provider,
            kind,
            operation,
        } => GatewayError::Internal(format!(
            "provider {provider} ({kind}) was asked for {operation}"
        )),
        SendError::InvalidRequest { provider, detail } => GatewayError::NotTranslatable(
            portcullis_llm::ConvertError::new(format!("provider {provider}: {detail}"), None),
        ),
    }
}

/// Why a body could not be read in full.
pub(crate) enum ReadError {
    TooLarge,
    Timeout,
    Io(String),
}

/// Reads a whole body, at most `limit` bytes, within `timeout`.
pub(crate) async fn read_limited(
    body: UpstreamBody,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ReadError> {
    let read = async {
        let mut body = body;
        let mut buffer = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ReadError::Io(e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                if buffer.len() + data.len() > limit {
                    return Err(ReadError::TooLarge);
                }
                if buffer.is_empty() && body.is_end_stream() {
                    // One-frame bodies (the common case) need no copy.
                    return Ok(data);
                }
                buffer.extend_from_slice(&data);
            }
        }
        Ok(Bytes::from(buffer))
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(ReadError::Timeout))
}

/// The error for a success response whose body could not be read.
pub(crate) fn read_error(provider: &Provider, error: ReadError) -> GatewayError {
    let provider_name = provider.name().to_string();
    match error {
        ReadError::Timeout => GatewayError::UpstreamTimeout {
            provider: provider_name,
            timeout: provider.timeout(),
        },
        ReadError::TooLarge => GatewayError::UpstreamMalformed {
            provider: provider_name,
            detail: "the response body is larger than the gateway accepts".to_string(),
        },
        ReadError::Io(detail) => GatewayError::UpstreamMalformed {
            provider: provider_name,
            detail: format!("the response was cut short: {detail}"),
        },
    }
}
