//! The call-log sink: the request path hands each finished call's [`CallRecord`] to a bounded
//! queue without waiting; one writer task batches the queue into database transactions.
//!
//! What happens to a record, in order: [`CallLog::record`] puts it in the queue, or drops and
//! counts it when the queue is full (the database is not keeping up) or closed (shutdown is
//! over). The writer takes records as they come, writes a batch when it holds `batch_size`
//! records or `flush_interval` after its first record, retries a failed batch with backoff,
//! and counts the batch as lost when every attempt failed. [`CallLogWriter::shutdown`] closes
//! the queue and writes everything still in it. Every loss shows in
//! `portcullis_call_log_dropped_total{reason}` and in [`CallLogStats`]; none is silent.

mod writer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use portcullis_store::{CallRecord, CallStore};
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::metrics::CallLogMetrics;

/// How the call log queues and batches. `Default` gives the configuration defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallLogOptions {
    /// Records the queue holds before new ones are dropped (default 10 000; at least 1).
    pub queue_capacity: usize,
    /// Records per database transaction, at most (default 256; at least 1).
    pub batch_size: usize,
    /// The longest a record waits in a partial batch before it is written (default 200 ms).
    pub flush_interval: Duration,
}

impl Default for CallLogOptions {
    fn default() -> Self {
        Self {
            queue_capacity: 10_000,
            batch_size: 256,
            flush_interval: Duration::from_millis(200),
        }
    }
}

/// Counts of what became of the records handed to a call log since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallLogStats {
    /// Records written to the database.
    pub written: u64,
    /// Transactions that wrote them.
    pub batches: u64,
    /// Records dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Records dropped because they arrived after shutdown closed the queue.
    pub dropped_closed: u64,
    /// Records lost because every attempt to write their batch failed.
    pub lost_write_failed: u64,
    /// Failed write attempts (a batch written on its third try counts two).
    pub write_errors: u64,
}

impl CallLogStats {
    /// Every record that did not reach the database, whatever the reason.
    pub fn not_written(&self) -> u64 {
        self.dropped_queue_full + self.dropped_closed + self.lost_write_failed
    }
}

/// The counters behind [`CallLogStats`], shared by the senders and the writer.
#[derive(Debug, Default)]
struct Counters {
    written: AtomicU64,
    batches: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_closed: AtomicU64,
    lost_write_failed: AtomicU64,
    write_errors: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> CallLogStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CallLogStats {
            written: read(&self.written),
            batches: read(&self.batches),
            dropped_queue_full: read(&self.dropped_queue_full),
            dropped_closed: read(&self.dropped_closed),
            lost_write_failed: read(&self.lost_write_failed),
            write_errors: read(&self.write_errors),
        }
    }
}

/// Where the request path sends finished calls. Cheap to clone (one reference count); every
/// clone feeds the same queue.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    /// `None` when the call log is disabled.
    sender: Option<Arc<Sender>>,
}

#[derive(Debug)]
struct Sender {
    queue: mpsc::Sender<CallRecord>,
    /// How the writer asks to be woken when its batch can be completed.
    batch_signal: Arc<BatchSignal>,
    counters: Arc<Counters>,
    metrics: CallLogMetrics,
    warning: DropWarning,
}

impl CallLog {
    /// Starts the writer task on the current Tokio runtime and returns the sink and the handle
    /// that shuts the writer down. Call it once at startup, inside the runtime (like
    /// `tokio::spawn`, it panics outside one), after [`crate::metrics::install_recorder`].
    ///
    /// Zero `queue_capacity` or `batch_size` is taken as 1, and a `batch_size` above
    /// `queue_capacity` as `queue_capacity`.
    pub fn start<S: CallStore>(store: S, options: CallLogOptions) -> (Self, CallLogWriter) {
        let capacity = options.queue_capacity.max(1);
        let batch_size = options.batch_size.clamp(1, capacity);
        let (queue, receiver) = mpsc::channel(capacity);
        let batch_signal = Arc::new(BatchSignal {
            ready: Notify::new(),
            wanted: AtomicUsize::new(usize::MAX),
        });
        let counters = Arc::new(Counters::default());
        let metrics = CallLogMetrics::resolve();
        let stop = CancellationToken::new();
        let tracker = TaskTracker::new();
        tracker.spawn(
            writer::Writer {
                store,
                queue: receiver,
                batch_size,
                batch_signal: Arc::clone(&batch_signal),
                flush_interval: options.flush_interval,
                stop: stop.clone(),
                counters: Arc::clone(&counters),
                metrics: metrics.clone(),
            }
            .run(),
        );
        tracker.close();
        let sender = Sender {
            queue,
            batch_signal,
            counters: Arc::clone(&counters),
            metrics,
            warning: DropWarning::new(),
        };
        let log = Self {
            sender: Some(Arc::new(sender)),
        };
        (
            log,
            CallLogWriter {
                tracker,
                stop,
                counters,
            },
        )
    }

