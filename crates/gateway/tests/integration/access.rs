//! Authentication, authorization and request validation: the phases before any upstream call.

use serde_json::json;

use crate::support::*;

async fn gateway(upstream: &Upstream) -> Gateway {
    Gateway::start(&format!(
        r#"
server:
  max_body_size: 2KiB
providers:
  up:
    type: openai
    base_url: {}/v1
    api_key: sk-upstream
models:
  - name: gpt-test
    targets: [{{provider: up, model: gpt-upstream}}]
  - name: other
    targets: [{{provider: up}}]
api_keys:
  - name: tester
    key: ${{TEST_KEY}}
    models: [gpt-test]
"#,
        upstream.url()
    ))
    .await
}

fn chat(model: &str) -> serde_json::Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hi"}]})
}

#[tokio::test]
async fn health_needs_no_key_and_calls_do() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let gw = gateway(&upstream).await;
    assert_eq!(send("GET", &gw.url("/healthz"), &[], "").await.status, 200);
    assert_eq!(send("GET", &gw.url("/readyz"), &[], "").await.status, 200);

    let reply = send(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[],
        &chat("gpt-test").to_string(),
    )
    .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.json()["error"]["type"], "authentication_error");

    let reply = send(
        "POST",
        &gw.url("/v1/messages"),
        &[("x-api-key", "wrong")],
        "{}",
    )
    .await;
    assert_eq!(reply.status, 401);
    let body = reply.json();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");
    assert!(
        !reply.text().contains("wrong"),
        "the presented key is never echoed"
    );

    let reply = send("GET", &gw.url("/v1/models"), &[("api-key", "nope")], "").await;
    assert_eq!(reply.status, 401);
    assert_eq!(upstream.calls(), 0);
}

#[tokio::test]
async fn every_key_header_style_works() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let gw = gateway(&upstream).await;
    let bearer = format!("Bearer {KEY}");
    for header in [
        ("authorization", bearer.as_str()),
        ("x-api-key", KEY),
        ("api-key", KEY),
    ] {
        let reply = send("GET", &gw.url("/v1/models"), &[header], "").await;
        assert_eq!(reply.status, 200, "{header:?}");
    }
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_never_reach_the_upstream() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let gw = gateway(&upstream).await;

    let reply = post(&gw, "/v1/chat/completions", &json!({"messages": []})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["param"], "model");

    let auth = format!("Bearer {KEY}");
    let reply = send(
        "POST",
        &gw.url("/v1/chat/completions"),
        &[("authorization", &auth)],
        "{not json",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");

    let reply = post(
        &gw,
        "/v1/chat/completions",
        &json!({"model": 42, "messages": []}),
    )
    .await;
    assert_eq!(reply.status, 400);

    let reply = post(&gw, "/v1/chat/completions", &chat("nope")).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], "model_not_found");

    let reply = post(&gw, "/v1/chat/completions", &chat("other")).await;
    assert_eq!(
        reply.status, 403,
        "the key's scope does not include `other`"
    );

    let big =
        json!({"model": "gpt-test", "messages": [{"role": "user", "content": "x".repeat(4096)}]});
    let reply = post(&gw, "/v1/chat/completions", &big).await;
    assert_eq!(reply.status, 413);

    let reply = send("GET", &gw.url("/v1/nothing"), &[], "").await;
    assert_eq!(reply.status, 404);
    assert_eq!(upstream.calls(), 0);
}

#[tokio::test]
async fn models_list_only_what_the_key_may_use() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let gw = gateway(&upstream).await;
    let auth = format!("Bearer {KEY}");
    let reply = send(
        "GET",
        &gw.url("/v1/models"),
        &[("authorization", &auth)],
        "",
    )
    .await;
    let body = reply.json();
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["gpt-test"]);

    let reply = send(
        "GET",
        &gw.url("/v1/models"),
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        "",
    )
    .await;
    let body = reply.json();
    assert_eq!(body["data"][0]["type"], "model");
    assert_eq!(body["has_more"], false);

    let reply = send(
        "GET",
        &gw.url("/v1/models/other"),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(
        reply.status, 404,
        "a model outside the key's scope does not exist for it"
    );
    let reply = send(
        "GET",
        &gw.url("/v1/models/gpt-test"),
        &[("authorization", &auth)],
        "",
    )
    .await;
    assert_eq!(reply.json()["id"], "gpt-test");
}

#[tokio::test]
async fn every_call_is_in_the_call_log() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let mut gw = gateway(&upstream).await;
    let reply = post(&gw, "/v1/chat/completions", &chat("nope")).await;
    let id = reply.header("x-request-id").unwrap().to_string();
    let calls = gw.calls().await;
    let record = calls
        .iter()
        .find(|c| c.request_id == id)
        .expect("the failed call is logged");
    assert_eq!(record.status, 404);
    assert_eq!(record.key_name.as_deref(), Some("tester"));
    assert_eq!(record.error_kind.as_deref(), Some("unknown_model"));
    assert_eq!(record.inbound_api, "openai.chat");
}

#[tokio::test]
async fn metrics_count_calls_with_bounded_labels() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    let gw = gateway(&upstream).await;
    // An unknown model must not become a label value: it is counted as `unknown`.
    post(&gw, "/v1/chat/completions", &chat("some-free-text-model")).await;
    let text = send("GET", &gw.url("/metrics"), &[], "").await.text();
    assert!(text.contains("portcullis_requests_total"), "{text}");
    assert!(!text.contains("some-free-text-model"));
    assert!(text.contains(r#"model="unknown""#));
    assert!(text.contains("portcullis_inflight_requests"));
}
