//! Errors of translation, and upstream errors parsed into one shape.

use crate::canonical::ErrorKind;

/// The caller's request is invalid for the API it was sent to (renders as a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RequestError {
    /// A sentence a person can act on, e.g. `messages[1].content: expected a string or an array`.
    pub message: String,
    /// The offending field as a JSON path in the caller's API (`messages[1].content`), if any.
    pub param: Option<String>,
}

impl RequestError {
    pub fn new(message: impl Into<String>, param: Option<String>) -> Self {
        RequestError {
            message: message.into(),
            param,
        }
    }
}

/// The request cannot be expressed for the chosen upstream API at all (renders as a 400), for
/// example pre-tokenised embeddings input sent to Gemini. Fields that can simply be left out are
/// not errors: they are reported in `Converted::dropped`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConvertError {
    pub message: String,
    pub param: Option<String>,
}

impl ConvertError {
    pub fn new(message: impl Into<String>, param: Option<String>) -> Self {
        ConvertError {
            message: message.into(),
            param,
        }
    }
}

/// An error reported by an upstream provider (an error status with its body, an unparseable
/// success body, or an in-stream error), normalised across providers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upstream error {status} ({kind:?}): {message}")]
pub struct UpstreamError {
    /// The upstream HTTP status (200 when a success body could not be parsed).
    pub status: u16,
    pub kind: ErrorKind,
    /// The provider's own message, or a description of what was wrong with its answer.
    pub message: String,
    /// The provider's error type/code string, verbatim (`rate_limit_exceeded`,
    /// `overloaded_error`, `RESOURCE_EXHAUSTED`...).
    pub code: Option<String>,
    /// The offending parameter, when the provider names one.
    pub param: Option<String>,
}

impl UpstreamError {
    /// A success status whose body was not what the API promises.
    pub fn malformed(what: impl Into<String>) -> Self {
        UpstreamError {
            status: 200,
            kind: ErrorKind::Upstream,
            message: what.into(),
            code: None,
            param: None,
        }
    }
}

impl ErrorKind {
    /// The kind an upstream status code signals when the body says nothing better.
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            400 | 422 => ErrorKind::InvalidRequest,
            401 => ErrorKind::Authentication,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            413 => ErrorKind::RequestTooLarge,
            429 => ErrorKind::RateLimited,
            503 | 529 => ErrorKind::Overloaded,
            _ => ErrorKind::Upstream,
        }
    }
}
