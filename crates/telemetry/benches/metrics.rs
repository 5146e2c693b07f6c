//! Per-request telemetry cost on the hot path, with the Prometheus recorder installed:
//! the label-resolving helpers against pre-resolved `RouteMetrics`, the in-flight guard, and
//! `CallLog::record` (one `try_send` into a queue a writer is draining).

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark that cannot set up has nothing to measure: stop loudly"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use portcullis_store::{CallQuery, CallRecord, CallStore, StoreError};
use portcullis_telemetry::metrics::{self, InflightGauge, RouteMetrics, RouteMetricsCache};
use portcullis_telemetry::{CallLog, CallLogOptions};

const API: &str = "openai.chat";
const DURATION: Duration = Duration::from_millis(812);
/// The default call-log batch size.
const BATCH: u64 = 256;

fn per_request_metrics(c: &mut Criterion) {
    let handle = metrics::install_recorder().unwrap();
    let mut group = c.benchmark_group("metrics");

    group.bench_function("record_request (labels resolved per call)", |b| {
        b.iter(|| {
            metrics::record_request(API, black_box("gpt-4o"), black_box("openai"), 200, DURATION)
        });
    });
    let route = RouteMetrics::new(API, "gpt-4o", "openai");
    group.bench_function("RouteMetrics::record_request", |b| {
        b.iter(|| route.record_request(black_box(200), DURATION));
    });

    group.bench_function(
        "whole call via helpers (request, ttft, upstream, tokens)",
        |b| {
            b.iter(|| {
                let (model, provider) = (black_box("gpt-4o"), black_box("openai"));
                metrics::record_request(API, model, provider, 200, DURATION);
                metrics::record_ttft(API, provider, DURATION);
                metrics::record_upstream_duration(provider, DURATION);
                metrics::record_tokens(provider, model, 1200, 310, 1024);
            });
        },
    );
    group.bench_function("whole call via RouteMetrics", |b| {
        b.iter(|| {
            route.record_request(black_box(200), DURATION);
            route.record_ttft(DURATION);
            route.record_upstream_duration(DURATION);
            route.record_tokens(1200, 310, 1024);
        });
    });

    let cache = RouteMetricsCache::new();
    group.bench_function("whole call via RouteMetricsCache lookup", |b| {
        b.iter(|| {
            let route = cache.get(API, black_box("gpt-4o"), black_box("openai"));
            route.record_request(black_box(200), DURATION);
            route.record_ttft(DURATION);
            route.record_upstream_duration(DURATION);
            route.record_tokens(1200, 310, 1024);
        });
    });

    group.bench_function("inflight guard via metrics::inflight", |b| {
        b.iter(|| drop(black_box(metrics::inflight(API))));
    });
    let inflight = InflightGauge::new(API);
    group.bench_function("inflight guard via InflightGauge", |b| {
        b.iter(|| drop(black_box(inflight.enter())));
    });
    group.finish();
    // Keep the histogram buffers from growing across the run.
    handle.run_upkeep();
}

/// Accepts every batch and keeps nothing: isolates the queue from the database.
struct DiscardStore;

impl CallStore for DiscardStore {
    async fn insert_calls(&self, _batch: &[CallRecord]) -> Result<(), StoreError> {
        Ok(())
    }

    async fn recent_calls(&self, _query: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        Ok(Vec::new())
    }
}

fn call_log_record(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let options = CallLogOptions {
        queue_capacity: 1 << 20,
        ..CallLogOptions::default()
    };
    let (log, writer) = runtime.block_on(async { CallLog::start(DiscardStore, options) });
    let record = CallRecord {
        request_id: "0192f0c1-7c2e-7000-8000-000000000001".into(),
        inbound_api: API.into(),
        model: Some("gpt-4o".into()),
        provider: Some("openai".into()),
        status: 200,
        ..CallRecord::default()
    };
    // One iteration is a burst of one batch of records, timed; the writer catches up untimed
    // before the next. That is the steady state of a busy gateway (the writer wakes once per
    // batch), and keeps a producer that outruns the writer from measuring a growing queue or
    // drops instead of sends.
    let mut group = c.benchmark_group("call_log");
    group.throughput(Throughput::Elements(BATCH));
    let mut sent = 0;
    group.bench_function(
        "CallLog::record, bursts of 256 (clone of a record + try_send)",
        |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    for _ in 0..BATCH {
                        log.record(black_box(record.clone()));
                    }
                    timed += start.elapsed();
                    sent += BATCH;
                    while log.stats().written + log.stats().not_written() < sent {
                        std::thread::yield_now();
                    }
                }
                timed
            });
        },
    );
    group.bench_function("CallRecord::clone alone, bursts of 256 (baseline)", |b| {
        b.iter(|| {
            for _ in 0..BATCH {
                drop(black_box(record.clone()));
            }
        });
    });
    group.finish();
    let stats = runtime.block_on(writer.shutdown());
    assert_eq!(
        stats.not_written(),
        0,
        "records were dropped: the figure would measure drops"
    );
}

criterion_group!(benches, per_request_metrics, call_log_record);
criterion_main!(benches);
