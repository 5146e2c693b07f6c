//! OpenAI Chat Completions and Embeddings: what OpenAI, Azure OpenAI and every
//! OpenAI-compatible server (vLLM, Ollama, Groq, Mistral, DeepSeek, ...) speak.
//!
//! * Inbound: [`parse_chat_request`], [`render_chat_response`], [`ChatStreamEncoder`],
//!   [`parse_embeddings_request`], [`render_embeddings_response`], [`render_error`].
//! * Outbound: [`build_chat_request`], [`parse_chat_response`], [`ChatStreamDecoder`],
//!   [`build_embeddings_request`], [`parse_embeddings_response`], [`parse_error`].
//! * Fast path (same format in and out, body forwarded untouched): [`extract_usage`],
//!   [`inspect_chunk`].

mod build;
mod decode;
mod embeddings;
mod encode;
mod fast;
mod request;
mod response;
mod wire;

pub use build::{MaxTokensField, OpenAiBuildOptions, build_chat_request};
pub use decode::ChatStreamDecoder;
pub use embeddings::{
    build_embeddings_request, parse_embeddings_request, parse_embeddings_response,
    render_embeddings_response,
};
pub use encode::ChatStreamEncoder;
pub use fast::{ChunkInfo, inspect_chunk};
pub use request::parse_chat_request;
pub use response::{extract_usage, parse_chat_response, render_chat_response};

use crate::canonical::ErrorKind;
use crate::error::UpstreamError;

/// Renders an error for an OpenAI caller: `{"error": {"message", "type", "param", "code"}}`.
///
/// `type` is OpenAI's name for `kind`: `invalid_request_error` (also for a request too large),
/// `authentication_error`, `permission_error`, `not_found_error`, `rate_limit_error`,
/// `service_unavailable_error` (overloaded) or `server_error` (timeouts, upstream and internal
/// failures). `param` and `code` are `null` when not given. The HTTP status is the caller's
/// choice (the official SDKs pick their exception class from it).
pub fn render_error(
    kind: ErrorKind,
    message: &str,
    param: Option<&str>,
    code: Option<&str>,
) -> Vec<u8> {
    crate::json::to_vec(&encode::ErrorChunk {
        error: encode::ErrorBody {
            message,
            kind: wire::error_type(kind),
            param,
            code,
        },
    })
}

/// Parses an error answer of an OpenAI, Azure OpenAI or OpenAI-compatible upstream.
///
/// Reads `{"error": {"message", "type", "param", "code"}}` (Azure's numeric or string codes
/// included) and the shapes compatible servers use (`{"error": "text"}`, `{"message": ..}`,
/// `{"detail": ..}`); a body that is none of those (plain text, an HTML page from a proxy,
/// nothing) gives a message with the status and an excerpt. The kind comes from the error
/// code when it names one (`rate_limit_exceeded`, `context_length_exceeded`, `model_not_found`,
/// ...), else from the status.
pub fn parse_error(status: u16, body: &[u8]) -> UpstreamError {
    crate::upstream_error::parse(
        status,
        body,
        "the OpenAI-compatible upstream",
        wire::kind_from_code,
    )
}

#[cfg(test)]
mod tests;
