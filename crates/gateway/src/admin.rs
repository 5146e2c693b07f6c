//! The admin API (`/admin/v1`). For now: reading the call log (`GET /admin/v1/calls` with the
//! query parameters of [`CallQuery`]: `limit`, `status` (`404`, `5xx`, `error`), `model`, `route`,
//! `key_name`, `provider`, `since`, `before` (unix ms), `request_id`). Authenticated with the admin
//! token from the configuration; without one configured the admin API does not exist (404).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use portcullis_store::CallQuery;
use serde_json::json;

use crate::app::App;

/// `GET /admin/v1/calls`: recent calls, newest first.
pub(crate) async fn calls(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<CallQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Some(refusal) = check_admin(&app, &headers) {
        return refusal;
    }
    let Query(query) = match query {
        Ok(q) => q,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let Some(store) = app.store() else {
        return error(StatusCode::NOT_FOUND, "the call log is disabled");
    };
    match store.recent_calls(&query).await {
        Ok(records) => Json(json!({ "data": records })).into_response(),
        Err(e) => {
            tracing::error!("Reading the call log failed: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reading the call log failed",
            )
        }
    }
}

/// The refusal for a request without the admin token, `None` if it has it (compared by hash, so
/// the comparison time says nothing about the token).
fn check_admin(app: &App, headers: &HeaderMap) -> Option<Response> {
    let snapshot = app.snapshot();
    let Some(expected) = snapshot.admin_token_hash else {
        return Some(error(
            StatusCode::NOT_FOUND,
            "the admin API is disabled (no admin.token)",
        ));
    };
    match portcullis_policy::authn::presented_key(headers) {
        None => Some(error(StatusCode::UNAUTHORIZED, "missing admin token")),
        Some(token) if portcullis_config::hash_api_key(token) == expected => None,
        Some(_) => Some(error(StatusCode::UNAUTHORIZED, "invalid admin token")),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "message": message } }))).into_response()
}