    /// A call log that keeps nothing, for `call_log.enabled: false`: [`Self::record`] discards.
    pub fn disabled() -> Self {
        Self { sender: None }
    }

    /// Whether records are kept.
    pub fn is_enabled(&self) -> bool {
        self.sender.is_some()
    }

    /// Queues `record` for writing. Runs on the request path when a call ends: never blocks,
    /// never waits. When the queue is full, or closed by shutdown, the record is dropped,
    /// counted in `portcullis_call_log_dropped_total`, and a warning is logged (at most one
    /// per 10 seconds, with the count since the last).
    pub fn record(&self, record: CallRecord) {
        let Some(sender) = &self.sender else {
            return;
        };
        match sender.queue.try_send(record) {
            Ok(()) => {
                // The writer is not woken per record (a cross-thread wake costs more than the
                // send): it sleeps until its flush deadline, or until its batch can be filled.
                let queued = sender.queue.max_capacity() - sender.queue.capacity();
                let signal = &sender.batch_signal;
                if queued >= signal.wanted.load(Ordering::SeqCst) {
                    signal.ready.notify_one();
                }
            }
            Err(TrySendError::Full(_)) => {
                Counters::add(&sender.counters.dropped_queue_full, 1);
                sender.metrics.dropped_queue_full.increment(1);
                sender.warning.note();
            }
            Err(TrySendError::Closed(_)) => {
                Counters::add(&sender.counters.dropped_closed, 1);
                sender.metrics.dropped_closed.increment(1);
                sender.warning.note();
            }
        }
    }

    /// What became of the records so far (all zero when disabled).
    pub fn stats(&self) -> CallLogStats {
        self.sender
            .as_ref()
            .map(|s| s.counters.snapshot())
            .unwrap_or_default()
    }
}

/// How a gathering writer asks to be woken: when the queue holds `wanted` records, the record
/// that got it there notifies `ready`. A missed or stale wake-up costs only time: the writer
/// also wakes at its flush deadline, and re-checks the queue when woken.
#[derive(Debug)]
struct BatchSignal {
    ready: Notify,
    wanted: AtomicUsize,
}

/// The running writer task. Keep it until shutdown; dropping it leaves the writer running
/// until every [`CallLog`] clone is gone, and then it writes what is queued and stops.
#[derive(Debug)]
#[must_use = "shut the writer down at exit, or queued call records are lost"]
pub struct CallLogWriter {
    tracker: TaskTracker,
    stop: CancellationToken,
    counters: Arc<Counters>,
}

impl CallLogWriter {
    /// Stops the call log: closes the queue (later records are dropped and counted), writes
    /// every record still queued, and resolves when the writer task has finished.
    ///
    /// Await it after the server finished its in-flight requests, and before closing the
    /// store. Takes as long as the writes take: each remaining batch is written with retries
    /// until one batch is lost, after which the rest get a single attempt each, so a dead
    /// database delays exit by seconds, not minutes.
    pub async fn shutdown(self) -> CallLogStats {
        self.stop.cancel();
        self.tracker.wait().await;
        self.counters.snapshot()
    }

    /// What became of the records so far.
    pub fn stats(&self) -> CallLogStats {
        self.counters.snapshot()
    }
}

/// Rate-limits the "records dropped" warning so a full queue does not flood the logs.
#[derive(Debug)]
struct DropWarning {
    origin: Instant,
    /// Milliseconds after `origin` before which no new warning is logged.
    quiet_until_ms: AtomicU64,
    /// Drops since the last warning.
    since_last: AtomicU64,
}

const DROP_WARNING_EVERY: Duration = Duration::from_secs(10);

impl DropWarning {
    fn new() -> Self {
        Self {
            origin: Instant::now(),
            quiet_until_ms: AtomicU64::new(0),
            since_last: AtomicU64::new(0),
        }
    }

    fn note(&self) {
        self.since_last.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let quiet_until = self.quiet_until_ms.load(Ordering::Relaxed);
        if now < quiet_until {
            return;
        }
        let next =
            now.saturating_add(u64::try_from(DROP_WARNING_EVERY.as_millis()).unwrap_or(u64::MAX));
        // Of the threads that see the quiet period over, exactly one wins and logs.
        if self
            .quiet_until_ms
            .compare_exchange(quiet_until, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            let dropped = self.since_last.swap(0, Ordering::Relaxed);
            tracing::warn!(
                dropped,
                "Call records were dropped: the call-log queue is full or already shut down; \
                 see portcullis_call_log_dropped_total (is the database slow or failing?)"
            );
        }
    }
}
