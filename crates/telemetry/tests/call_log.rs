//! The call log's queue and writer: batching, flush timing, shutdown, drops, retries.
//! Timing tests run on Tokio's paused clock against an in-memory fake store, so they are exact
//! and take no wall time; the last tests write to real SQLite.

mod support;

use std::time::Duration;

use portcullis_store::{CallQuery, Store};
use portcullis_telemetry::{CallLog, CallLogOptions, CallLogStats};
use support::{FakeStore, call, ids};
use tokio::time::{Instant, sleep};

fn options(queue_capacity: usize, batch_size: usize, flush_interval: Duration) -> CallLogOptions {
    CallLogOptions {
        queue_capacity,
        batch_size,
        flush_interval,
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn many_records_become_few_full_transactions() {
    let store = FakeStore::default();
    let (log, writer) = CallLog::start(store.clone(), options(2_000, 100, HOUR));
    for n in 0..1_000 {
        log.record(call(n));
    }
    // Let the writer run; full batches do not wait for the flush interval.
    sleep(Duration::from_millis(1)).await;
    assert_eq!(store.batch_sizes(), [100; 10]);
    let expected: Vec<String> = (0..1_000).map(|n| format!("req-{n}")).collect();
    assert_eq!(ids(&store.records()), expected);

    let stats = writer.shutdown().await;
    assert_eq!(
        stats,
        CallLogStats {
            written: 1_000,
            batches: 10,
            ..CallLogStats::default()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_partial_batch_is_written_one_flush_interval_after_its_first_record() {
    let store = FakeStore::default();
    let (log, writer) =
        CallLog::start(store.clone(), options(100, 100, Duration::from_millis(200)));
    let start = Instant::now();
    log.record(call(1));
    sleep(Duration::from_millis(50)).await;
    log.record(call(2));
    log.record(call(3));
    sleep(Duration::from_millis(149)).await;
    assert!(
        store.batch_sizes().is_empty(),
        "written before the interval passed"
    );

    sleep(Duration::from_millis(2)).await;
    assert_eq!(store.batch_sizes(), [3]);
    assert_eq!(store.attempts()[0] - start, Duration::from_millis(200));

    // The next record starts a new interval of its own.
    log.record(call(4));
    sleep(Duration::from_millis(199)).await;
    assert_eq!(store.batch_sizes(), [3]);
    sleep(Duration::from_millis(2)).await;
    assert_eq!(store.batch_sizes(), [3, 1]);
    writer.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_batch_completed_while_the_writer_waits_is_written_at_once() {
    let store = FakeStore::default();
    let (log, writer) = CallLog::start(store.clone(), options(100, 10, HOUR));
    log.record(call(0));
    // The writer holds one record and waits for its deadline, an hour away.
    sleep(Duration::from_millis(1)).await;
    for n in 1..=8 {
        log.record(call(n));
        sleep(Duration::from_millis(1)).await;
        assert!(
            store.batch_sizes().is_empty(),
            "written before the batch was full"
        );
    }
    log.record(call(9));
    sleep(Duration::from_millis(1)).await;
    assert_eq!(store.batch_sizes(), [10]);
    for n in 10..=14 {
        log.record(call(n));
    }
    sleep(Duration::from_millis(1)).await;
    assert_eq!(store.batch_sizes(), [10]);
    writer.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_idle_writer_does_not_write_empty_batches() {
    let store = FakeStore::default();
    let (_log, writer) = CallLog::start(store.clone(), options(100, 10, Duration::from_millis(10)));
    sleep(Duration::from_secs(60)).await;
    assert!(store.attempts().is_empty());
    assert_eq!(writer.shutdown().await, CallLogStats::default());
}

#[tokio::test(start_paused = true)]
async fn shutdown_writes_everything_queued_then_refuses_more() {
    let store = FakeStore::default();
    let (log, writer) = CallLog::start(store.clone(), options(10_000, 256, HOUR));
    for n in 0..1_000 {
        log.record(call(n));
    }
    let stats = writer.shutdown().await;
    assert_eq!(stats.written, 1_000);
    assert_eq!(store.batch_sizes(), [256, 256, 256, 232]);
    assert_eq!(stats.not_written(), 0);

    log.record(call(1_000));
    assert_eq!(log.stats().dropped_closed, 1);
    assert_eq!(store.records().len(), 1_000);
}

#[tokio::test(start_paused = true)]
async fn shutdown_flushes_a_partial_batch_the_writer_was_gathering() {
    let store = FakeStore::default();
    let (log, writer) = CallLog::start(store.clone(), options(100, 50, HOUR));
    log.record(call(1));
    log.record(call(2));
    sleep(Duration::from_millis(10)).await;
    assert!(store.batch_sizes().is_empty());
    let stats = writer.shutdown().await;
    assert_eq!(stats.written, 2);
    assert_eq!(ids(&store.records()), ["req-1", "req-2"]);
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_drops_and_counts_without_blocking() {
    let store = FakeStore::stalled();
    let (log, writer) = CallLog::start(store.clone(), options(10, 1, HOUR));
    log.record(call(0));
    // The writer now holds record 0 in a write that cannot finish: the queue is empty.
    store.entered().await;
    for n in 1..=15 {
        log.record(call(n));
    }
    let stats = log.stats();
    assert_eq!(stats.dropped_queue_full, 5);
    assert_eq!(stats.written, 0);

    store.release();
    let stats = writer.shutdown().await;
    assert_eq!(stats.written, 11);
    assert_eq!(stats.dropped_queue_full, 5);
    let expected: Vec<String> = (0..=10).map(|n| format!("req-{n}")).collect();
    assert_eq!(ids(&store.records()), expected);
}

#[tokio::test(start_paused = true)]
async fn a_failed_write_is_retried_with_doubling_backoff() {
    let store = FakeStore::failing(2);
    let (log, writer) = CallLog::start(store.clone(), options(100, 1, HOUR));
    log.record(call(1));
    sleep(Duration::from_secs(10)).await;

    let attempts = store.attempts();
    let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(
        gaps,
        [Duration::from_millis(200), Duration::from_millis(400)]
    );
    assert_eq!(ids(&store.records()), ["req-1"]);
    let stats = writer.shutdown().await;
    assert_eq!(
        stats,
        CallLogStats {
            written: 1,
            batches: 1,
            write_errors: 2,
            ..CallLogStats::default()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_batch_that_never_writes_is_counted_as_lost_and_the_writer_goes_on() {
    let store = FakeStore::failing(5);
    let (log, writer) = CallLog::start(store.clone(), options(100, 2, HOUR));
    log.record(call(1));
    log.record(call(2));
    sleep(Duration::from_secs(10)).await;

    let attempts = store.attempts();
    let gaps: Vec<u128> = attempts
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    assert_eq!(gaps, [200, 400, 800, 1600]);
    let stats = log.stats();
    assert_eq!(
        (stats.lost_write_failed, stats.write_errors, stats.written),
        (2, 5, 0)
    );

    // The store recovered: later records are written.
    log.record(call(3));
    log.record(call(4));
    sleep(Duration::from_millis(1)).await;
    assert_eq!(ids(&store.records()), ["req-3", "req-4"]);
    let stats = writer.shutdown().await;
    assert_eq!(
        (stats.written, stats.lost_write_failed, stats.not_written()),
        (2, 2, 2)
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_a_dead_database_does_not_retry_every_batch() {
    let store = FakeStore::failing(u32::MAX);
    let (log, writer) = CallLog::start(store.clone(), options(100, 10, HOUR));
    for n in 0..30 {
        log.record(call(n));
    }
    let start = Instant::now();
    let stats = writer.shutdown().await;
    // First batch: 1 try + 4 retries (3 s of backoff); the other two: one try each.
    assert_eq!(store.attempts().len(), 5 + 1 + 1);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(
        (stats.lost_write_failed, stats.write_errors, stats.written),
        (30, 7, 0)
    );
}

#[tokio::test]
async fn a_disabled_log_keeps_nothing() {
    let log = CallLog::disabled();
    assert!(!log.is_enabled());
    log.record(call(1));
    assert_eq!(log.stats(), CallLogStats::default());
}

#[tokio::test]
async fn records_reach_sqlite_newest_first() {
    let store = Store::open_in_memory().await.unwrap();
    let (log, writer) = CallLog::start(store.clone(), options(1_000, 64, Duration::from_millis(5)));
    assert!(log.is_enabled());
    for n in 0..300 {
        log.record(call(n));
    }
    let stats = writer.shutdown().await;
    assert_eq!(stats.written, 300);
    let query = CallQuery {
        limit: Some(1_000),
        ..CallQuery::default()
    };
    let stored = store.recent_calls(&query).await.unwrap();
    let expected: Vec<String> = (0..300).rev().map(|n| format!("req-{n}")).collect();
    assert_eq!(ids(&stored), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_senders_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("calls.db").display());
    let store = Store::open(&url).await.unwrap();
    let (log, writer) = CallLog::start(store.clone(), CallLogOptions::default());
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..8 {
        let log = log.clone();
        senders.spawn(async move {
            for n in 0..500 {
                log.record(call(sender * 1_000 + n));
                if n % 50 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.unwrap();
    }
    let stats = writer.shutdown().await;
    assert_eq!(stats.written, 4_000);
    assert_eq!(stats.not_written(), 0);
    assert!(stats.batches >= 4_000 / 256, "{stats:?}");

    // Every started_at is distinct here, so paging by `before` neither skips nor repeats.
    let mut total = 0;
    let mut before = None;
    loop {
        let query = CallQuery {
            limit: Some(1_000),
            before,
            ..CallQuery::default()
        };
        let page = store.recent_calls(&query).await.unwrap();
        total += page.len();
        match page.last() {
            Some(last) if page.len() == 1_000 => before = Some(last.started_at),
            _ => break,
        }
    }
    assert_eq!(total, 4_000);
    store.close().await;
}
