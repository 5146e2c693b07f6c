//! Failing upstreams: fallbacks, timeouts, garbage, cut streams — each with the right status in
//! the caller's format, and never a hang.

use std::time::Duration;

use serde_json::json;

use crate::support::*;

const OK: &str = r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;

/// Two OpenAI-format upstreams behind one route (`primary` first) and a dead one.
async fn setup() -> (Gateway, Upstream, Upstream) {
    let tasks = tokio_util::task::TaskTracker::new();
    let primary = Upstream::start(&tasks).await;
    let secondary = Upstream::start(&tasks).await;
    // A port nothing listens on: bind, read the port, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let gw = Gateway::start(&format!(
        r#"
server:
  request_timeout: 3s
providers:
  primary:
    type: openai_compatible
    base_url: {}/v1
    timeout: 500ms
  secondary:
    type: openai_compatible
    base_url: {}/v1
    timeout: 500ms
  dead:
    type: openai_compatible
    base_url: http://{dead}/v1
models:
  - name: resilient
    targets: [primary, secondary]
  - name: single
    targets: [primary]
  - name: dead-first
    targets: [dead, secondary]
api_keys:
  - name: tester
    key: ${{TEST_KEY}}
"#,
        primary.url(),
        secondary.url()
    ))
    .await;
    (gw, primary, secondary)
}

fn chat(model: &str, stream: bool) -> serde_json::Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn retryable_failures_fall_back_to_the_next_target() {
    let (mut gw, primary, secondary) = setup().await;
    primary.push(Scripted::json(
        500,
        json!({"error": {"message": "boom", "type": "server_error"}}),
    ));
    secondary.always(Scripted::raw(200, "application/json", OK));
    let reply = post(&gw, "/v1/chat/completions", &chat("resilient", false)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!((primary.calls(), secondary.calls()), (1, 1));

    primary.push(Scripted::json(
        429,
        json!({"error": {"message": "slow down"}}),
    ));
    let reply = post(&gw, "/v1/chat/completions", &chat("resilient", true)).await;
    assert_eq!(reply.status, 200);
    assert_eq!((primary.calls(), secondary.calls()), (2, 2));

    // Connection refused also moves on.
    let reply = post(&gw, "/v1/chat/completions", &chat("dead-first", false)).await;
    assert_eq!(reply.status, 200);
    let calls = gw.calls().await;
    assert_eq!(calls[0].attempts, 2);
    assert_eq!(calls[0].provider.as_deref(), Some("secondary"));
}

#[tokio::test]
async fn caller_mistakes_are_not_retried() {
    let (gw, primary, secondary) = setup().await;
    primary.push(Scripted::json(400, json!({"error": {"message": "bad temperature", "type": "invalid_request_error", "param": "temperature"}})));
    let reply = post(&gw, "/v1/chat/completions", &chat("resilient", false)).await;
    assert_eq!(reply.status, 400);
    let body = reply.json();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bad temperature")
    );
    assert_eq!(body["error"]["param"], "temperature");
    assert_eq!((primary.calls(), secondary.calls()), (1, 0));
}

#[tokio::test]
async fn upstream_failures_map_to_gateway_statuses() {
    let (gw, primary, _secondary) = setup().await;
    // The provider refusing the gateway's credentials is a 502, not the caller's 401.
    primary.push(Scripted::json(
        401,
        json!({"error": {"message": "Incorrect API key provided"}}),
    ));
    let reply = post(&gw, "/v1/chat/completions", &chat("single", false)).await;
    assert_eq!(reply.status, 502);

    primary.push(
        Scripted::json(429, json!({"error": {"message": "slow down"}})).header("retry-after", "7"),
    );
    let reply = post(&gw, "/v1/chat/completions", &chat("single", false)).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));

    primary.push(Scripted::raw(200, "text/html", "<html>proxy error</html>"));
    let reply = post(&gw, "/v1/chat/completions", &chat("single", false)).await;
    assert_eq!(reply.status, 502);
    assert_eq!(reply.json()["error"]["type"], "server_error");

    primary.push(Scripted::raw(200, "application/json", OK).delayed(Duration::from_secs(2)));
    let started = std::time::Instant::now();
    let reply = post(&gw, "/v1/chat/completions", &chat("single", false)).await;
    assert_eq!(reply.status, 504);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the provider timeout applies"
    );
}

#[tokio::test]
async fn a_cut_stream_ends_with_an_in_stream_error() {
    let (mut gw, primary, _secondary) = setup().await;
    primary.push(
        Scripted::sse(&["data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"])
            .cut(),
    );
    let reply = post(&gw, "/v1/chat/completions", &chat("single", true)).await;
    assert_eq!(reply.status, 200);
    let data = sse_data(&reply.text());
    assert!(data[0].contains("Hel"));
    let last: serde_json::Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert!(last["error"]["message"].is_string(), "{data:?}");

    // A stream that simply stops (no [DONE], no finish) is also an error.
    primary.push(Scripted::sse(&["data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"]));
    let reply = post(&gw, "/v1/chat/completions", &chat("single", true)).await;
    let data = sse_data(&reply.text());
    assert!(data.last().unwrap().contains("\"error\""), "{data:?}");
    let calls = gw.calls().await;
    assert!(calls.iter().all(|c| c.error_kind.is_some()));
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    let (gw, primary, _secondary) = setup().await;
    let mut stalled = Scripted::sse(&[
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: [DONE]\n\n",
    ]);
    stalled.chunk_delay = Duration::from_secs(2);
    primary.push(stalled);
    let started = std::time::Instant::now();
    let reply = post(&gw, "/v1/chat/completions", &chat("single", true)).await;
    assert!(started.elapsed() < Duration::from_millis(1800));
    let data = sse_data(&reply.text());
    assert!(data.last().unwrap().contains("\"error\""), "{data:?}");
}
