//! The policy chain: the one place that decides in which order the request policies run.
//!
//! Each phase is a plain function over the per-request context that either lets the call
//! continue (`Ok`) or ends it with an error response (`Err`). The order, and why:
//!
//! 1. **authenticate** — first, so that nothing else (not even reading the body) is done for a
//!    caller without a valid key, and nothing about models or routes leaks to anonymous callers.
//! 2. **read the body** within the size limit — after authentication, so anonymous clients cannot
//!    make the gateway buffer large bodies.
//! 3. **validate** the body as JSON and read the fields routing needs (`model`, `stream`).
//! 4. **route** the model name to a route (unknown model → 404).
//! 5. **authorize** — the key's model scope. (Later: subscriptions, tenants.)
//!
//! Later policies slot in after 5, in this order: rate limits, then budget reservation (a
//! rejected request must not hold a reservation), then guards (PII masking must run before the
//! cache key, the call log and the provider see the prompt), then the cache lookup.
//!
//! The response phase runs when the upstream answered ([`crate::chat`]); the stream phase runs
//! per event ([`crate::streaming`]).

use std::time::SystemTime;

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::context::RequestContext;
use crate::error::GatewayError;
use crate::snapshot::Resolved;

/// Phase 1: who is calling. Sets `ctx.key`.
pub(crate) fn authenticate(
    ctx: &mut RequestContext,
    headers: &HeaderMap,
) -> Result<(), GatewayError> {
    let key = ctx.snapshot.keys.authenticate(headers, SystemTime::now())?;
    ctx.key = Some(key);
    Ok(())
}

/// Phase 2: the body, at most `server.max_body_size` bytes (413 beyond; a declared
/// `Content-Length` over the limit is refused before reading anything).
pub(crate) async fn read_body(
    ctx: &RequestContext,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, GatewayError> {
    let limit = ctx.snapshot.config.server.max_body_size;
    let too_large = GatewayError::BodyTooLarge { limit };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(too_large);
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large),
        Err(e) => Err(GatewayError::BodyRead(e.to_string())),
    }
}

/// Phase 4: the route for `model`. Sets `ctx.model` and `ctx.route`.
pub(crate) fn route<'s>(
    ctx: &mut RequestContext,
    snapshot: &'s crate::snapshot::Snapshot,
    model: &'s str,
) -> Result<Resolved<'s>, GatewayError> {
    ctx.model = Some(model.to_string());
    let resolved = snapshot
        .routes
        .resolve(model)
        .ok_or_else(|| GatewayError::UnknownModel(model.to_string()))?;
    ctx.route = Some(resolved.route.name.clone());
    Ok(resolved)
}

/// Phase 5: may this caller use this model.
pub(crate) fn authorize(ctx: &RequestContext, model: &str) -> Result<(), GatewayError> {
    match &ctx.key {
        Some(key) if key.allows_model(model) => Ok(()),
        Some(key) => Err(GatewayError::ModelNotAllowed {
            key: key.name.to_string(),
            model: model.to_string(),
        }),
        // Unreachable after authentication; refusing is the safe answer if it ever happens.
        None => Err(GatewayError::Internal(
            "authorization ran before authentication".to_string(),
        )),
    }
}
