//! Same-API calls: the body is forwarded with only the model name (and, for streams, the usage
//! request) changed; responses are forwarded and inspected for usage.

use serde_json::json;

use crate::support::*;

const COMPLETION: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-upstream-2024","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4}}}"#;

fn config(openai: &Upstream, anthropic: &Upstream) -> String {
    format!(
        r#"
providers:
  up:
    type: openai
    base_url: {}/v1
    api_key: sk-upstream
  claude:
    type: anthropic
    base_url: {}
    api_key: sk-ant-upstream
models:
  - name: gpt-test
    targets: [{{provider: up, model: gpt-upstream}}]
  - name: claude-test
    targets: [{{provider: claude, model: claude-upstream}}]
api_keys:
  - name: tester
    key: ${{TEST_KEY}}
"#,
        openai.url(),
        anthropic.url()
    )
}

#[tokio::test]
async fn openai_body_is_forwarded_with_the_upstream_model_and_credentials() {
    let tasks = tokio_util::task::TaskTracker::new();
    let openai = Upstream::start(&tasks).await;
    let anthropic = Upstream::start(&tasks).await;
    openai.always(Scripted::raw(200, "application/json", COMPLETION));
    let mut gw = Gateway::start(&config(&openai, &anthropic)).await;

    let request = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}],
                         "logit_bias": {"50256": -100}, "temperature": 0.2});
    let reply = post(&gw, "/v1/chat/completions", &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.text(),
        COMPLETION,
        "the response is forwarded byte for byte"
    );
    assert!(reply.header("x-request-id").is_some());

    let received = &openai.received()[0];
    assert_eq!(received.method, "POST");
    assert_eq!(received.path_and_query, "/v1/chat/completions");
    assert_eq!(received.headers["authorization"], "Bearer sk-upstream");
    assert_eq!(received.body["model"], "gpt-upstream");
    assert_eq!(
        received.body["logit_bias"],
        json!({"50256": -100}),
        "unknown fields pass"
    );
    assert_eq!(received.body["temperature"], 0.2);

    let calls = gw.calls().await;
    let call = &calls[0];
    assert_eq!(call.status, 200);
    assert_eq!(call.provider.as_deref(), Some("up"));
    assert_eq!(call.upstream_model.as_deref(), Some("gpt-upstream"));
    assert_eq!(call.prompt_tokens, Some(9));
    assert_eq!(call.completion_tokens, Some(3));
    assert_eq!(call.cached_tokens, Some(4));
}

const STREAM: [&str; 5] = [
    // Azure's opening chunk: content-filter results, no choices.
    "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}]}\n\n",
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n",
    "data: [DONE]\n\n",
];

#[tokio::test]
async fn streams_always_ask_for_usage_and_show_it_only_if_asked() {
    let tasks = tokio_util::task::TaskTracker::new();
    let openai = Upstream::start(&tasks).await;
    let anthropic = Upstream::start(&tasks).await;
    openai.always(Scripted::sse(&STREAM));
    let mut gw = Gateway::start(&config(&openai, &anthropic)).await;

    let request = json!({"model": "gpt-test", "stream": true, "messages": [{"role": "user", "content": "hi"}]});
    let reply = post(&gw, "/v1/chat/completions", &request).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let data = sse_data(&reply.text());
    assert_eq!(
        data.len(),
        3,
        "usage and filter-only chunks hidden: {data:?}"
    );
    assert_eq!(data.last().unwrap(), "[DONE]");
    assert_eq!(
        openai.received()[0].body["stream_options"],
        json!({"include_usage": true})
    );

    let request = json!({"model": "gpt-test", "stream": true, "stream_options": {"include_usage": true},
                         "messages": [{"role": "user", "content": "hi"}]});
    let reply = post(&gw, "/v1/chat/completions", &request).await;
    let data = sse_data(&reply.text());
    assert_eq!(
        data.len(),
        4,
        "usage chunk shown, filter-only chunk hidden: {data:?}"
    );
    assert!(data[2].contains("\"usage\""));

    let calls = gw.calls().await;
    assert_eq!(calls.len(), 2);
    for call in &calls {
        assert!(call.stream);
        assert_eq!(call.prompt_tokens, Some(5));
        assert_eq!(call.completion_tokens, Some(2));
        assert!(call.ttfb_ms.is_some());
    }
}

#[tokio::test]
async fn anthropic_body_is_forwarded_with_beta_headers() {
    let tasks = tokio_util::task::TaskTracker::new();
    let openai = Upstream::start(&tasks).await;
    let anthropic = Upstream::start(&tasks).await;
    anthropic.always(Scripted::json(200, json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-upstream",
        "content": [{"type": "text", "text": "Hello"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 0}
    })));
    let mut gw = Gateway::start(&config(&openai, &anthropic)).await;
    let reply = send(
        "POST",
        &gw.url("/v1/messages"),
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "tools-2024-04-04")],
        &json!({"model": "claude-test", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}).to_string(),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["content"][0]["text"], "Hello");
    let received = &anthropic.received()[0];
    assert_eq!(received.path_and_query, "/v1/messages");
    assert_eq!(received.headers["x-api-key"], "sk-ant-upstream");
    assert_eq!(received.headers["anthropic-version"], "2023-06-01");
    assert_eq!(received.headers["anthropic-beta"], "tools-2024-04-04");
    assert_eq!(received.body["model"], "claude-upstream");
    let calls = gw.calls().await;
    // Anthropic counts cache reads apart from input tokens; the log counts all prompt tokens.
    assert_eq!(calls[0].prompt_tokens, Some(15));
    assert_eq!(calls[0].cached_tokens, Some(5));
}
