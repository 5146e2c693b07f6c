//! `GET /v1/models` and `GET /v1/models/{id}`: the models the caller's key may use, in the
//! OpenAI list format, or in the Anthropic format when the request carries `anthropic-version`
//! (as the Anthropic SDKs always do).
//!
//! Exact route names are listed; pattern routes (`openai/*`) cannot be enumerated and are not
//! listed, but `GET /v1/models/{id}` answers for any name a pattern matches.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::response::Response;
use http::{HeaderValue, header};
use portcullis_config::ModelPattern;
use serde_json::{Value, json};

use crate::app::App;
use crate::chain;
use crate::context::{InboundApi, RequestContext};
use crate::error::GatewayError;
use crate::handler::{Reply, serve_call};

fn api_of(request: &Request) -> InboundApi {
    if request.headers().contains_key("anthropic-version") {
        InboundApi::AnthropicModels
    } else {
        InboundApi::OpenAiModels
    }
}

pub(crate) async fn list(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let api = api_of(&request);
    let created = app.started_unix();
    serve_call(
        app,
        api,
        peer,
        request,
        async |ctx: &mut RequestContext, request: Request| {
            chain::authenticate(ctx, request.headers())?;
            let names: Vec<&str> = ctx
                .snapshot
                .routes
                .iter()
                .filter_map(|route| match &route.pattern {
                    ModelPattern::Exact(name) => Some(name.as_str()),
                    ModelPattern::Prefix(_) => None,
                })
                .filter(|name| ctx.key.as_ref().is_some_and(|k| k.allows_model(name)))
                .collect();
            let body = match ctx.api {
                InboundApi::AnthropicModels => {
                    let data: Vec<Value> =
                        names.iter().map(|n| anthropic_model(n, created)).collect();
                    json!({
                        "data": data,
                        "has_more": false,
                        "first_id": names.first(),
                        "last_id": names.last(),
                    })
                }
                _ => {
                    let data: Vec<Value> = names.iter().map(|n| openai_model(n, created)).collect();
                    json!({ "object": "list", "data": data })
                }
            };
            Ok(Reply::Complete(json_response(&body)))
        },
    )
    .await
}

pub(crate) async fn retrieve(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let api = api_of(&request);
    let created = app.started_unix();
    serve_call(
        app,
        api,
        peer,
        request,
        async move |ctx: &mut RequestContext, request: Request| {
            chain::authenticate(ctx, request.headers())?;
            let snapshot = ctx.snapshot.clone();
            chain::route(ctx, &snapshot, &id)?;
            chain::authorize(ctx, &id)
                // A model the key may not use is, to that key, a model that does not exist.
                .map_err(|_| GatewayError::UnknownModel(id.clone()))?;
            let body = match ctx.api {
                InboundApi::AnthropicModels => anthropic_model(&id, created),
                _ => openai_model(&id, created),
            };
            Ok(Reply::Complete(json_response(&body)))
        },
    )
    .await
}

fn openai_model(id: &str, created: i64) -> Value {
    json!({ "id": id, "object": "model", "created": created, "owned_by": "portcullis" })
}

fn anthropic_model(id: &str, created: i64) -> Value {
    let created_at = rfc3339_utc(created);
    json!({ "type": "model", "id": id, "display_name": id, "created_at": created_at })
}

/// Unix seconds as an RFC 3339 UTC timestamp (civil-from-days; no date crate needed for this).
fn rfc3339_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
}

fn json_response(body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_in_utc() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_735_689_600), "2025-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
    }
}
