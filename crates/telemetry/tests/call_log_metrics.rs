//! The call log's own metrics. Alone in its test binary: these series have no labels to tell
//! tests apart, so no other test may move them.

mod support;

use std::time::Duration;

use portcullis_telemetry::metrics;
use portcullis_telemetry::{CallLog, CallLogOptions};
use support::prometheus::sample;
use support::{FakeStore, call};
use tokio::time::sleep;

#[tokio::test(start_paused = true)]
async fn drops_failures_and_writes_are_all_counted() {
    let handle = metrics::install_recorder().unwrap();
    // Five failed attempts lose the first batch; later ones succeed.
    let store = FakeStore::failing(5);
    let options = CallLogOptions {
        queue_capacity: 2,
        batch_size: 1,
        flush_interval: Duration::ZERO,
    };
    let (log, writer) = CallLog::start(store, options);
    log.record(call(0));
    // The writer takes record 0 and backs off after its first failure; the queue holds two.
    sleep(Duration::from_millis(1)).await;
    for n in 1..=5 {
        log.record(call(n));
    }
    sleep(Duration::from_secs(10)).await;
    writer.shutdown().await;
    log.record(call(6));

    let text = handle.render();
    let dropped = |reason| {
        sample(
            &text,
            "portcullis_call_log_dropped_total",
            &[("reason", reason)],
        )
    };
    assert_eq!(dropped("queue_full"), Some(3.0));
    assert_eq!(dropped("write_failed"), Some(1.0));
    assert_eq!(dropped("closed"), Some(1.0));
    assert_eq!(
        sample(&text, "portcullis_call_log_write_errors_total", &[]),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "portcullis_call_log_written_total", &[]),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, "portcullis_call_log_queue_depth", &[]),
        Some(0.0)
    );
}
