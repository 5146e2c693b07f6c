//! Test support: a programmable upstream that speaks whatever the test scripts, records what it
//! received and counts calls; a gateway started in-process from a YAML configuration; a small
//! HTTP client.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use portcullis_config::load_str;
use portcullis_gateway::{App, Snapshot};
use portcullis_store::{CallQuery, CallRecord, Store};
use portcullis_telemetry::{CallLog, CallLogOptions, CallLogWriter};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;

/// One scripted answer of the upstream.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    /// Body chunks, each sent after `chunk_delay`.
    pub chunks: Vec<Bytes>,
    pub chunk_delay: Duration,
    /// Wait before sending the headers.
    pub delay: Duration,
    /// After the chunks, break the connection instead of ending the body.
    pub cut: bool,
}

impl Scripted {
    pub fn json(status: u16, body: Value) -> Scripted {
        Scripted {
            status,
            headers: vec![("content-type", "application/json".into())],
            chunks: vec![Bytes::from(body.to_string())],
            chunk_delay: Duration::ZERO,
            delay: Duration::ZERO,
            cut: false,
        }
    }

    pub fn sse(events: &[&str]) -> Scripted {
        Scripted {
            status: 200,
            headers: vec![("content-type", "text/event-stream".into())],
            chunks: events.iter().map(|e| Bytes::from(e.to_string())).collect(),
            chunk_delay: Duration::ZERO,
            delay: Duration::ZERO,
            cut: false,
        }
    }

    pub fn raw(status: u16, content_type: &str, body: &str) -> Scripted {
        Scripted {
            status,
            headers: vec![("content-type", content_type.to_string())],
            chunks: vec![Bytes::from(body.to_string())],
            chunk_delay: Duration::ZERO,
            delay: Duration::ZERO,
            cut: false,
        }
    }

    pub fn delayed(mut self, delay: Duration) -> Scripted {
        self.delay = delay;
        self
    }

    pub fn cut(mut self) -> Scripted {
        self.cut = true;
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Scripted {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// What the upstream received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Default)]
struct UpstreamState {
    script: VecDeque<Scripted>,
    /// Answer when the script is empty.
    fallback: Option<Scripted>,
    received: Vec<Received>,
}

/// A programmable upstream on 127.0.0.1.
#[derive(Clone)]
pub struct Upstream {
    pub addr: SocketAddr,
    state: Arc<Mutex<UpstreamState>>,
}

impl Upstream {
    pub async fn start(tasks: &TaskTracker) -> Upstream {
        let state = Arc::new(Mutex::new(UpstreamState::default()));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = Router::new().fallback(answer).with_state(state.clone());
        tasks.spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Upstream { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues answers, used in order.
    pub fn push(&self, scripted: Scripted) {
        self.state.lock().unwrap().script.push_back(scripted);
    }

    /// The answer when nothing is queued.
    pub fn always(&self, scripted: Scripted) {
        self.state.lock().unwrap().fallback = Some(scripted);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn calls(&self) -> usize {
        self.state.lock().unwrap().received.len()
    }
}

async fn answer(State(state): State<Arc<Mutex<UpstreamState>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let scripted = {
        let mut state = state.lock().unwrap();
        state.received.push(Received {
            method: parts.method.to_string(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            headers: parts.headers.clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        });
        state
            .script
            .pop_front()
            .or_else(|| state.fallback.clone())
            .unwrap_or_else(|| Scripted::json(500, serde_json::json!({"error": "unscripted"})))
    };
    if !scripted.delay.is_zero() {
        tokio::time::sleep(scripted.delay).await;
    }
    let delay = scripted.chunk_delay;
    let cut = scripted.cut;
    let chunks = scripted.chunks.clone().into_iter().enumerate();
    let body = stream::unfold((chunks, false), move |(mut chunks, done)| async move {
        if done {
            return None;
        }
        match chunks.next() {
            Some((i, chunk)) => {
                if i > 0 && !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Some((Ok::<Bytes, std::io::Error>(chunk), (chunks, false)))
            }
            None if cut => {
                // Let what was sent reach the client before the connection breaks.
                tokio::time::sleep(delay.max(Duration::from_millis(20))).await;
                Some((Err(std::io::Error::other("cut")), (chunks, true)))
            }
            None => None,
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::from_u16(scripted.status).unwrap();
    for (name, value) in scripted.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// A gateway running in-process.
pub struct Gateway {
    pub addr: SocketAddr,
    pub app: App,
    pub store: Store,
    _writer: CallLogWriter,
    _tasks: TaskTracker,
}

/// The API key every test configuration declares.
pub const KEY: &str = "sk-test-key";

impl Gateway {
    /// Starts a gateway from `yaml`, in which `{KEY}` stands for the test key.
    pub async fn start(yaml: &str) -> Gateway {
        let tasks = TaskTracker::new();
        Self::start_with(yaml, tasks).await
    }

    pub async fn start_with(yaml: &str, tasks: TaskTracker) -> Gateway {
        let env: std::collections::HashMap<String, String> =
            [("TEST_KEY".to_string(), KEY.to_string())].into();
        let config = load_str(
            yaml,
            std::path::Path::new("/tmp/portcullis-test.yaml"),
            &env,
        )
        .unwrap_or_else(|e| panic!("test config rejected:\n{e}"));
        // The recorder first: metric handles resolved before it would be no-ops.
        let metrics = portcullis_telemetry::metrics::install_recorder().ok();
        let store = Store::open_in_memory().await.unwrap();
        let (call_log, writer) = CallLog::start(
            store.clone(),
            CallLogOptions {
                queue_capacity: 1000,
                batch_size: 16,
                flush_interval: Duration::from_millis(10),
            },
        );
        let snapshot = Snapshot::build(config, 1).unwrap();
        let app = App::new(snapshot, call_log, Some(store.clone()), metrics);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = app.clone();
        tasks.spawn(async move {
            portcullis_gateway::serve(served, listener, std::future::pending())
                .await
                .unwrap();
        });
        Gateway {
            addr,
            app,
            store,
            _writer: writer,
            _tasks: tasks,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Flushes the call log and returns the most recent records, newest first.
    pub async fn calls(&mut self) -> Vec<CallRecord> {
        // Records are written asynchronously; poll until the queue drained.
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let records = self
                .store
                .recent_calls(&CallQuery::default())
                .await
                .unwrap();
            if !records.is_empty() {
                tokio::time::sleep(Duration::from_millis(30)).await;
                return self
                    .store
                    .recent_calls(&CallQuery::default())
                    .await
                    .unwrap();
            }
        }
        Vec::new()
    }
}

/// A response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request and reads the whole response.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut builder = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = match response.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => Bytes::from(format!("<body error: {e}>")),
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// POST JSON with the test key as a bearer token.
pub async fn post(gateway: &Gateway, path: &str, body: &Value) -> Reply {
    let auth = format!("Bearer {KEY}");
    send(
        "POST",
        &gateway.url(path),
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
    .await
}

/// The `data:` payloads of an SSE body, in order.
pub fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| {
            let data: Vec<&str> = event
                .lines()
                .filter_map(|l| l.strip_prefix("data:").map(str::trim_start))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}

/// The `event:` names of an SSE body, in order.
pub fn sse_events(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter_map(|event| {
            event
                .lines()
                .find_map(|l| l.strip_prefix("event:").map(|n| n.trim().to_string()))
        })
        .collect()
}
