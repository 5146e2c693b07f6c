//! Provider clients: how Portcullis reaches each AI provider over the network (URLs, credentials,
//! headers, timeouts, connection pools), and the built-in deterministic `mock` provider.
//!
//! A [`Provider`] sends a body that is already in the provider's wire format (built by the
//! `portcullis-llm` converters or forwarded untouched on the same-format fast path) and returns
//! the HTTP response with its body still streaming. Translation happens in the gateway, not here.

mod endpoint;
mod http_client;
pub mod mock;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use portcullis_config::{Provider as ProviderConfig, ProviderKind};
use portcullis_llm::WireApi;

pub use endpoint::Endpoint;

/// The body of an upstream response, streamed. Network providers yield hyper's body, the mock
/// yields generated chunks; both look the same to the gateway.
pub type UpstreamBody = UnsyncBoxBody<Bytes, BodyError>;

/// A failure while reading an upstream response body.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BodyError {
    #[error("the upstream connection failed while reading the response: {0}")]
    Io(String),
    #[error("the upstream cut the response short")]
    Cut,
}

/// What is being asked of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Chat { stream: bool },
    Embeddings,
}

/// Why an upstream request produced no response at all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The TCP/TLS connection could not be made (refused, DNS, TLS handshake, connect timeout).
    #[error("could not connect to provider {provider}: {detail}")]
    Connect { provider: String, detail: String },
    /// No response headers within the provider's timeout.
    #[error("provider {provider} did not answer within {timeout:?}")]
    Timeout { provider: String, timeout: Duration },
    /// The connection broke before the response headers arrived.
    #[error("provider {provider} closed the connection: {detail}")]
    Io { provider: String, detail: String },
    /// The provider cannot perform this operation (e.g. embeddings on Anthropic).
    #[error("provider {provider} ({kind}) does not support {operation}")]
    Unsupported {
        provider: String,
        kind: &'static str,
        operation: &'static str,
    },
    /// The request could not be built (e.g. a model name that is not valid in a URL).
    #[error("invalid request for provider {provider}: {detail}")]
    InvalidRequest { provider: String, detail: String },
}

impl SendError {
    /// Whether trying another target (or the same one later) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            SendError::Connect { .. } | SendError::Timeout { .. } | SendError::Io { .. } => true,
            SendError::Unsupported { .. } | SendError::InvalidRequest { .. } => false,
        }
    }
}

/// One configured provider, ready to send requests. Built once per configuration snapshot.
pub struct Provider {
    name: Arc<str>,
    kind: ProviderKind,
    endpoint: Endpoint,
    /// Authentication and configured extra headers, sent on every request.
    headers: HeaderMap,
    timeout: Duration,
    default_max_tokens: u32,
    transport: Transport,
}

enum Transport {
    Http(Box<http_client::HttpClient>),
    Mock(mock::MockProvider),
}

impl fmt::Debug for Provider {
    // Headers hold credentials: never print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// A provider could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[error("provider {provider}: {message}")]
pub struct BuildError {
    pub provider: String,
    pub message: String,
}

impl Provider {
    /// Builds the client for one configured provider. Fails on a base URL or header that cannot
    /// be used (the configuration validator catches most of these first).
    pub fn build(config: &ProviderConfig) -> Result<Provider, BuildError> {
        let err = |message: String| BuildError {
            provider: config.name.clone(),
            message,
        };
        let endpoint = Endpoint::new(config).map_err(err)?;
        let headers = endpoint::auth_headers(config).map_err(err)?;
        let transport = match config.kind {
            ProviderKind::Mock => Transport::Mock(mock::MockProvider::new()),
            _ => Transport::Http(Box::new(
                http_client::HttpClient::new(config.connect_timeout).map_err(err)?,
            )),
        };
        Ok(Provider {
            name: Arc::from(config.name.as_str()),
            kind: config.kind,
            endpoint,
            headers,
            timeout: config.timeout,
            default_max_tokens: config.default_max_tokens,
            transport,
        })
    }

    /// The configured name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configured name, shared.
    pub fn name_arc(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// The wire API bodies for this provider must be in. The mock speaks OpenAI.
    pub fn wire(&self) -> WireApi {
        match self.kind {
            ProviderKind::OpenAi
            | ProviderKind::OpenAiCompatible
            | ProviderKind::Azure
            | ProviderKind::Mock => WireApi::OpenAiChat,
            ProviderKind::Anthropic => WireApi::AnthropicMessages,
            ProviderKind::Gemini => WireApi::GeminiGenerate,
        }
    }

    /// Whether OpenAI-format bodies for this provider should say `max_completion_tokens` (the
    /// official OpenAI and Azure APIs, required by reasoning models) rather than `max_tokens`
    /// (what OpenAI-compatible servers understand).
    pub fn wants_max_completion_tokens(&self) -> bool {
        matches!(self.kind, ProviderKind::OpenAi | ProviderKind::Azure)
    }

    /// `max_tokens` to send to Anthropic when the caller gave none.
    pub fn default_max_tokens(&self) -> u32 {
        self.default_max_tokens
    }

    /// How long to wait for response headers, and at most between two body chunks.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether this provider can perform `op`.
    pub fn supports(&self, op: Operation) -> bool {
        match op {
            Operation::Chat { .. } => true,
            Operation::Embeddings => !matches!(self.kind, ProviderKind::Anthropic),
        }
    }

    /// Sends `body` (already in this provider's wire format) for `op` on `upstream_model`, with
    /// `extra_headers` forwarded from the caller (e.g. `anthropic-beta`). Resolves when the
    /// response headers arrive; the body streams. Waits at most [`Provider::timeout`].
    pub async fn send(
        &self,
        op: Operation,
        upstream_model: &str,
        body: Bytes,
        extra_headers: &[(HeaderName, HeaderValue)],
    ) -> Result<Response<UpstreamBody>, SendError> {
        if !self.supports(op) {
            return Err(SendError::Unsupported {
                provider: self.name.to_string(),
                kind: endpoint::kind_name(self.kind),
                operation: match op {
                    Operation::Chat { .. } => "chat",
                    Operation::Embeddings => "embeddings",
                },
            });
        }
        match &self.transport {
            Transport::Mock(mock) => {
                tokio::time::timeout(self.timeout, mock.handle(op, upstream_model, body))
                    .await
                    .map_err(|_| SendError::Timeout {
                        provider: self.name.to_string(),
                        timeout: self.timeout,
                    })
            }
            Transport::Http(client) => {
                let uri = self.endpoint.uri(op, upstream_model).map_err(|detail| {
                    SendError::InvalidRequest {
                        provider: self.name.to_string(),
                        detail,
                    }
                })?;
                let mut request = Request::post(uri)
                    .body(http_body_util::Full::new(body))
                    .map_err(|e| SendError::InvalidRequest {
                        provider: self.name.to_string(),
                        detail: e.to_string(),
                    })?;
                let headers = request.headers_mut();
                headers.clone_from(&self.headers);
                for (name, value) in extra_headers {
                    headers.insert(name.clone(), value.clone());
                }
                if matches!(op, Operation::Chat { stream: true }) {
                    headers.insert(
                        http::header::ACCEPT,
                        HeaderValue::from_static("text/event-stream"),
                    );
                }
                let response = client
                    .send(request, self.timeout)
                    .await
                    .map_err(|e| e.into_send_error(&self.name, self.timeout))?;
                Ok(response.map(|body| {
                    body.map_err(|e| BodyError::Io(http_client::describe(&e)))
                        .boxed_unsync()
                }))
            }
        }
    }
}
