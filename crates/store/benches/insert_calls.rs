//! Call-log write throughput: batches of 256 records (the default batch size) into a SQLite
//! file in WAL mode, as the call-log writer does it. Throughput is reported in rows/s.
//!
//! Each batch is new, with increasing times and request ids, as in production (the gateway's
//! ids are UUIDv7): re-inserting one batch would scatter every index insert across the tree
//! and measure a workload that does not exist.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that cannot set up or write has nothing to measure: stop loudly"
)]

use std::cell::Cell;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use portcullis_store::{CallQuery, CallRecord, Store};

const BATCH: usize = 256;

fn record(i: usize) -> CallRecord {
    CallRecord {
        request_id: format!("req-{i:016x}"),
        started_at: 1_750_000_000_000 + i64::try_from(i).unwrap_or(0),
        key_name: Some(format!("team-{}", i % 8)),
        inbound_api: "openai.chat".into(),
        model: Some("gpt-4o-mini".into()),
        route: Some("gpt-4o-mini".into()),
        provider: Some(["openai", "azure-eu", "claude"][i % 3].into()),
        upstream_model: Some("gpt-4o-mini-2024-07-18".into()),
        status: if i.is_multiple_of(50) { 502 } else { 200 },
        error_kind: (i.is_multiple_of(50)).then(|| "upstream_error".into()),
        stream: i.is_multiple_of(2),
        latency_ms: 812.5,
        ttfb_ms: Some(240.25),
        upstream_ms: Some(790.0),
        prompt_tokens: Some(1200),
        completion_tokens: Some(310),
        cached_tokens: Some(1024),
        attempts: 1,
        client_ip: Some("10.1.2.3".into()),
        user_agent: Some("OpenAI/Python 1.54.0".into()),
        finish_reason: Some("stop".into()),
        request_bytes: Some(5400),
        response_bytes: Some(1800),
        config_generation: Some(3),
        ..CallRecord::default()
    }
}

fn insert_batches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = runtime.block_on(Store::open(&url)).unwrap();
    let next = Cell::new(0);
    let fresh_batch = || {
        let first = next.get();
        next.set(first + BATCH);
        (first..first + BATCH).map(record).collect::<Vec<_>>()
    };

    let mut group = c.benchmark_group("call_log_sqlite");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("insert_batch_256", |b| {
        b.iter_batched(
            fresh_batch,
            |batch| runtime.block_on(store.insert_calls(&batch)).unwrap(),
            BatchSize::SmallInput,
        );
    });
    group.finish();

    let mut group = c.benchmark_group("call_log_sqlite_query");
    let query = CallQuery {
        provider: Some("azure-eu".into()),
        ..CallQuery::default()
    };
    group.bench_function("recent_50_by_provider", |b| {
        b.iter(|| runtime.block_on(store.recent_calls(&query)).unwrap());
    });
    group.finish();
    runtime.block_on(store.close());
}

criterion_group!(benches, insert_batches);
criterion_main!(benches);
