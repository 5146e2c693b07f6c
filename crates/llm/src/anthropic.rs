//! Anthropic Messages: what Claude's API and the official Anthropic SDKs speak.
//!
//! * Inbound: [`parse_messages_request`], [`render_messages_response`],
//!   [`MessagesStreamEncoder`], [`render_error`] (with [`status_for`]).
//! * Outbound: [`build_messages_request`], [`parse_messages_response`],
//!   [`MessagesStreamDecoder`], [`parse_error`].
//! * Fast path (same format in and out): [`extract_usage`], [`inspect_event`].

mod build;
mod decode;
mod encode;
mod fast;
mod request;
mod response;
mod wire;

pub use build::build_messages_request;
pub use decode::MessagesStreamDecoder;
pub use encode::MessagesStreamEncoder;
pub use fast::{EventInfo, inspect_event};
pub use request::parse_messages_request;
pub use response::{extract_usage, parse_messages_response, render_messages_response};

use crate::canonical::ErrorKind;
use crate::error::UpstreamError;

/// Renders an error for an Anthropic caller: `{"type": "error", "error": {"type", "message"}}`
/// with Anthropic's documented type names: `invalid_request_error`, `authentication_error`,
/// `permission_error`, `not_found_error`, `request_too_large`, `rate_limit_error`,
/// `overloaded_error`, `timeout_error`, and `api_error` for upstream and internal failures.
/// Send it with [`status_for`]`(kind)`.
pub fn render_error(kind: ErrorKind, message: &str) -> Vec<u8> {
    crate::json::to_vec(&encode::ErrorEvent {
        kind: "error",
        error: encode::ErrorBody {
            kind: wire::error_type(kind),
            message,
        },
    })
}

/// The HTTP status Anthropic documents for each error type: 400, 401, 403, 404, 413, 429,
/// 529 (overloaded), 504 (timeout), 500 (internal); an upstream failure seen by the gateway is
/// 502. This differs from a generic mapping mainly in using 529 for `overloaded_error`, which
/// the Anthropic SDKs retry.
pub fn status_for(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::InvalidRequest => 400,
        ErrorKind::Authentication => 401,
        ErrorKind::PermissionDenied => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::RequestTooLarge => 413,
        ErrorKind::RateLimited => 429,
        ErrorKind::Overloaded => 529,
        ErrorKind::Timeout => 504,
        ErrorKind::Upstream => 502,
        ErrorKind::Internal => 500,
    }
}

/// Parses an error answer of the Anthropic API (`{"type": "error", "error": {"type",
/// "message"}}`, kind from the error type, e.g. `overloaded_error` → overloaded) or anything
/// else an upstream or a proxy in front of it may send (plain text, HTML, nothing: a message
/// with the status and an excerpt, kind from the status).
pub fn parse_error(status: u16, body: &[u8]) -> UpstreamError {
    crate::upstream_error::parse(status, body, "Anthropic", wire::kind_from_type)
}

#[cfg(test)]
mod tests;
