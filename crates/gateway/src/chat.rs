//! Chat calls: OpenAI `POST /v1/chat/completions` and Anthropic `POST /v1/messages`.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, header};
use portcullis_llm::{ChatResponse, ErrorKind, Usage, WireApi};
use portcullis_providers::{Operation, Provider};

use crate::app::App;
use crate::call::{ChatCall, Plan};
use crate::chain;
use crate::context::{InboundApi, RequestContext};
use crate::error::{GatewayError, UpstreamFailure};
use crate::handler::{Reply, serve_call};
use crate::streaming::ChatStream;
use crate::upstream::{self, Answered};

/// The largest non-streamed upstream response accepted.
const MAX_RESPONSE_BODY: usize = 64 * 1024 * 1024;

pub(crate) async fn openai_chat(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    serve_call(app, InboundApi::OpenAiChat, peer, request, run).await
}

pub(crate) async fn anthropic_messages(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    serve_call(app, InboundApi::AnthropicMessages, peer, request, run).await
}

/// The request phase (the policy chain), the upstream attempts, and the response phase.
async fn run(ctx: &mut RequestContext, request: Request) -> Result<Reply, GatewayError> {
    let (parts, body) = request.into_parts();
    chain::authenticate(ctx, &parts.headers)?;
    let bytes = chain::read_body(ctx, &parts.headers, body).await?;
    let mut call = ChatCall::parse(ctx.api, &bytes)?;
    ctx.stream = call.stream;
    ctx.request_bytes = Some(bytes.len());
    let snapshot = ctx.snapshot.clone();
    let model = call.model.to_string();
    let resolved = chain::route(ctx, &snapshot, &model)?;
    chain::authorize(ctx, &model)?;
    let mode = resolved.route.translation;
    let extra_headers = forwarded_headers(ctx.api, &parts.headers);

    let op = Operation::Chat {
        stream: call.stream,
    };
    let answered = upstream::attempt(ctx, resolved, op, &extra_headers, |provider, model| {
        call.upstream_body(provider, model, mode)
    })
    .await?;
    if call.stream {
        stream_reply(ctx, &call, answered)
    } else {
        complete_reply(ctx, &call, answered).await
    }
}

/// Caller headers that are forwarded to a provider of the same API.
fn forwarded_headers(api: InboundApi, headers: &http::HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    let mut forwarded = Vec::new();
    if api == InboundApi::AnthropicMessages {
        // Beta features are opt-in per request; the provider must see the opt-in.
        if let Some(beta) = headers.get("anthropic-beta") {
            forwarded.push((HeaderName::from_static("anthropic-beta"), beta.clone()));
        }
    }
    forwarded
}

/// Response phase for a non-streamed answer.
async fn complete_reply(
    ctx: &mut RequestContext,
    call: &ChatCall<'_>,
    answered: Answered<Plan>,
) -> Result<Reply, GatewayError> {
    let Answered {
        response,
        provider,
        upstream_model,
        plan,
    } = answered;
    let bytes = upstream::read_limited(response.into_body(), MAX_RESPONSE_BODY, provider.timeout())
        .await
        .map_err(|e| upstream::read_error(&provider, e))?;
    ctx.upstream_elapsed = ctx.upstream_started.map(|s: Instant| s.elapsed());
    let body = match plan {
        Plan::Passthrough => {
            ctx.usage = passthrough_usage(&provider, call.wire, &bytes)?;
            bytes
        }
        Plan::Translate => {
            let mut response = parse_response(&provider, &bytes, &upstream_model)?;
            if response.created == 0 {
                // Gemini sends no timestamp; the caller's API has one.
                response.created = unix_now();
            }
            ctx.usage = response.usage;
            ctx.finish_reason = response
                .choices
                .first()
                .and_then(|c| c.finish_reason.as_ref())
                .map(|r| crate::context::finish_label(call.api, r));
            Bytes::from(render_response(call.api, &response, &upstream_model))
        }
    };
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(Reply::Complete(response))
}

/// The usage of a forwarded response; fails if the body is not JSON at all (a proxy error page,
/// a cut body), which the caller's SDK could not parse either.
fn passthrough_usage(
    provider: &Provider,
    wire: WireApi,
    body: &[u8],
) -> Result<Option<Usage>, GatewayError> {
    let usage = match wire {
        WireApi::AnthropicMessages => portcullis_llm::anthropic::extract_usage(body),
        _ => portcullis_llm::openai::extract_usage(body),
    };
    if usage.is_none() && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
        return Err(GatewayError::UpstreamMalformed {
            provider: provider.name().to_string(),
            detail: "the response body is not JSON".to_string(),
        });
    }
    Ok(usage)
}

fn parse_response(
    provider: &Provider,
    body: &[u8],
    upstream_model: &str,
) -> Result<ChatResponse, GatewayError> {
    let parsed = match provider.wire() {
        WireApi::OpenAiChat => portcullis_llm::openai::parse_chat_response(body),
        WireApi::AnthropicMessages => portcullis_llm::anthropic::parse_messages_response(body),
        WireApi::GeminiGenerate => {
            portcullis_llm::gemini::parse_generate_response(body, upstream_model)
        }
    };
    parsed.map_err(|error| {
        if error.kind == ErrorKind::Upstream {
            GatewayError::UpstreamMalformed {
                provider: provider.name().to_string(),
                detail: error.message,
            }
        } else {
            // A success status whose body is the provider's error object: treat it as the
            // error it says it is.
            GatewayError::UpstreamStatus(Box::new(UpstreamFailure {
                provider: provider.name().to_string(),
                error,
                retry_after: None,
            }))
        }
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

fn render_response(api: InboundApi, response: &ChatResponse, upstream_model: &str) -> Vec<u8> {
    // The model the upstream says answered; the caller can see which model actually served it.
    let model = if response.model.is_empty() {
        upstream_model
    } else {
        &response.model
    };
    match api {
        InboundApi::AnthropicMessages => {
            portcullis_llm::anthropic::render_messages_response(response, model)
        }
        _ => portcullis_llm::openai::render_chat_response(response, model),
    }
}

/// Response phase for a stream: headers now, the body as the upstream produces it.
fn stream_reply(
    ctx: &mut RequestContext,
    call: &ChatCall<'_>,
    answered: Answered<Plan>,
) -> Result<Reply, GatewayError> {
    let Answered {
        response,
        provider,
        upstream_model,
        plan,
    } = answered;
    let deadline = ctx.started + ctx.snapshot.config.server.request_timeout;
    let stream = ChatStream::new(
        response.into_body(),
        call.api,
        provider.wire(),
        plan,
        call.include_usage,
        &upstream_model,
        provider.timeout(),
        deadline.into(),
    );
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(Reply::Stream(response, Box::new(stream)))
}
