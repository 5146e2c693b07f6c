//! The SQLite call log through the public `Store` API, on real files and in memory.
#![expect(
    clippy::unwrap_used,
    reason = "shared test helpers outside #[test] fns: a failed setup is a failed test"
)]

use portcullis_store::{CallQuery, CallRecord, StatusFilter, Store, StoreError};
use sqlx::Row;

fn record(request_id: &str, started_at: i64) -> CallRecord {
    CallRecord {
        request_id: request_id.to_owned(),
        started_at,
        inbound_api: "openai.chat".into(),
        status: 200,
        latency_ms: 10.0,
        attempts: 1,
        ..CallRecord::default()
    }
}

fn full_record() -> CallRecord {
    CallRecord {
        request_id: "req-full".into(),
        started_at: 1_750_000_000_123,
        key_name: Some("team-a".into()),
        inbound_api: "anthropic.messages".into(),
        model: Some("smart".into()),
        route: Some("smart".into()),
        provider: Some("claude".into()),
        upstream_model: Some("claude-sonnet-4".into()),
        status: 504,
        error_kind: Some("upstream_timeout".into()),
        error_message: Some("provider claude did not answer within 30s".into()),
        stream: true,
        latency_ms: 30_001.5,
        ttfb_ms: Some(12.25),
        upstream_ms: Some(30_000.0),
        prompt_tokens: Some(1_000),
        completion_tokens: Some(0),
        cached_tokens: Some(512),
        attempts: 3,
        dropped_fields: Some("logit_bias, seed".into()),
        client_ip: Some("192.0.2.7".into()),
        user_agent: Some("Anthropic/Python 0.40.0".into()),
        finish_reason: None,
        request_bytes: Some(2048),
        response_bytes: Some(96),
        config_generation: Some(7),
    }
}

fn ids(records: &[CallRecord]) -> Vec<&str> {
    records.iter().map(|r| r.request_id.as_str()).collect()
}

async fn file_store() -> (tempfile::TempDir, String, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}",
        dir.path().join("nested/folder/calls.db").display()
    );
    let store = Store::open(&url).await.unwrap();
    (dir, url, store)
}

#[tokio::test]
async fn open_creates_folder_and_file_applies_migrations_and_uses_wal() {
    let (dir, url, store) = file_store().await;
    assert!(dir.path().join("nested/folder/calls.db").is_file());

    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&raw)
            .await
            .unwrap();
    assert_eq!(versions, [1]);
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls' \
         AND name LIKE 'calls_%' ORDER BY name",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(
        indexes,
        [
            "calls_key_name",
            "calls_model",
            "calls_provider",
            "calls_request_id",
            "calls_started_at",
            "calls_status"
        ]
    );
    raw.close().await;
    store.close().await;
}

#[tokio::test]
async fn reopening_keeps_rows_and_does_not_reapply_migrations() {
    let (_dir, url, store) = file_store().await;
    store.insert_calls(&[record("a", 1)]).await.unwrap();
    store.close().await;

    let store = Store::open(&url).await.unwrap();
    store.insert_calls(&[record("b", 2)]).await.unwrap();
    let calls = store.recent_calls(&CallQuery::default()).await.unwrap();
    assert_eq!(ids(&calls), ["b", "a"]);
    store.close().await;
}

#[tokio::test]
async fn every_field_round_trips() {
    let store = Store::open_in_memory().await.unwrap();
    let minimal = record("req-min", 1_750_000_000_000);
    store
        .insert_calls(&[full_record(), minimal.clone()])
        .await
        .unwrap();
    let calls = store.recent_calls(&CallQuery::default()).await.unwrap();
    assert_eq!(calls, [full_record(), minimal]);
}

#[tokio::test]
async fn large_batches_keep_every_field_and_their_order() {
    // Larger than one multi-row statement, with a remainder: both insert paths run.
    let store = Store::open_in_memory().await.unwrap();
    let batch: Vec<CallRecord> = (0..200)
        .map(|i| CallRecord {
            request_id: format!("req-{i}"),
            started_at: 1_000,
            prompt_tokens: Some(i),
            ..full_record()
        })
        .collect();
    store.insert_calls(&batch).await.unwrap();
    let query = CallQuery {
        limit: Some(1_000),
        ..CallQuery::default()
    };
    let mut stored = store.recent_calls(&query).await.unwrap();
    stored.reverse();
    assert_eq!(stored, batch);
}

