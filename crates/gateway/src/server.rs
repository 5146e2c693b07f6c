//! The HTTP server: routes, transport layers, and serving until shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use futures_util::FutureExt;
use http::{HeaderValue, StatusCode, header};
use tokio::net::TcpListener;

use crate::app::App;
use crate::{admin, chat, embeddings, models, ops};

/// Every route the gateway serves.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(chat::openai_chat))
        .route("/v1/messages", post(chat::anthropic_messages))
        .route("/v1/embeddings", post(embeddings::openai_embeddings))
        .route("/v1/models", get(models::list))
        // Model names may contain '/' (`openai/gpt-4o`).
        .route("/v1/models/{*id}", get(models::retrieve))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/admin/v1/calls", get(admin::calls))
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(catch_panic))
        .with_state(app)
}

/// Serves `router(app)` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish (the caller bounds how long it waits).
pub async fn serve(
    app: App,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = listener.tap_io(|stream| {
        // Small request/response bodies: Nagle's delay would dominate latency.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("Could not set TCP_NODELAY: {e}");
        }
    });
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// A panic in a handler becomes a 500 for that request instead of a dropped connection.
async fn catch_panic(request: Request, next: Next) -> Response {
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(
                "A request handler panicked; answered 500. This is a bug: please report it."
            );
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                "server_error",
            )
        }
    }
}

async fn unknown_endpoint(request: Request) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        &format!(
            "unknown endpoint {} {}",
            request.method(),
            request.uri().path()
        ),
        "not_found_error",
    )
}

async fn method_not_allowed(request: Request) -> Response {
    json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!(
            "method {} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
        "invalid_request_error",
    )
}

/// An error outside any inbound API (unknown path, wrong method, panic): OpenAI's shape, which
/// both SDK families at least parse as an error.
fn json_error(status: StatusCode, message: &str, kind: &str) -> Response {
    let body = serde_json::json!({
        "error": { "message": message, "type": kind, "param": null, "code": null }
    });
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.to_string(),
    )
        .into_response()
}
