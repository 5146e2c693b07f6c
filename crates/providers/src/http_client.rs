//! The pooled HTTP/1.1 + HTTP/2 client (rustls, verified with the Mozilla root set) every network
//! provider uses.

use std::error::Error as StdError;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use crate::SendError;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A connection-pooling client with a connect timeout. Cheap to clone.
#[derive(Clone)]
pub(crate) struct HttpClient {
    inner: Client<Connector, Full<Bytes>>,
}

pub(crate) enum ClientError {
    Timeout,
    Connect(String),
    Io(String),
}

impl ClientError {
    pub(crate) fn into_send_error(self, provider: &str, timeout: Duration) -> SendError {
        let provider = provider.to_string();
        match self {
            ClientError::Timeout => SendError::Timeout { provider, timeout },
            ClientError::Connect(detail) => SendError::Connect { provider, detail },
            ClientError::Io(detail) => SendError::Io { provider, detail },
        }
    }
}

impl HttpClient {
    /// Builds a client; fails only if the TLS configuration cannot be built.
    pub(crate) fn new(connect_timeout: Duration) -> Result<HttpClient, String> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(1024)
            .build(connector);
        Ok(HttpClient { inner })
    }

    /// Sends `request` and waits at most `timeout` for the response headers.
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Response<Incoming>, ClientError> {
        match tokio::time::timeout(timeout, self.inner.request(request)).await {
            Err(_) => Err(ClientError::Timeout),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) if e.is_connect() => Err(ClientError::Connect(describe(&e))),
            Ok(Err(e)) => Err(ClientError::Io(describe(&e))),
        }
    }
}

/// An error and its causes in one line (hyper's top-level messages alone are vague).
pub(crate) fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    text
}
