//! The one error type at the gateway's boundary, and how it becomes a response.
//!
//! Every failure of a call ends up as a [`GatewayError`]. [`GatewayError::classify`] is the only
//! place that decides its status code, its error family, where it came from and how loudly it is
//! logged: the `match` there is exhaustive on purpose, so a new variant does not compile until
//! someone decided all four.

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use portcullis_llm::{ConvertError, ErrorKind, RequestError, UpstreamError};
use portcullis_policy::authn::AuthnError;

use crate::context::InboundApi;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{0}")]
    Authentication(#[from] AuthnError),
    #[error("API key {key} may not use model {model:?}")]
    ModelNotAllowed { key: String, model: String },
    #[error("request body larger than the limit of {limit} bytes")]
    BodyTooLarge { limit: u64 },
    #[error("could not read the request body: {0}")]
    BodyRead(String),
    #[error("{0}")]
    InvalidRequest(RequestError),
    #[error("model {0:?} does not exist or is not served by this gateway")]
    UnknownModel(String),
    #[error("{0}")]
    NotTranslatable(ConvertError),
    #[error(
        "provider {provider} cannot take these request fields, and translation is strict: {}",
        fields.join(", ")
    )]
    StrictTranslation {
        provider: String,
        fields: Vec<String>,
    },
    #[error("model {model:?} is served only by providers that do not support {operation}")]
    UnsupportedOperation {
        model: String,
        operation: &'static str,
    },
    #[error("provider {} answered {}: {}", .0.provider, .0.error.status, .0.error.message)]
    UpstreamStatus(Box<UpstreamFailure>),
    #[error("provider {provider} did not answer within {}", humanize(*timeout))]
    UpstreamTimeout { provider: String, timeout: Duration },
    #[error("could not reach provider {provider}: {detail}")]
    UpstreamConnect { provider: String, detail: String },
    #[error("provider {provider} sent an invalid response: {detail}")]
    UpstreamMalformed { provider: String, detail: String },
    #[error("the request took longer than the gateway's limit of {}", humanize(*limit))]
    RequestTimeout { limit: Duration },
    #[error("internal error: {0}")]
    Internal(String),
}

/// A provider's error answer.
#[derive(Debug)]
pub struct UpstreamFailure {
    pub provider: String,
    pub error: UpstreamError,
    /// The provider's `Retry-After`, passed on to the caller.
    pub retry_after: Option<HeaderValue>,
}

/// Who caused an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorSource {
    Client,
    Upstream,
    Internal,
}

/// How loudly an error is logged: `Debug` for the caller's own mistakes, `Warn` for upstream
/// trouble the gateway absorbs, `Error` only when an operator must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Warn,
    Error,
}

/// Everything the boundary needs to know about an error, decided in one place.
#[derive(Debug, Clone, Copy)]
pub struct Classification {
    pub status: StatusCode,
    pub kind: ErrorKind,
    pub source: ErrorSource,
    pub level: LogLevel,
    /// Stable snake_case label for the call log and metrics.
    pub label: &'static str,
    /// Whether another target may succeed where this one failed.
    pub retryable: bool,
}

