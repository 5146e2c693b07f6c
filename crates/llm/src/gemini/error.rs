//! Gemini (Google API) error bodies, normalised into [`UpstreamError`].

use crate::canonical::ErrorKind;
use crate::error::UpstreamError;

use super::wire::ApiError;

/// Parses an error answer of the Gemini API.
///
/// Runs on every non-2xx upstream answer. Accepts Google's `{"error": {"code", "message",
/// "status", "details"}}`, the same wrapped in a one-element array (as the streaming endpoint
/// sends it without `alt=sse`), and anything else (HTML from a proxy, plain text, empty), which
/// becomes a message describing the body as for every other provider. Never fails.
///
/// The kind comes from Google's canonical `status` string when present (`INVALID_ARGUMENT`,
/// `FAILED_PRECONDITION`, `OUT_OF_RANGE` → invalid request; `UNAUTHENTICATED`;
/// `PERMISSION_DENIED`; `NOT_FOUND`; `RESOURCE_EXHAUSTED` → rate limited; `UNAVAILABLE` →
/// overloaded; `DEADLINE_EXCEEDED` → timeout; `INTERNAL`, `UNKNOWN` → upstream), else from the
/// HTTP status. An `API_KEY_INVALID` reason is an authentication error even though Google sends
/// it as a 400 `INVALID_ARGUMENT`. `code` is the `status` string verbatim; `param` is the first
/// field named in a `BadRequest` detail.
pub fn parse_error(status: u16, body: &[u8]) -> UpstreamError {
    match api_error(body) {
        Some(error) => from_api_error(status, error),
        None => crate::upstream_error::parse(status, body, "Gemini", kind_for_status),
    }
}

/// Reads Google's error object from a body, bare or array-wrapped; `None` if there is none.
pub(super) fn api_error(body: &[u8]) -> Option<ApiError> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Option<ApiError>,
    }
    // Decided by the first byte: serde would also read a one-element array as a struct.
    if body.trim_ascii_start().starts_with(b"[") {
        let list: Vec<Envelope> = serde_json::from_slice(body).ok()?;
        list.into_iter().find_map(|envelope| envelope.error)
    } else {
        serde_json::from_slice::<Envelope>(body).ok()?.error
    }
}

/// Builds the upstream error for a parsed Google error object received with HTTP `status`.
pub(super) fn from_api_error(status: u16, error: ApiError) -> UpstreamError {
    let http = if status >= 400 {
        status
    } else {
        error.code.unwrap_or(status)
    };
    let key_invalid = error
        .details
        .iter()
        .any(|d| d.reason.as_deref() == Some("API_KEY_INVALID"));
    let kind = if key_invalid {
        ErrorKind::Authentication
    } else {
        error
            .status
            .as_deref()
            .and_then(kind_for_status)
            .unwrap_or_else(|| ErrorKind::from_status(http))
    };
    let param = error
        .details
        .iter()
        .flat_map(|d| d.field_violations.iter())
        .find_map(|v| v.field.clone());
    let message = if error.message.is_empty() {
        format!("Gemini answered HTTP {http} without an error message")
    } else {
        error.message
    };
    UpstreamError {
        status,
        kind,
        message,
        code: error.status,
        param,
    }
}

/// The kind of a Google canonical error code (`google.rpc.Code` name).
///
/// `UNAVAILABLE` is Gemini's "model overloaded" answer (503); `RESOURCE_EXHAUSTED` covers both
/// rate limits and exhausted quota (429). `FAILED_PRECONDITION` (e.g. the free tier is not
/// available in the caller's region) and `UNIMPLEMENTED` cannot succeed on retry, so they are
/// invalid requests. `None` for unknown names, so the HTTP status decides.
pub(super) fn kind_for_status(status: &str) -> Option<ErrorKind> {
    Some(match status {
        "INVALID_ARGUMENT"
        | "FAILED_PRECONDITION"
        | "OUT_OF_RANGE"
        | "ALREADY_EXISTS"
        | "UNIMPLEMENTED" => ErrorKind::InvalidRequest,
        "UNAUTHENTICATED" => ErrorKind::Authentication,
        "PERMISSION_DENIED" => ErrorKind::PermissionDenied,
        "NOT_FOUND" => ErrorKind::NotFound,
        "RESOURCE_EXHAUSTED" => ErrorKind::RateLimited,
        "UNAVAILABLE" => ErrorKind::Overloaded,
        "DEADLINE_EXCEEDED" => ErrorKind::Timeout,
        "INTERNAL" | "UNKNOWN" | "DATA_LOSS" | "ABORTED" | "CANCELLED" => ErrorKind::Upstream,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_error_body_is_parsed() {
        let body = br#"{"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}"#;
        let err = parse_error(429, body);
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.status, 429);
        assert_eq!(err.code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(
            err.message,
            "Resource has been exhausted (e.g. check quota)."
        );
    }

    #[test]
    fn array_wrapped_error_is_parsed() {
        let body = br#"[{"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}]"#;
        let err = parse_error(503, body);
        assert_eq!(err.kind, ErrorKind::Overloaded);
        assert_eq!(err.code.as_deref(), Some("UNAVAILABLE"));
    }

    #[test]
    fn invalid_api_key_is_an_authentication_error() {
        let body = br#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                         "metadata": {"service": "generativelanguage.googleapis.com"}}]}}"#;
        let err = parse_error(400, body);
        assert_eq!(err.kind, ErrorKind::Authentication);
        assert_eq!(err.code.as_deref(), Some("INVALID_ARGUMENT"));
    }

    #[test]
    fn field_violation_becomes_the_param() {
        let body = br#"{"error": {"code": 400, "message": "Invalid value at 'generation_config.temperature'", "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                         "fieldViolations": [{"field": "generation_config.temperature", "description": "Invalid value"}]}]}}"#;
        let err = parse_error(400, body);
        assert_eq!(err.kind, ErrorKind::InvalidRequest);
        assert_eq!(err.param.as_deref(), Some("generation_config.temperature"));
    }

    #[test]
    fn unknown_status_falls_back_to_http_status() {
        let body = br#"{"error": {"code": 504, "message": "late", "status": "SOMETHING_NEW"}}"#;
        assert_eq!(parse_error(504, body).kind, ErrorKind::Timeout);
        let body = br#"{"error": {"message": "no status"}}"#;
        assert_eq!(parse_error(404, body).kind, ErrorKind::NotFound);
    }

    #[test]
    fn non_google_bodies_are_described() {
        let err = parse_error(502, b"<html><title>502 Bad Gateway</title></html>\n");
        assert_eq!(err.kind, ErrorKind::Upstream);
        assert!(
            err.message.starts_with("Gemini returned HTTP 502"),
            "{}",
            err.message
        );
        assert!(err.message.contains("Bad Gateway"), "{}", err.message);
        assert_eq!(err.code, None);
        let err = parse_error(503, b"");
        assert_eq!(err.kind, ErrorKind::Overloaded);
        assert!(err.message.contains("empty body"), "{}", err.message);
        let err = parse_error(500, "é".repeat(4000).as_bytes());
        assert!(err.message.len() < 2000);
        let err = parse_error(500, br#"{"candidates": []}"#);
        assert!(err.message.contains("candidates"), "{}", err.message);
    }
}
