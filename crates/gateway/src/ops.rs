//! Operations endpoints: liveness, readiness and Prometheus metrics. No authentication: they
//! carry no model access and no call data.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

use crate::app::App;

/// `GET /healthz`: the process is up and serving HTTP.
pub(crate) async fn healthz() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#.to_string())
}

/// `GET /readyz`: the gateway accepts calls (a configuration is loaded and it is not draining
/// for shutdown). Load balancers should route on this one.
pub(crate) async fn readyz(State(app): State<App>) -> Response {
    if app.is_draining() {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"status":"draining"}"#.to_string(),
        );
    }
    let generation = app.snapshot().generation;
    json(
        StatusCode::OK,
        format!(r#"{{"status":"ready","config_generation":{generation}}}"#),
    )
}

/// `GET /metrics`: Prometheus text exposition.
pub(crate) async fn metrics(State(app): State<App>) -> Response {
    match app.metrics() {
        Some(handle) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are disabled\n").into_response(),
    }
}

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
