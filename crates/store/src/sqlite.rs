//! The SQLite backend: one file in WAL mode, or a private in-memory database for tests.

use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteAutoVacuum, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::error::StoreError;
use crate::record::{CallQuery, CallRecord};
use crate::text::{clip, limits};

/// How long a statement waits for another connection's write lock before failing. Writers are
/// short transactions, so waiting this long means something is wrong.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections to a file database: the call-log writer plus a few readers (admin API, CLI).
/// WAL lets readers run beside the one writer; more connections would only contend.
const FILE_POOL_SIZE: u32 = 4;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The columns of `calls` that make a [`CallRecord`], in bind order.
const RECORD_COLUMNS: &str = "request_id, started_at, key_name, inbound_api, model, route, \
    provider, upstream_model, status, error_kind, error_message, stream, latency_ms, ttfb_ms, \
    upstream_ms, prompt_tokens, completion_tokens, cached_tokens, attempts, dropped_fields, \
    client_ip, user_agent, finish_reason, request_bytes, response_bytes, config_generation";

/// Rows per multi-row INSERT. Each statement is a round trip to sqlx's SQLite worker thread;
/// 64 rows per statement wrote about twice as many rows/s as one row per statement in the
/// `insert_calls` bench. The remainder of a batch goes row by row, so only two statement texts
/// exist and both stay prepared. (64 rows × 26 columns stays far below SQLite's 32 766
/// parameters.)
const ROWS_PER_STATEMENT: usize = 64;

/// `INSERT INTO calls (...) VALUES (?, ...)` with one row of placeholders.
static INSERT_ONE: LazyLock<String> = LazyLock::new(|| insert_statement(1));
/// The same with [`ROWS_PER_STATEMENT`] rows.
static INSERT_CHUNK: LazyLock<String> = LazyLock::new(|| insert_statement(ROWS_PER_STATEMENT));

fn insert_statement(rows: usize) -> String {
    let columns = RECORD_COLUMNS.split(',').count();
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!(
        "INSERT INTO calls ({RECORD_COLUMNS}) VALUES {}",
        vec![row; rows].join(", ")
    )
}

/// A pool of connections to one SQLite database holding the call log.
#[derive(Debug, Clone)]
pub(crate) struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database `url` names and migrates it.
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url).map_err(StoreError::InvalidUrl)?;
        if is_in_memory(url) {
            return Self::open_memory(options).await;
        }
        if let Some(folder) = options.get_filename().parent() {
            create_folder(folder).await?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .auto_vacuum(SqliteAutoVacuum::Incremental)
            .busy_timeout(BUSY_TIMEOUT)
            .optimize_on_close(true, None);
        let pool = SqlitePoolOptions::new()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        Self::migrated(pool).await
    }

    /// Opens a fresh private in-memory database and migrates it.
    pub(crate) async fn open_in_memory() -> Result<Self, StoreError> {
        let options =
            SqliteConnectOptions::from_str("sqlite::memory:").map_err(StoreError::InvalidUrl)?;
        Self::open_memory(options).await
    }

    async fn open_memory(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        // An in-memory database lives as long as one connection to it: keep exactly one, forever.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.busy_timeout(BUSY_TIMEOUT))
            .await
            .map_err(StoreError::Connect)?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: SqlitePool) -> Result<Self, StoreError> {
        MIGRATOR.run(&pool).await.map_err(StoreError::Migrate)?;
        Ok(Self { pool })
    }

    /// Inserts `batch` in one transaction; on error nothing of the batch is kept.
    pub(crate) async fn insert_calls(&self, batch: &[CallRecord]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        // IMMEDIATE takes the write lock up front, so a concurrent writer waits on the busy
        // timeout instead of failing when a deferred transaction tries to upgrade its lock.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::Query)?;
        let chunks = batch.chunks_exact(ROWS_PER_STATEMENT);
        let rest = chunks.remainder();
        // sqlx prepares each statement text once per connection and reuses it.
        for chunk in chunks {
            let query = chunk.iter().fold(sqlx::query(&INSERT_CHUNK), bind_record);
            query.execute(&mut *tx).await.map_err(StoreError::Query)?;
        }
        for record in rest {
            bind_record(sqlx::query(&INSERT_ONE), record)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::Query)?;
        }
        tx.commit().await.map_err(StoreError::Query)
    }

    /// Reads the calls `query` selects, newest first.
    pub(crate) async fn recent_calls(
        &self,
        query: &CallQuery,
    ) -> Result<Vec<CallRecord>, StoreError> {
        let mut sql = QueryBuilder::<Sqlite>::new("SELECT id, ");
        sql.push(RECORD_COLUMNS).push(" FROM calls");
        let mut clause = Clauses::default();
        if let Some(status) = query.status {
            let (low, high) = status.range();
            clause
                .next(&mut sql)
                .push("status >= ")
                .push_bind(i64::from(low));
            clause
                .next(&mut sql)
                .push("status < ")
                .push_bind(i64::from(high));
        }
        let exact = [
            ("model = ", &query.model),
            ("route = ", &query.route),
            ("key_name = ", &query.key_name),
            ("provider = ", &query.provider),
            ("request_id = ", &query.request_id),
        ];
        for (column, value) in exact {
            if let Some(value) = value {
                clause.next(&mut sql).push(column).push_bind(value.as_str());
            }
        }
        if let Some(since) = query.since {
            clause
                .next(&mut sql)
                .push("started_at >= ")
                .push_bind(since);
        }
        if let Some(before) = query.before {
            clause
                .next(&mut sql)
                .push("started_at < ")
                .push_bind(before);
        }
        sql.push(" ORDER BY started_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(query.effective_limit()));
        let rows = sql
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Query)?;
        rows.iter().map(decode_record).collect()
    }

    /// Waits for checked-out connections to return, then closes them all (checkpointing the WAL).
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// Joins WHERE conditions with AND.
#[derive(Default)]
struct Clauses {
    started: bool,
}

