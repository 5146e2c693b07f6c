//! Embeddings calls: OpenAI `POST /v1/embeddings`, served by OpenAI-format providers (forwarded)
//! and Gemini (translated).

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, header};
use portcullis_llm::raw::RawObject;
use portcullis_llm::{EmbeddingsRequest, EncodingFormat, RequestError, Usage, WireApi};
use portcullis_providers::{Operation, Provider};

use crate::app::App;
use crate::call::Plan;
use crate::chain;
use crate::context::{InboundApi, RequestContext};
use crate::error::GatewayError;
use crate::handler::{Reply, serve_call};
use crate::upstream;

const MAX_RESPONSE_BODY: usize = 256 * 1024 * 1024;

pub(crate) async fn openai_embeddings(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    serve_call(app, InboundApi::OpenAiEmbeddings, peer, request, run).await
}

async fn run(ctx: &mut RequestContext, request: Request) -> Result<Reply, GatewayError> {
    let (parts, body) = request.into_parts();
    chain::authenticate(ctx, &parts.headers)?;
    let bytes = chain::read_body(ctx, &parts.headers, body).await?;
    ctx.request_bytes = Some(bytes.len());
    let raw = RawObject::parse(&bytes).map_err(GatewayError::InvalidRequest)?;
    let model = raw
        .get_str("model")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            invalid(
                "`model` is required and must be a non-empty string",
                "model",
            )
        })?
        .into_owned();
    let snapshot = ctx.snapshot.clone();
    let resolved = chain::route(ctx, &snapshot, &model)?;
    chain::authorize(ctx, &model)?;

    let mut canonical: Option<EmbeddingsRequest> = None;
    let answered = upstream::attempt(
        ctx,
        resolved,
        Operation::Embeddings,
        &[],
        |provider, upstream_model| match provider.wire() {
            WireApi::OpenAiChat => {
                let body = if upstream_model == model {
                    bytes.clone()
                } else {
                    let mut patched = raw.clone();
                    let value = serde_json::value::to_raw_value(upstream_model)
                        .map_err(|e| GatewayError::Internal(e.to_string()))?;
                    patched.set("model", value);
                    Bytes::from(patched.to_vec())
                };
                Ok((body, Plan::Passthrough, Vec::new()))
            }
            _ => {
                if canonical.is_none() {
                    canonical = Some(
                        portcullis_llm::openai::parse_embeddings_request(&bytes)
                            .map_err(GatewayError::InvalidRequest)?,
                    );
                }
                let request = canonical
                    .as_ref()
                    .ok_or_else(|| GatewayError::Internal("embeddings request missing".into()))?;
                let converted =
                    portcullis_llm::gemini::build_embeddings_request(request, upstream_model)
                        .map_err(GatewayError::NotTranslatable)?;
                Ok((
                    Bytes::from(converted.body),
                    Plan::Translate,
                    converted.dropped,
                ))
            }
        },
    )
    .await?;

    let provider = answered.provider.clone();
    let body = upstream::read_limited(
        answered.response.into_body(),
        MAX_RESPONSE_BODY,
        provider.timeout(),
    )
    .await
    .map_err(|e| upstream::read_error(&provider, e))?;
    ctx.upstream_elapsed = ctx.upstream_started.map(|s| s.elapsed());
    let body = match answered.plan {
        Plan::Passthrough => {
            ctx.usage = Some(passthrough_usage(&provider, &body)?);
            body
        }
        Plan::Translate => {
            let format = canonical
                .as_ref()
                .map_or(EncodingFormat::Float, |r| r.encoding_format);
            let response =
                portcullis_llm::gemini::parse_embeddings_response(&body, &answered.upstream_model)
                    .map_err(|e| GatewayError::UpstreamMalformed {
                        provider: provider.name().to_string(),
                        detail: e.message,
                    })?;
            ctx.usage = response.usage;
            Bytes::from(portcullis_llm::openai::render_embeddings_response(
                &response,
                &answered.upstream_model,
                format,
            ))
        }
    };
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(Reply::Complete(response))
}

/// The usage of a forwarded embeddings response (prompt tokens only); fails if the body is not
/// an embeddings response at all.
fn passthrough_usage(provider: &Provider, body: &[u8]) -> Result<Usage, GatewayError> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        usage: Option<EmbeddingsUsage>,
    }
    #[derive(serde::Deserialize)]
    struct EmbeddingsUsage {
        #[serde(default)]
        prompt_tokens: u64,
    }
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| GatewayError::UpstreamMalformed {
            provider: provider.name().to_string(),
            detail: format!("the response body is not an embeddings response: {e}"),
        })?;
    Ok(Usage {
        input_tokens: envelope.usage.map_or(0, |u| u.prompt_tokens),
        ..Usage::default()
    })
}

fn invalid(message: &str, param: &str) -> GatewayError {
    GatewayError::InvalidRequest(RequestError::new(message, Some(param.to_string())))
}
