//! The admin API (`/admin/v1`). For now: reading the call log. Authenticated with the admin
//! token from the configuration; without one configured the admin API does not exist (404).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use portcullis_store::CallQuery;
use serde::Deserialize;
use serde_json::json;

use crate::app::App;

/// Query parameters of `GET /admin/v1/calls`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CallsParams {
    limit: Option<u32>,
    status: Option<u16>,
    model: Option<String>,
    key: Option<String>,
    provider: Option<String>,
    request_id: Option<String>,
    /// Unix milliseconds: only calls started at or after.
    since: Option<i64>,
    /// Unix milliseconds: only calls started before.
    before: Option<i64>,
}

/// `GET /admin/v1/calls`: recent calls, newest first.
pub(crate) async fn calls(
    State(app): State<App>,
    headers: HeaderMap,
    params: Result<Query<CallsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Err(response) = check_admin(&app, &headers) {
        return response;
    }
    let Query(params) = match params {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.body_text()),
    };
    let Some(store) = app.store() else {
        return error(StatusCode::NOT_FOUND, "the call log is disabled");
    };
    let query = CallQuery {
        limit: params.limit,
        status: params.status,
        model: params.model,
        key_name: params.key,
        provider: params.provider,
        request_id: params.request_id,
        since: params.since,
        before: params.before,
        ..CallQuery::default()
    };
    match store.recent_calls(&query).await {
        Ok(records) => Json(json!({ "data": records })).into_response(),
        Err(e) => {
            tracing::error!("Reading the call log failed: {e}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "reading the call log failed")
        }
    }
}

/// Admits the request if it carries the admin token (compared by hash, so the comparison time
/// says nothing about the token).
fn check_admin(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let snapshot = app.snapshot();
    let Some(expected) = snapshot.admin_token_hash else {
        return Err(error(StatusCode::NOT_FOUND, "the admin API is disabled (no admin.token)"));
    };
    let presented = portcullis_policy::authn::presented_key(headers)
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "missing admin token"))?;
    if portcullis_config::hash_api_key(presented) == expected {
        Ok(())
    } else {
        Err(error(StatusCode::UNAUTHORIZED, "invalid admin token"))
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "message": message } }))).into_response()
}