impl GatewayError {
    /// The one exhaustive decision: status, family, source, log level, label, retryability.
    pub fn classify(&self) -> Classification {
        use ErrorKind as K;
        use ErrorSource::{Client, Internal, Upstream};
        use LogLevel::{Debug, Error, Warn};
        let c = |status, kind, source, level, label, retryable| Classification {
            status,
            kind,
            source,
            level,
            label,
            retryable,
        };
        match self {
            GatewayError::Authentication(_) => c(
                StatusCode::UNAUTHORIZED,
                K::Authentication,
                Client,
                Debug,
                "authentication",
                false,
            ),
            GatewayError::ModelNotAllowed { .. } => c(
                StatusCode::FORBIDDEN,
                K::PermissionDenied,
                Client,
                Debug,
                "model_not_allowed",
                false,
            ),
            GatewayError::BodyTooLarge { .. } => c(
                StatusCode::PAYLOAD_TOO_LARGE,
                K::RequestTooLarge,
                Client,
                Debug,
                "body_too_large",
                false,
            ),
            GatewayError::BodyRead(_) => c(
                StatusCode::BAD_REQUEST,
                K::InvalidRequest,
                Client,
                Debug,
                "body_read",
                false,
            ),
            GatewayError::InvalidRequest(_) => c(
                StatusCode::BAD_REQUEST,
                K::InvalidRequest,
                Client,
                Debug,
                "invalid_request",
                false,
            ),
            GatewayError::UnknownModel(_) => c(
                StatusCode::NOT_FOUND,
                K::NotFound,
                Client,
                Debug,
                "unknown_model",
                false,
            ),
            GatewayError::NotTranslatable(_) => c(
                StatusCode::BAD_REQUEST,
                K::InvalidRequest,
                Client,
                Debug,
                "not_translatable",
                false,
            ),
            GatewayError::StrictTranslation { .. } => c(
                StatusCode::BAD_REQUEST,
                K::InvalidRequest,
                Client,
                Debug,
                "strict_translation",
                false,
            ),
            GatewayError::UnsupportedOperation { .. } => c(
                StatusCode::BAD_REQUEST,
                K::InvalidRequest,
                Client,
                Debug,
                "unsupported_operation",
                false,
            ),
            GatewayError::UpstreamStatus(failure) => classify_upstream(&failure.error),
            GatewayError::UpstreamTimeout { .. } => c(
                StatusCode::GATEWAY_TIMEOUT,
                K::Timeout,
                Upstream,
                Warn,
                "upstream_timeout",
                true,
            ),
            GatewayError::UpstreamConnect { .. } => c(
                StatusCode::BAD_GATEWAY,
                K::Upstream,
                Upstream,
                Warn,
                "upstream_connect",
                true,
            ),
            GatewayError::UpstreamMalformed { .. } => c(
                StatusCode::BAD_GATEWAY,
                K::Upstream,
                Upstream,
                Warn,
                "upstream_malformed",
                true,
            ),
            GatewayError::RequestTimeout { .. } => c(
                StatusCode::GATEWAY_TIMEOUT,
                K::Timeout,
                Upstream,
                Warn,
                "request_timeout",
                false,
            ),
            GatewayError::Internal(_) => c(
                StatusCode::INTERNAL_SERVER_ERROR,
                K::Internal,
                Internal,
                Error,
                "internal",
                false,
            ),
        }
    }

    /// The message the caller sees: specific, actionable, free of secrets.
    pub fn client_message(&self) -> String {
        match self {
            GatewayError::UpstreamStatus(failure)
                if matches!(
                    failure.error.kind,
                    ErrorKind::Authentication | ErrorKind::PermissionDenied
                ) =>
            {
                let UpstreamFailure {
                    provider, error, ..
                } = failure.as_ref();
                // The caller's key was fine; the gateway's credential for the provider was not.
                // Saying "invalid API key" would send the caller after the wrong key.
                format!(
                    "provider {provider} rejected the gateway's credentials (upstream status {}); \
                     an operator must fix the provider configuration",
                    error.status
                )
            }
            GatewayError::UpstreamStatus(failure) => {
                format!("provider {}: {}", failure.provider, failure.error.message)
            }
            other => other.to_string(),
        }
    }

    /// The parameter the error is about, when there is one.
    fn param(&self) -> Option<&str> {
        match self {
            GatewayError::InvalidRequest(e) => e.param.as_deref(),
            GatewayError::NotTranslatable(e) => e.param.as_deref(),
            GatewayError::StrictTranslation { fields, .. } => fields.first().map(String::as_str),
            GatewayError::UnknownModel(_) | GatewayError::ModelNotAllowed { .. } => Some("model"),
            GatewayError::UpstreamStatus(failure) => failure.error.param.as_deref(),
            _ => None,
        }
    }

    /// A machine-readable code in OpenAI error bodies (`model_not_found`, ...).
    fn code(&self) -> Option<&str> {
        match self {
            GatewayError::UnknownModel(_) => Some("model_not_found"),
            GatewayError::Authentication(_) => Some("invalid_api_key"),
            GatewayError::StrictTranslation { .. } => Some("unsupported_parameter"),
            GatewayError::UpstreamStatus(failure) => failure.error.code.as_deref(),
            _ => None,
        }
    }

