//! Persistence for Portcullis behind small traits.
//!
//! Today: the call log ([`CallRecord`] rows, written in batches and read newest first) in
//! SQLite, schema-managed by versioned sqlx migrations (`migrations/sqlite/`). PostgreSQL joins
//! as a second [`Store`] backend with its own migration folder and the same [`CallStore`]
//! trait, so nothing above this crate changes when it arrives.

mod error;
mod record;
mod sqlite;
mod text;

use std::future::Future;

pub use error::StoreError;
pub use record::{CallQuery, CallRecord, StatusFilter, StatusFilterError, unix_millis};

/// Where call records are kept: the one operation the call-log writer needs and the one query
/// the admin API and CLI need.
///
/// [`Store`] implements it for real databases; tests implement it to stall or fail writes.
pub trait CallStore: Send + Sync + 'static {
    /// Writes `batch` in one transaction: all of it or, on error, none of it.
    ///
    /// Runs on the call-log writer task, never on the request path. Fails with
    /// [`StoreError::Query`] when the database refuses (busy past its timeout, disk full…);
    /// the caller decides whether to retry.
    fn insert_calls(
        &self,
        batch: &[CallRecord],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The calls `query` selects, newest first (by `started_at`, then by insertion order), at
    /// most [`CallQuery::effective_limit`] of them.
    fn recent_calls(
        &self,
        query: &CallQuery,
    ) -> impl Future<Output = Result<Vec<CallRecord>, StoreError>> + Send;
}

/// A handle on the gateway's database. Cheap to clone (clones share one connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
}

/// One variant per database; every method matches exhaustively, so a new backend does not
/// compile until each operation is decided for it.
#[derive(Debug, Clone)]
enum Backend {
    Sqlite(sqlite::SqliteStore),
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// Takes `sqlite://PATH` (relative paths are relative to the working directory; the file
    /// and its folder are created when missing) or `sqlite::memory:`. File databases run in
    /// WAL mode with `synchronous=NORMAL` (a power cut may lose the last transactions, never
    /// corrupt the file) and a 5 s busy timeout. Runs once at startup.
    ///
    /// Fails with [`StoreError::UnsupportedUrl`] for other schemes, and with the matching
    /// variant when the folder cannot be created, the file cannot be opened or a migration
    /// fails (for example a database written by a newer Portcullis).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        match scheme {
            "sqlite" => Ok(Self {
                backend: Backend::Sqlite(sqlite::SqliteStore::open(url).await?),
            }),
            _ => Err(StoreError::UnsupportedUrl {
                scheme: scheme.to_owned(),
            }),
        }
    }

    /// Opens a new, empty, migrated in-memory SQLite database, private to this handle and its
    /// clones; for tests and for runs that must leave nothing on disk.
    pub async fn open_in_memory() -> Result<Self, StoreError> {
        Ok(Self {
            backend: Backend::Sqlite(sqlite::SqliteStore::open_in_memory().await?),
        })
    }

    /// Writes `batch` in one transaction (see [`CallStore::insert_calls`]).
    pub async fn insert_calls(&self, batch: &[CallRecord]) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(db) => db.insert_calls(batch).await,
        }
    }

    /// The calls `query` selects, newest first (see [`CallStore::recent_calls`]).
    pub async fn recent_calls(&self, query: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        match &self.backend {
            Backend::Sqlite(db) => db.recent_calls(query).await,
        }
    }

    /// Closes the database: waits for connections in use to come back, then closes them all.
    /// Call it last at shutdown, after the call log is flushed; later operations fail with
    /// [`StoreError::Query`].
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(db) => db.close().await,
        }
    }
}

impl CallStore for Store {
    async fn insert_calls(&self, batch: &[CallRecord]) -> Result<(), StoreError> {
        Store::insert_calls(self, batch).await
    }

    async fn recent_calls(&self, query: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        Store::recent_calls(self, query).await
    }
}
