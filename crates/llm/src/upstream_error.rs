//! Turning whatever an upstream sent with an error status into an [`UpstreamError`]: the
//! documented JSON error shapes of OpenAI, Azure, Anthropic and the common compatible servers,
//! and anything else (plain text, an HTML page from a proxy, nothing at all).

use serde_json::Value;

use crate::canonical::ErrorKind;
use crate::error::UpstreamError;

/// Longest excerpt of a non-JSON body kept in the message.
const EXCERPT_CHARS: usize = 300;

/// Parses an error body. `api` names the upstream in messages (`OpenAI`, `Anthropic`);
/// `kind_of` maps the provider's error type/code strings to a kind when it knows them.
pub(crate) fn parse(
    status: u16,
    body: &[u8],
    api: &str,
    kind_of: fn(&str) -> Option<ErrorKind>,
) -> UpstreamError {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return error(
            status,
            ErrorKind::from_status(status),
            format!("{api} returned HTTP {status} with an empty body"),
        );
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        if let Some(found) = from_json(status, &value, kind_of) {
            return found;
        }
        return error(
            status,
            ErrorKind::from_status(status),
            format!("{api} returned HTTP {status}: {}", excerpt(trimmed)),
        );
    }
    if trimmed.starts_with('<') {
        let title = html_title(trimmed);
        let message = match title {
            Some(title) => format!("{api} returned HTTP {status} with an HTML page: {title}"),
            None => format!("{api} returned HTTP {status} with an HTML page"),
        };
        return error(status, ErrorKind::from_status(status), message);
    }
    error(
        status,
        ErrorKind::from_status(status),
        format!("{api} returned HTTP {status}: {}", excerpt(trimmed)),
    )
}

fn error(status: u16, kind: ErrorKind, message: String) -> UpstreamError {
    UpstreamError {
        status,
        kind,
        message,
        code: None,
        param: None,
    }
}

/// The documented shapes: `{"error": {...}}` (OpenAI, Azure, Anthropic with `"type":"error"`
/// around it, Google), `{"error": "text"}` (Ollama), `{"message": ..}` / `{"object": "error",
/// "message": ..}` (vLLM and others), `{"detail": ..}` (FastAPI servers), and any of those
/// wrapped in a one-element array (some Google endpoints).
fn from_json(
    status: u16,
    value: &Value,
    kind_of: fn(&str) -> Option<ErrorKind>,
) -> Option<UpstreamError> {
    let value = match value {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let obj = value.as_object()?;
    let (inner, message) = match obj.get("error") {
        Some(Value::Object(inner)) => (inner, inner.get("message").and_then(text)),
        Some(Value::String(message)) => (obj, Some(message.clone())),
        _ => {
            let message = obj
                .get("message")
                .and_then(text)
                .or_else(|| obj.get("detail").and_then(detail));
            (obj, message)
        }
    };
    let message = message?;
    let kind_str = inner.get("type").and_then(text);
    // Azure and Google send numeric codes (the HTTP status again); the string code or
    // Google's `status` name is the informative one.
    let code = ["code", "status"]
        .iter()
        .filter_map(|k| inner.get(*k).and_then(text))
        .find(|c| !is_number(c));
    let param = inner.get("param").and_then(text);
    let by_status = ErrorKind::from_status(status);
    let specific_status = !matches!(by_status, ErrorKind::Upstream | ErrorKind::InvalidRequest);
    let kind = code
        .as_deref()
        .and_then(kind_of)
        .or_else(|| specific_status.then_some(by_status))
        .or_else(|| kind_str.as_deref().and_then(kind_of))
        .unwrap_or(by_status);
    Some(UpstreamError {
        status,
        kind,
        message,
        code: code.or(kind_str),
        param,
    })
}

/// A non-empty string, or a number rendered as text (Azure sends numeric codes).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// FastAPI's `detail`: a string, or a list of `{msg, loc}` validation errors.
fn detail(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            let messages: Vec<&str> = items
                .iter()
                .filter_map(|i| i.get("msg").and_then(Value::as_str))
                .collect();
            (!messages.is_empty()).then(|| messages.join("; "))
        }
        _ => None,
    }
}

fn excerpt(text: &str) -> String {
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", collapsed.get(..cut).unwrap_or_default()),
        None => collapsed,
    }
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower.get(start..)?.find("</title>")?;
    let title = excerpt(html.get(start..end)?);
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<ErrorKind> {
        None
    }

    #[test]
    fn non_json_bodies_give_useful_messages() {
        let e = parse(502, b"", "OpenAI", none);
        assert_eq!(e.message, "OpenAI returned HTTP 502 with an empty body");
        assert_eq!(e.kind, ErrorKind::Upstream);
        let e = parse(
            503,
            b"<html><head><TITLE>503 Service Temporarily Unavailable</TITLE></head></html>",
            "OpenAI",
            none,
        );
        assert_eq!(
            e.message,
            "OpenAI returned HTTP 503 with an HTML page: 503 Service Temporarily Unavailable"
        );
        assert_eq!(e.kind, ErrorKind::Overloaded);
        let e = parse(
            500,
            b"upstream connect error\n  or disconnect",
            "OpenAI",
            none,
        );
        assert_eq!(
            e.message,
            "OpenAI returned HTTP 500: upstream connect error or disconnect"
        );
        let long = "x".repeat(1000);
        let e = parse(500, long.as_bytes(), "OpenAI", none);
        assert!(e.message.ends_with('…') && e.message.len() < 400);
    }

    #[test]
    fn compatible_server_shapes() {
        let e = parse(
            404,
            br#"{"error":"model 'llama9' not found"}"#,
            "OpenAI",
            none,
        );
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::NotFound, "model 'llama9' not found")
        );
        let e = parse(
            400,
            br#"{"object":"error","message":"max_tokens too large","type":"BadRequestError","param":null,"code":400}"#,
            "OpenAI",
            none,
        );
        assert_eq!(e.message, "max_tokens too large");
        assert_eq!(e.code.as_deref(), Some("BadRequestError"));
        let e = parse(
            422,
            br#"{"detail":[{"loc":["body","model"],"msg":"field required"}]}"#,
            "OpenAI",
            none,
        );
        assert_eq!(
            (e.kind, e.message.as_str()),
            (ErrorKind::InvalidRequest, "field required")
        );
        let e = parse(
            429,
            br#"[{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}]"#,
            "Gemini",
            none,
        );
        assert_eq!(e.kind, ErrorKind::RateLimited);
        assert_eq!(e.code.as_deref(), Some("RESOURCE_EXHAUSTED"));
        let e = parse(500, br#"{"unexpected":true}"#, "OpenAI", none);
        assert_eq!(
            e.message,
            r#"OpenAI returned HTTP 500: {"unexpected":true}"#
        );
    }
}
