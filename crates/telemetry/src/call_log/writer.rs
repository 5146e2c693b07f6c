//! The writer task: turns the queue into batched transactions.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use portcullis_store::{CallRecord, CallStore};
use tokio::sync::mpsc::{self, error::TryRecvError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{BatchSignal, Counters};
use crate::metrics::CallLogMetrics;

/// Retries after a failed write before its batch counts as lost.
const WRITE_RETRIES: u32 = 4;
/// The wait before the first retry; it doubles each time (0.2 + 0.4 + 0.8 + 1.6 = 3 s in all),
/// long enough to ride out a lock held by a backup or a brief I/O stall.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

pub(super) struct Writer<S> {
    pub(super) store: S,
    pub(super) queue: mpsc::Receiver<CallRecord>,
    pub(super) batch_size: usize,
    pub(super) batch_signal: Arc<BatchSignal>,
    pub(super) flush_interval: Duration,
    pub(super) stop: CancellationToken,
    pub(super) counters: Arc<Counters>,
    pub(super) metrics: CallLogMetrics,
}

impl<S: CallStore> Writer<S> {
    pub(super) async fn run(mut self) {
        let mut batch = Vec::with_capacity(self.batch_size);
        while self.fill(&mut batch).await {
            self.write(&mut batch, WRITE_RETRIES).await;
        }
        self.drain(batch).await;
    }

    /// Waits for a first record, then gathers more until the batch is full or
    /// `flush_interval` has passed since that first record. Returns `false` when the writer
    /// must stop (shutdown, or every sender gone); `batch` may then hold records.
    async fn fill(&mut self, batch: &mut Vec<CallRecord>) -> bool {
        tokio::select! {
            biased;
            () = self.stop.cancelled() => return false,
            received = self.queue.recv_many(batch, self.batch_size) => {
                if received == 0 {
                    return false;
                }
            }
        }
        let going_on = self.gather(batch).await;
        // Until the next gather the writer is not waiting on the signal: senders skip it.
        self.batch_signal.wanted.store(usize::MAX, Ordering::SeqCst);
        going_on
    }

    /// Adds records to a started batch until it is full or `flush_interval` has passed since
    /// its first record.
    async fn gather(&mut self, batch: &mut Vec<CallRecord>) -> bool {
        let deadline = Instant::now() + self.flush_interval;
        loop {
            if !self.take_queued(batch) {
                return false;
            }
            if batch.len() >= self.batch_size {
                return true;
            }
            // Not waiting on the queue itself: senders then need not wake this task for every
            // record, only once the queue holds what completes the batch.
            let wanted = self.batch_size - batch.len();
            self.batch_signal.wanted.store(wanted, Ordering::SeqCst);
            if self.queue.len() >= wanted {
                continue;
            }
            tokio::select! {
                biased;
                () = self.stop.cancelled() => return false,
                () = self.batch_signal.ready.notified() => {}
                () = tokio::time::sleep_until(deadline) => return self.take_queued(batch),
            }
        }
    }

    /// Moves queued records into `batch` without waiting, up to a full batch. Returns `false`
    /// when the queue is empty and every sender is gone.
    fn take_queued(&mut self, batch: &mut Vec<CallRecord>) -> bool {
        while batch.len() < self.batch_size {
            match self.queue.try_recv() {
                Ok(record) => batch.push(record),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        true
    }

    /// Closes the queue and writes everything in it (and in `batch`).
    async fn drain(&mut self, mut batch: Vec<CallRecord>) {
        self.queue.close();
        let mut retries = WRITE_RETRIES;
        loop {
            if batch.len() < self.batch_size {
                // The queue is closed: this returns at once, with 0 when it is empty.
                let room = self.batch_size - batch.len();
                self.queue.recv_many(&mut batch, room).await;
            }
            if batch.is_empty() {
                break;
            }
            if !self.write(&mut batch, retries).await {
                // The database is failing; do not hold the process's exit hostage to it.
                retries = 0;
            }
        }
        self.metrics.queue_depth.set(0.0);
    }

    /// Writes `batch` in one transaction, retrying up to `retries` times with backoff, then
    /// empties it. Returns whether it was written.
    async fn write(&mut self, batch: &mut Vec<CallRecord>, retries: u32) -> bool {
        let records = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        let written = loop {
            let error = match self.store.insert_calls(batch).await {
                Ok(()) => break true,
                Err(error) => error,
            };
            Counters::add(&self.counters.write_errors, 1);
            self.metrics.write_errors.increment(1);
            if attempt > retries {
                tracing::error!(
                    records,
                    attempts = attempt,
                    %error,
                    "Call records were lost: the database refused every attempt to write them; \
                     check its disk space, permissions and locks"
                );
                Counters::add(&self.counters.lost_write_failed, records);
                self.metrics.dropped_write_failed.increment(records);
                break false;
            }
            tracing::warn!(
                records,
                attempt,
                retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                %error,
                "Writing call records failed; retrying"
            );
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            attempt += 1;
        };
        if written {
            Counters::add(&self.counters.written, records);
            Counters::add(&self.counters.batches, 1);
            self.metrics.written.increment(records);
        }
        batch.clear();
        self.publish_depth();
        written
    }

    fn publish_depth(&self) {
        // `as f64` is exact below 2^53 records, far past any queue capacity.
        let depth = self.queue.len() as f64;
        self.metrics.queue_depth.set(depth);
    }
}
