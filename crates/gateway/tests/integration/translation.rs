//! Cross-API calls: the request is translated for the provider and the answer back for the
//! caller, streams included.

use serde_json::json;

use crate::support::*;

fn config(openai: &Upstream, anthropic: &Upstream, gemini: &Upstream, strict: bool) -> String {
    format!(
        r#"
translation: {}
providers:
  up:
    type: openai
    base_url: {}/v1
    api_key: sk-upstream
  claude:
    type: anthropic
    base_url: {}
    api_key: sk-ant-upstream
  gem:
    type: gemini
    base_url: {}
    api_key: gem-key
models:
  - name: claude-test
    targets: [{{provider: claude, model: claude-upstream}}]
  - name: gpt-test
    targets: [{{provider: up, model: gpt-upstream}}]
  - name: gemini-test
    targets: [{{provider: gem, model: gemini-upstream}}]
api_keys:
  - name: tester
    key: ${{TEST_KEY}}
"#,
        if strict { "strict" } else { "lenient" },
        openai.url(),
        anthropic.url(),
        gemini.url()
    )
}

async fn setup(strict: bool) -> (Gateway, Upstream, Upstream, Upstream) {
    let tasks = tokio_util::task::TaskTracker::new();
    let openai = Upstream::start(&tasks).await;
    let anthropic = Upstream::start(&tasks).await;
    let gemini = Upstream::start(&tasks).await;
    let gw = Gateway::start(&config(&openai, &anthropic, &gemini, strict)).await;
    (gw, openai, anthropic, gemini)
}

fn anthropic_message() -> serde_json::Value {
    json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-upstream",
        "content": [{"type": "text", "text": "Bonjour"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 3}
    })
}

#[tokio::test]
async fn openai_caller_anthropic_provider() {
    let (mut gw, _openai, anthropic, _gemini) = setup(false).await;
    anthropic.always(Scripted::json(200, anthropic_message()));
    let request = json!({
        "model": "claude-test",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hi in French"}],
        "logprobs": true
    });
    let reply = post(&gw, "/v1/chat/completions", &request).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["choices"][0]["message"]["content"], "Bonjour");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 12);
    assert_eq!(
        reply.header("x-portcullis-dropped-fields"),
        Some("logprobs")
    );

    let received = &anthropic.received()[0];
    assert_eq!(received.body["model"], "claude-upstream");
    assert_eq!(received.body["system"], "Be brief.");
    assert_eq!(received.body["messages"][0]["role"], "user");
    assert_eq!(
        received.body["max_tokens"], 4096,
        "the default max_tokens is supplied"
    );
    let calls = gw.calls().await;
    assert_eq!(calls[0].dropped_fields.as_deref(), Some("logprobs"));
    assert_eq!(calls[0].finish_reason.as_deref(), Some("stop"));
    assert!(calls[0].response_bytes.unwrap() > 100);
    assert!(calls[0].request_bytes.unwrap() > 50);
}

#[tokio::test]
async fn strict_translation_refuses_to_drop_fields() {
    let (gw, _openai, anthropic, _gemini) = setup(true).await;
    anthropic.always(Scripted::json(200, anthropic_message()));
    let request = json!({"model": "claude-test", "messages": [{"role": "user", "content": "hi"}], "logprobs": true});
    let reply = post(&gw, "/v1/chat/completions", &request).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("logprobs")
    );
    assert_eq!(anthropic.calls(), 0);
}

#[tokio::test]
async fn anthropic_caller_openai_provider_streaming() {
    let (mut gw, openai, _anthropic, _gemini) = setup(false).await;
    openai.always(Scripted::sse(&[
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-upstream\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-upstream\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-upstream\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n",
        "data: [DONE]\n\n",
    ]));
    let reply = send(
        "POST",
        &gw.url("/v1/messages"),
        &[("x-api-key", KEY), ("anthropic-version", "2023-06-01")],
        &json!({"model": "gpt-test", "max_tokens": 50, "stream": true, "system": "Be brief.",
                "messages": [{"role": "user", "content": "hi"}]})
        .to_string(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let events = sse_events(&reply.text());
    assert_eq!(events.first().map(String::as_str), Some("message_start"));
    assert_eq!(events.last().map(String::as_str), Some("message_stop"));
    assert!(events.iter().any(|e| e == "content_block_delta"));
    let received = &openai.received()[0];
    assert_eq!(
        received.body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(received.body["stream_options"]["include_usage"], true);
    let calls = gw.calls().await;
    assert_eq!(calls[0].completion_tokens, Some(2));
    assert_eq!(calls[0].finish_reason.as_deref(), Some("end_turn"));
    assert_eq!(calls[0].response_bytes, Some(reply.body.len() as u64));
}

#[tokio::test]
async fn openai_caller_gemini_provider() {
    let (gw, _openai, _anthropic, gemini) = setup(false).await;
    gemini.always(Scripted::json(200, json!({
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hallo"}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1, "totalTokenCount": 5},
        "modelVersion": "gemini-upstream"
    })));
    let reply = post(
        &gw,
        "/v1/chat/completions",
        &json!({"model": "gemini-test", "messages": [{"role": "user", "content": "hi"}]}),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["choices"][0]["message"]["content"], "Hallo");
    let received = &gemini.received()[0];
    assert_eq!(
        received.path_and_query,
        "/v1beta/models/gemini-upstream:generateContent"
    );
    assert_eq!(received.headers["x-goog-api-key"], "gem-key");
    assert_eq!(received.body["contents"][0]["parts"][0]["text"], "hi");
}
