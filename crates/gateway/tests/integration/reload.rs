//! Live reload: a new configuration is swapped in whole; a broken one leaves the old in force.

use serde_json::json;

use crate::support::*;

fn config(model: &str, url: &str) -> String {
    format!(
        r#"
providers:
  up:
    type: openai_compatible
    base_url: {url}/v1
models:
  - name: {model}
    targets: [up]
api_keys:
  - name: tester
    key: sk-test-key
"#
    )
}

#[tokio::test]
async fn reload_swaps_whole_configurations_and_keeps_the_old_on_error() {
    let tasks = tokio_util::task::TaskTracker::new();
    let upstream = Upstream::start(&tasks).await;
    upstream.always(Scripted::raw(
        200,
        "application/json",
        r#"{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#,
    ));
    let gw = Gateway::start(&config("first", &upstream.url())).await;
    let dir = std::env::temp_dir().join(format!("portcullis-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("portcullis.yaml");
    let env = portcullis_config::MapEnv::default();
    let chat =
        |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "hi"}]});

    std::fs::write(&path, config("second", &upstream.url())).unwrap();
    assert!(portcullis_gateway::reload::reload(
        &gw.app, &path, &env, "test"
    ));
    assert_eq!(gw.app.snapshot().generation, 2);
    assert_eq!(
        post(&gw, "/v1/chat/completions", &chat("second"))
            .await
            .status,
        200
    );
    assert_eq!(
        post(&gw, "/v1/chat/completions", &chat("first"))
            .await
            .status,
        404
    );

    std::fs::write(&path, "models: [{name: broken, targets: [nowhere]}]\n").unwrap();
    assert!(!portcullis_gateway::reload::reload(
        &gw.app, &path, &env, "test"
    ));
    assert_eq!(
        gw.app.snapshot().generation,
        2,
        "the old configuration stays in force"
    );
    assert_eq!(
        post(&gw, "/v1/chat/completions", &chat("second"))
            .await
            .status,
        200
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
