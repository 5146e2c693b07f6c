//! The store's error type.

use std::path::PathBuf;

/// Why a store operation failed.
///
/// Messages never repeat a database URL in full: a PostgreSQL URL can carry a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names a database this build cannot open (only `sqlite:` today).
    #[error("unsupported database URL scheme `{scheme}`: expected sqlite://PATH")]
    UnsupportedUrl {
        /// The scheme the URL started with (text before the first `:`).
        scheme: String,
    },
    /// The URL is a `sqlite:` URL but its options did not parse.
    #[error("invalid SQLite database URL: {0}")]
    InvalidUrl(#[source] sqlx::Error),
    /// The folder that should hold the database file could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A schema migration failed; the database is left at the last migration that succeeded.
    #[error("database migration failed: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A statement failed (busy beyond the timeout, disk full, I/O error, closed pool…).
    #[error("database query failed: {0}")]
    Query(#[source] sqlx::Error),
    /// A stored row holds a value the record type cannot represent (a corrupted or
    /// hand-edited database).
    #[error("stored call row {id} has an invalid `{column}`")]
    InvalidRow {
        /// The row's `id`.
        id: i64,
        /// The offending column.
        column: &'static str,
    },
}
