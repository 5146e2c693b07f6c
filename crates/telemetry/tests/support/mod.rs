//! A scriptable in-memory `CallStore` for call-log tests: records each attempt and each
//! batch, can fail its first N attempts (or all), and can stall until released.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the support code"
)]

pub mod prometheus;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use portcullis_store::{CallQuery, CallRecord, CallStore, StoreError};
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

#[derive(Clone, Default)]
pub struct FakeStore {
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    batches: Mutex<Vec<Vec<CallRecord>>>,
    attempts: Mutex<Vec<Instant>>,
    failures_left: AtomicU32,
    gate: Option<Semaphore>,
    entered: Notify,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeStore {
    /// Fails the first `failures` attempts (`u32::MAX`: every attempt).
    pub fn failing(failures: u32) -> Self {
        let store = Self::default();
        store.state.failures_left.store(failures, Ordering::SeqCst);
        store
    }

    /// Every attempt waits until [`Self::release`] lets it through.
    pub fn stalled() -> Self {
        Self {
            state: Arc::new(State {
                gate: Some(Semaphore::new(0)),
                ..State::default()
            }),
        }
    }

    /// Lets stalled attempts through from now on.
    pub fn release(&self) {
        if let Some(gate) = &self.state.gate {
            gate.add_permits(Semaphore::MAX_PERMITS / 2);
        }
    }

    /// Resolves once an attempt has started (or had started since the last call).
    pub async fn entered(&self) {
        self.state.entered.notified().await;
    }

    /// Sizes of the batches written, in order.
    pub fn batch_sizes(&self) -> Vec<usize> {
        locked(&self.state.batches).iter().map(Vec::len).collect()
    }

    /// Every record written, in write order.
    pub fn records(&self) -> Vec<CallRecord> {
        locked(&self.state.batches)
            .iter()
            .flatten()
            .cloned()
            .collect()
    }

    /// When each write attempt started.
    pub fn attempts(&self) -> Vec<Instant> {
        locked(&self.state.attempts).clone()
    }
}

impl CallStore for FakeStore {
    async fn insert_calls(&self, batch: &[CallRecord]) -> Result<(), StoreError> {
        locked(&self.state.attempts).push(Instant::now());
        self.state.entered.notify_one();
        if let Some(gate) = &self.state.gate {
            gate.acquire().await.map(|permit| permit.forget()).ok();
        }
        let failing = self
            .state
            .failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| match left {
                0 => None,
                u32::MAX => Some(u32::MAX),
                n => Some(n - 1),
            })
            .is_ok();
        if failing {
            return Err(StoreError::CreateDir {
                path: "/fake".into(),
                source: std::io::Error::other("disk full"),
            });
        }
        locked(&self.state.batches).push(batch.to_vec());
        Ok(())
    }

    async fn recent_calls(&self, query: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        let mut records = self.records();
        records.reverse();
        records.truncate(query.effective_limit() as usize);
        Ok(records)
    }
}

/// A record told apart by its request id.
pub fn call(n: usize) -> CallRecord {
    CallRecord {
        request_id: format!("req-{n}"),
        started_at: i64::try_from(n).unwrap_or(i64::MAX),
        inbound_api: "openai.chat".into(),
        status: 200,
        attempts: 1,
        ..CallRecord::default()
    }
}

pub fn ids(records: &[CallRecord]) -> Vec<String> {
    records.iter().map(|r| r.request_id.clone()).collect()
}