    /// Renders the error in the shape of the API the caller used.
    pub fn render(&self, api: InboundApi) -> Response {
        let class = self.classify();
        let message = self.client_message();
        let body = match api.error_format() {
            ErrorFormat::OpenAi => portcullis_llm::openai::render_error(
                class.kind,
                &message,
                self.param(),
                self.code(),
            ),
            ErrorFormat::Anthropic => portcullis_llm::anthropic::render_error(class.kind, &message),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = class.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        match self {
            GatewayError::UpstreamStatus(failure) => {
                if let Some(value) = &failure.retry_after {
                    headers.insert(header::RETRY_AFTER, value.clone());
                }
            }
            GatewayError::Authentication(_) if api.error_format() == ErrorFormat::OpenAi => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"portcullis\""),
                );
            }
            _ => {}
        }
        if !class.retryable && class.source == ErrorSource::Client {
            // The official SDKs honour this: retrying a caller's own mistake cannot help.
            headers.insert("x-should-retry", HeaderValue::from_static("false"));
        }
        response
    }
}

/// How an upstream error status reaches the caller.
fn classify_upstream(error: &UpstreamError) -> Classification {
    use ErrorKind as K;
    let (status, kind, source, level, label, retryable) = match error.kind {
        // The provider rejected what the caller sent: the caller's problem, told as is.
        K::InvalidRequest => (
            StatusCode::BAD_REQUEST,
            K::InvalidRequest,
            ErrorSource::Client,
            LogLevel::Debug,
            "upstream_invalid_request",
            false,
        ),
        K::NotFound => (
            StatusCode::NOT_FOUND,
            K::NotFound,
            ErrorSource::Upstream,
            LogLevel::Warn,
            "upstream_not_found",
            false,
        ),
        K::RequestTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            K::RequestTooLarge,
            ErrorSource::Client,
            LogLevel::Debug,
            "upstream_request_too_large",
            false,
        ),
        K::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            K::RateLimited,
            ErrorSource::Upstream,
            LogLevel::Warn,
            "upstream_rate_limited",
            true,
        ),
        // The gateway's own provider credentials are wrong: an operator must act.
        K::Authentication | K::PermissionDenied => (
            StatusCode::BAD_GATEWAY,
            K::Upstream,
            ErrorSource::Upstream,
            LogLevel::Error,
            "upstream_auth",
            false,
        ),
        K::Overloaded => (
            StatusCode::SERVICE_UNAVAILABLE,
            K::Overloaded,
            ErrorSource::Upstream,
            LogLevel::Warn,
            "upstream_overloaded",
            true,
        ),
        K::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            K::Timeout,
            ErrorSource::Upstream,
            LogLevel::Warn,
            "upstream_timeout",
            true,
        ),
        K::Upstream | K::Internal => (
            StatusCode::BAD_GATEWAY,
            K::Upstream,
            ErrorSource::Upstream,
            LogLevel::Warn,
            "upstream_error",
            true,
        ),
    };
    Classification {
        status,
        kind,
        source,
        level,
        label,
        retryable,
    }
}

/// The error body shapes the inbound APIs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    OpenAi,
    Anthropic,
}

/// `1.5s`, `30s`, `10m` — for messages.
pub(crate) fn humanize(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(status: u16) -> GatewayError {
        GatewayError::UpstreamStatus(Box::new(UpstreamFailure {
            provider: "p".into(),
            error: UpstreamError {
                status,
                kind: ErrorKind::from_status(status),
                message: "m".into(),
                code: None,
                param: None,
            },
            retry_after: None,
        }))
    }

    #[test]
    fn upstream_statuses_map_to_what_the_caller_can_act_on() {
        assert_eq!(upstream(400).classify().status, StatusCode::BAD_REQUEST);
        assert_eq!(
            upstream(429).classify().status,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(upstream(500).classify().status, StatusCode::BAD_GATEWAY);
        assert_eq!(
            upstream(529).classify().status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(upstream(504).classify().status, StatusCode::GATEWAY_TIMEOUT);
        // The provider refusing the gateway's key is not the caller's 401.
        let auth = upstream(401);
        assert_eq!(auth.classify().status, StatusCode::BAD_GATEWAY);
        assert!(auth.client_message().contains("gateway's credentials"));
        assert!(upstream(500).classify().retryable);
        assert!(!upstream(400).classify().retryable);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(humanize(Duration::from_secs(30)), "30s");
        assert_eq!(humanize(Duration::from_secs(600)), "10m");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
    }
}