impl Clauses {
    fn next<'q, 'b>(
        &mut self,
        sql: &'b mut QueryBuilder<'q, Sqlite>,
    ) -> &'b mut QueryBuilder<'q, Sqlite> {
        sql.push(if self.started { " AND " } else { " WHERE " });
        self.started = true;
        sql
    }
}

fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

async fn create_folder(folder: &Path) -> Result<(), StoreError> {
    if folder.as_os_str().is_empty() {
        return Ok(());
    }
    tokio::fs::create_dir_all(folder)
        .await
        .map_err(|source| StoreError::CreateDir {
            path: folder.to_path_buf(),
            source,
        })
}

type Query<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

fn bind_record<'q>(query: Query<'q>, r: &'q CallRecord) -> Query<'q> {
    let text = |value: &'q Option<String>, max| value.as_deref().map(|v| clip(v, max));
    query
        .bind(clip(&r.request_id, limits::IDENTIFIER))
        .bind(r.started_at)
        .bind(text(&r.key_name, limits::IDENTIFIER))
        .bind(clip(&r.inbound_api, limits::CODE))
        .bind(text(&r.model, limits::IDENTIFIER))
        .bind(text(&r.route, limits::IDENTIFIER))
        .bind(text(&r.provider, limits::IDENTIFIER))
        .bind(text(&r.upstream_model, limits::IDENTIFIER))
        .bind(i64::from(r.status))
        .bind(text(&r.error_kind, limits::CODE))
        .bind(text(&r.error_message, limits::MESSAGE))
        .bind(r.stream)
        .bind(r.latency_ms)
        .bind(r.ttfb_ms)
        .bind(r.upstream_ms)
        .bind(r.prompt_tokens.map(saturating_i64))
        .bind(r.completion_tokens.map(saturating_i64))
        .bind(r.cached_tokens.map(saturating_i64))
        .bind(i64::from(r.attempts))
        .bind(text(&r.dropped_fields, limits::MESSAGE))
        .bind(text(&r.client_ip, limits::CODE))
        .bind(text(&r.user_agent, limits::IDENTIFIER))
        .bind(text(&r.finish_reason, limits::CODE))
        .bind(r.request_bytes.map(saturating_i64))
        .bind(r.response_bytes.map(saturating_i64))
        .bind(r.config_generation.map(saturating_i64))
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn decode_record(row: &SqliteRow) -> Result<CallRecord, StoreError> {
    let id: i64 = get(row, "id")?;
    let invalid = |column| StoreError::InvalidRow { id, column };
    let count = |column: &'static str| -> Result<Option<u64>, StoreError> {
        get::<Option<i64>>(row, column)?
            .map(|v| u64::try_from(v).map_err(|_| invalid(column)))
            .transpose()
    };
    Ok(CallRecord {
        request_id: get(row, "request_id")?,
        started_at: get(row, "started_at")?,
        key_name: get(row, "key_name")?,
        inbound_api: get(row, "inbound_api")?,
        model: get(row, "model")?,
        route: get(row, "route")?,
        provider: get(row, "provider")?,
        upstream_model: get(row, "upstream_model")?,
        status: u16::try_from(get::<i64>(row, "status")?).map_err(|_| invalid("status"))?,
        error_kind: get(row, "error_kind")?,
        error_message: get(row, "error_message")?,
        stream: get(row, "stream")?,
        latency_ms: get(row, "latency_ms")?,
        ttfb_ms: get(row, "ttfb_ms")?,
        upstream_ms: get(row, "upstream_ms")?,
        prompt_tokens: count("prompt_tokens")?,
        completion_tokens: count("completion_tokens")?,
        cached_tokens: count("cached_tokens")?,
        attempts: u32::try_from(get::<i64>(row, "attempts")?).map_err(|_| invalid("attempts"))?,
        dropped_fields: get(row, "dropped_fields")?,
        client_ip: get(row, "client_ip")?,
        user_agent: get(row, "user_agent")?,
        finish_reason: get(row, "finish_reason")?,
        request_bytes: count("request_bytes")?,
        response_bytes: count("response_bytes")?,
        config_generation: count("config_generation")?,
    })
}

fn get<'r, T>(row: &'r SqliteRow, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(StoreError::Query)
}