#[tokio::test]
async fn in_memory_stores_are_private() {
    let one = Store::open_in_memory().await.unwrap();
    let two = Store::open_in_memory().await.unwrap();
    one.insert_calls(&[record("only-in-one", 1)]).await.unwrap();
    assert!(
        two.recent_calls(&CallQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    // A clone shares the database.
    let calls = one
        .clone()
        .recent_calls(&CallQuery::default())
        .await
        .unwrap();
    assert_eq!(ids(&calls), ["only-in-one"]);
}

#[tokio::test]
async fn oversized_text_is_truncated_on_a_char_boundary() {
    let store = Store::open_in_memory().await.unwrap();
    let mut long = record("req-long", 1);
    long.user_agent = Some("é".repeat(1000));
    long.error_message = Some("x".repeat(5000));
    long.model = Some("m".repeat(300));
    store.insert_calls(&[long]).await.unwrap();
    let stored = store
        .recent_calls(&CallQuery::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(stored.user_agent, Some("é".repeat(128)));
    assert_eq!(stored.error_message.map(|m| m.len()), Some(1024));
    assert_eq!(stored.model.map(|m| m.len()), Some(256));
}

#[tokio::test]
async fn a_failing_row_rolls_back_its_whole_batch() {
    let (_dir, url, store) = file_store().await;
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER poison BEFORE INSERT ON calls WHEN NEW.request_id = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
    )
    .execute(&raw)
    .await
    .unwrap();

    let batch = [record("ok-1", 1), record("poison", 2), record("ok-3", 3)];
    let err = store.insert_calls(&batch).await.unwrap_err();
    assert!(matches!(err, StoreError::Query(_)), "{err:?}");
    assert!(
        store
            .recent_calls(&CallQuery::default())
            .await
            .unwrap()
            .is_empty()
    );

    // The connection is usable again afterwards.
    store.insert_calls(&[record("ok-4", 4)]).await.unwrap();
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM calls")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(count, 1);
    raw.close().await;
    store.close().await;
}

#[tokio::test]
async fn concurrent_writers_lose_nothing() {
    let (_dir, url, store) = file_store().await;
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..8 {
        let store = store.clone();
        writers.spawn(async move {
            for batch in 0..10 {
                let records: Vec<_> = (0..50)
                    .map(|i| record(&format!("w{writer}-b{batch}-{i}"), i64::from(i)))
                    .collect();
                store.insert_calls(&records).await.unwrap();
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let row = sqlx::query("SELECT count(*) AS n, count(DISTINCT request_id) AS d FROM calls")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(row.get::<i64, _>("n"), 8 * 10 * 50);
    assert_eq!(row.get::<i64, _>("d"), 8 * 10 * 50);
    raw.close().await;
    store.close().await;
}

#[tokio::test]
async fn empty_batch_is_a_no_op() {
    let store = Store::open_in_memory().await.unwrap();
    store.insert_calls(&[]).await.unwrap();
    assert!(
        store
            .recent_calls(&CallQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn unsupported_and_invalid_urls_are_rejected_without_echoing_them() {
    let err = Store::open("postgres://admin:hunter2@db/portcullis")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl { ref scheme } if scheme == "postgres"));
    assert!(!err.to_string().contains("hunter2"));

    let err = Store::open("sqlite://x.db?mode=bogus").await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl(_)), "{err:?}");
}

/// Rows for the filter tests: (request id, started_at, status, model, key, provider, route).
async fn seeded() -> Store {
    let store = Store::open_in_memory().await.unwrap();
    let rows = [
        ("r1", 1_000, 200, "gpt-4o", "team-a", "openai", "gpt-4o"),
        ("r2", 2_000, 429, "gpt-4o", "team-b", "openai", "gpt-4o"),
        ("r3", 3_000, 502, "claude", "team-a", "claude", "smart"),
        ("r4", 4_000, 200, "claude", "team-b", "claude", "smart"),
        ("r5", 5_000, 504, "gpt-4o", "team-a", "azure", "gpt-4o"),
        ("r6", 5_000, 401, "gpt-4o", "team-c", "openai", "gpt-4o"),
    ];
    let records: Vec<_> = rows
        .iter()
        .map(
            |&(id, at, status, model, key, provider, route)| CallRecord {
                status,
                model: Some(model.into()),
                key_name: Some(key.into()),
                provider: Some(provider.into()),
                route: Some(route.into()),
                ..record(id, at)
            },
        )
        .collect();
    store.insert_calls(&records).await.unwrap();
    store
}

async fn query(store: &Store, query: CallQuery) -> Vec<String> {
    let calls = store.recent_calls(&query).await.unwrap();
    calls.into_iter().map(|r| r.request_id).collect()
}

#[tokio::test]
async fn newest_first_with_insertion_order_breaking_ties() {
    let store = seeded().await;
    assert_eq!(
        query(&store, CallQuery::default()).await,
        ["r6", "r5", "r4", "r3", "r2", "r1"]
    );
}

#[tokio::test]
async fn each_filter_narrows_and_filters_combine() {
    let store = seeded().await;
    let q = |f: fn(&mut CallQuery)| {
        let mut q = CallQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        query(&store, q(|q| q.status = Some(StatusFilter::Exact(200)))).await,
        ["r4", "r1"]
    );
    assert_eq!(
        query(&store, q(|q| q.status = Some(StatusFilter::Class(5)))).await,
        ["r5", "r3"]
    );
    assert_eq!(
        query(&store, q(|q| q.status = Some(StatusFilter::Errors))).await,
        ["r6", "r5", "r3", "r2"]
    );
    assert_eq!(
        query(&store, q(|q| q.model = Some("claude".into()))).await,
        ["r4", "r3"]
    );
    assert_eq!(
        query(&store, q(|q| q.route = Some("smart".into()))).await,
        ["r4", "r3"]
    );
    assert_eq!(
        query(&store, q(|q| q.key_name = Some("team-a".into()))).await,
        ["r5", "r3", "r1"]
    );
    assert_eq!(
        query(&store, q(|q| q.provider = Some("azure".into()))).await,
        ["r5"]
    );
    assert_eq!(
        query(&store, q(|q| q.request_id = Some("r2".into()))).await,
        ["r2"]
    );
    assert_eq!(
        query(&store, q(|q| q.since = Some(4_000))).await,
        ["r6", "r5", "r4"]
    );
    assert_eq!(
        query(&store, q(|q| q.before = Some(3_000))).await,
        ["r2", "r1"]
    );
    assert_eq!(
        query(
            &store,
            q(|q| {
                q.model = Some("gpt-4o".into());
                q.key_name = Some("team-a".into());
                q.status = Some(StatusFilter::Errors);
                q.since = Some(2_000);
                q.before = Some(6_000);
            })
        )
        .await,
        ["r5"]
    );
    assert!(
        query(&store, q(|q| q.model = Some("nope".into())))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn limit_applies_after_ordering_and_is_capped() {
    let store = seeded().await;
    let two = CallQuery {
        limit: Some(2),
        ..CallQuery::default()
    };
    assert_eq!(query(&store, two).await, ["r6", "r5"]);
    let none = CallQuery {
        limit: Some(0),
        ..CallQuery::default()
    };
    assert!(query(&store, none).await.is_empty());

    let many: Vec<_> = (0..1_100)
        .map(|i| record(&format!("bulk-{i}"), 10_000 + i))
        .collect();
    store.insert_calls(&many).await.unwrap();
    assert_eq!(
        store
            .recent_calls(&CallQuery::default())
            .await
            .unwrap()
            .len(),
        50
    );
    let huge = CallQuery {
        limit: Some(u32::MAX),
        ..CallQuery::default()
    };
    assert_eq!(store.recent_calls(&huge).await.unwrap().len(), 1_000);
}

#[tokio::test]
async fn filtered_queries_use_their_index() {
    let (_dir, url, store) = file_store().await;
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    for (filter, index) in [
        ("key_name = 'a'", "calls_key_name"),
        ("model = 'a'", "calls_model"),
        ("provider = 'a'", "calls_provider"),
        ("request_id = 'a'", "calls_request_id"),
        ("status >= 500 AND status < 600", "calls_status"),
        ("started_at >= 5", "calls_started_at"),
    ] {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT * FROM calls WHERE {filter} \
             ORDER BY started_at DESC, id DESC LIMIT 50"
        );
        let plan: Vec<String> = sqlx::query(&sql)
            .fetch_all(&raw)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<String, _>("detail"))
            .collect();
        assert!(
            plan.iter().any(|step| step.contains(index)),
            "{filter}: {plan:?}"
        );
    }
    raw.close().await;
    store.close().await;
}
