//! What every call handler shares: the context, the overall time limit, the response headers,
//! and ending the call exactly once.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::HeaderValue;

use crate::app::App;
use crate::context::{InboundApi, RequestContext};
use crate::error::GatewayError;
use crate::streaming::{CallGuard, ChatStream};

/// What a call's pipeline produced.
pub(crate) enum Reply {
    Complete(Response),
    /// Headers are ready; the body is the stream (it gets the call guard before leaving).
    Stream(Response, Box<ChatStream>),
}

/// Runs `pipeline` for one call within `server.request_timeout`, renders its error in the
/// caller's API format if it fails, adds the common headers, and ends the call (for streams,
/// the stream ends it).
pub(crate) async fn serve_call<F>(
    app: App,
    api: InboundApi,
    peer: SocketAddr,
    request: Request,
    pipeline: F,
) -> Response
where
    F: AsyncFnOnce(&mut RequestContext, Request) -> Result<Reply, GatewayError>,
{
    let inflight = app.enter(api);
    let mut ctx = RequestContext::new(api, app.snapshot(), request.headers(), Some(peer.ip()));
    let limit = ctx.snapshot.config.server.request_timeout;
    let outcome = tokio::time::timeout(limit, pipeline(&mut ctx, request))
        .await
        .unwrap_or(Err(GatewayError::RequestTimeout { limit }));
    match outcome {
        Ok(Reply::Complete(mut response)) => {
            decorate(&mut response, &ctx);
            ctx.ttfb = Some(ctx.started.elapsed());
            ctx.response_bytes = http_body::Body::size_hint(response.body())
                .exact()
                .and_then(|n| usize::try_from(n).ok());
            app.finish_call(&ctx, response.status().as_u16(), None);
            response
        }
        Ok(Reply::Stream(mut response, stream)) => {
            decorate(&mut response, &ctx);
            let guard = CallGuard::new(app, ctx, inflight);
            *response.body_mut() = Body::new(stream.with_guard(guard));
            response
        }
        Err(error) => {
            let mut response = error.render(api);
            decorate(&mut response, &ctx);
            app.finish_failed_call(&ctx, &error);
            response
        }
    }
}

/// Headers every call's response carries: the request id, and the fields lenient translation
/// left out.
pub(crate) fn decorate(response: &mut Response, ctx: &RequestContext) {
    let headers = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(&ctx.request_id) {
        headers.insert("x-request-id", id);
    }
    if !ctx.dropped.is_empty()
        && let Ok(value) = HeaderValue::from_str(&ctx.dropped.join(", "))
    {
        headers.insert("x-portcullis-dropped-fields", value);
    }
}
