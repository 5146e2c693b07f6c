//! `server`, `database`, `call_log` and `admin`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Ctx, in_range};
use crate::raw::{RawAdmin, RawCallLog, RawDatabase, RawServer};
use crate::secret::Secret;
use crate::types::{Admin, CallLog, Database, DatabaseKind, Server};
use crate::units::{format_duration, format_size};

/// `server.listen` default.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
/// `server.max_body_size` default: 10 MiB.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 10 * 1024 * 1024;
/// `server.request_timeout` default: 10 minutes (long generations stream for minutes).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);
/// `server.shutdown_grace` default: 30 seconds.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// `server.data_dir` default, relative to the config file's directory.
pub const DEFAULT_DATA_DIR: &str = "./portcullis-data";
/// SQLite file name inside `data_dir` when `database.url` is not set.
pub const DEFAULT_DB_FILE: &str = "portcullis.db";

fn show_duration(d: &Duration) -> String {
    format_duration(*d)
}

pub(super) fn server(raw: &RawServer, base_dir: &Path, ctx: &mut Ctx<'_>) -> Server {
    let listen = match &raw.listen {
        None => DEFAULT_LISTEN,
        Some(text) => text.trim().parse().unwrap_or_else(|_| {
            ctx.error(
                "server.listen",
                format!(
                    "{} is not an address: write ip:port, like 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080",
                    ctx.show("server.listen", text)
                ),
            );
            DEFAULT_LISTEN
        }),
    };
    let max_body_size = raw.max_body_size.map_or(DEFAULT_MAX_BODY_SIZE, |s| s.0);
    in_range(
        ctx,
        "server.max_body_size",
        max_body_size,
        1024,
        1 << 30,
        |v| format_size(*v),
    );
    let request_timeout = raw.request_timeout.map_or(DEFAULT_REQUEST_TIMEOUT, |d| d.0);
    in_range(
        ctx,
        "server.request_timeout",
        request_timeout,
        Duration::from_secs(1),
        Duration::from_secs(24 * 3600),
        show_duration,
    );
    let shutdown_grace = raw.shutdown_grace.map_or(DEFAULT_SHUTDOWN_GRACE, |d| d.0);
    in_range(
        ctx,
        "server.shutdown_grace",
        shutdown_grace,
        Duration::ZERO,
        Duration::from_secs(3600),
        show_duration,
    );
    let data_dir = match raw.data_dir.as_deref() {
        Some("") => {
            ctx.error(
                "server.data_dir",
                "must not be empty (omit it for ./portcullis-data)",
            );
            base_dir.join(DEFAULT_DATA_DIR)
        }
        Some(dir) => resolve(base_dir, Path::new(dir)),
        None => resolve(base_dir, Path::new(DEFAULT_DATA_DIR)),
    };
    Server {
        listen,
        max_body_size,
        request_timeout,
        shutdown_grace,
        data_dir,
    }
}

/// Joins a relative path onto the base directory and drops `.` components, so logs show
/// `/etc/portcullis/portcullis-data` rather than `/etc/portcullis/./portcullis-data`.
fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
    let joined = base_dir.join(path);
    joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

pub(super) fn database(
    raw: &RawDatabase,
    server: &Server,
    base_dir: &Path,
    ctx: &mut Ctx<'_>,
) -> Database {
    let default_path = server.data_dir.join(DEFAULT_DB_FILE);
    let default = || Database {
        url: Secret::new(format!("sqlite://{}", default_path.display())),
        kind: DatabaseKind::SqliteFile(default_path.clone()),
    };
    let Some(url) = &raw.url else {
        return default();
    };
    let text = url.expose().trim();
    let rest = text
        .strip_prefix("sqlite://")
        .or_else(|| text.strip_prefix("sqlite:"));
    let Some(rest) = rest else {
        let message = if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            "PostgreSQL is not supported yet: use a sqlite:// URL (or omit database.url for a file in data_dir)"
        } else {
            "unsupported database URL: use sqlite://path/to/file.db (relative to the config file) or sqlite::memory:"
        };
        ctx.error("database.url", message);
        return default();
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    if path == ":memory:" {
        return Database {
            url: Secret::new(format!("sqlite::memory:{query}")),
            kind: DatabaseKind::SqliteMemory,
        };
    }
    if path.is_empty() {
        ctx.error(
            "database.url",
            "the sqlite URL names no file: write sqlite://path/to/file.db",
        );
        return default();
    }
    let file = resolve(base_dir, Path::new(path));
    Database {
        url: Secret::new(format!("sqlite://{}{query}", file.display())),
        kind: DatabaseKind::SqliteFile(file),
    }
}

/// `call_log.queue_capacity` default.
pub const DEFAULT_QUEUE_CAPACITY: usize = 10_000;
/// `call_log.batch_size` default.
pub const DEFAULT_BATCH_SIZE: usize = 256;
/// `call_log.flush_interval` default.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(200);

pub(super) fn call_log(raw: &RawCallLog, ctx: &mut Ctx<'_>) -> CallLog {
    let count = |v: &u64| v.to_string();
    let queue = raw.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY as u64);
    let queue_ok = in_range(ctx, "call_log.queue_capacity", queue, 1, 10_000_000, count);
    let batch = raw.batch_size.unwrap_or(DEFAULT_BATCH_SIZE as u64);
    let batch_ok = in_range(ctx, "call_log.batch_size", batch, 1, 100_000, count);
    if queue_ok && batch_ok && batch > queue {
        ctx.error(
            "call_log.batch_size",
            format!("batch_size ({batch}) is larger than queue_capacity ({queue}): a batch could never fill"),
        );
    }
    let flush_interval = raw.flush_interval.map_or(DEFAULT_FLUSH_INTERVAL, |d| d.0);
    in_range(
        ctx,
        "call_log.flush_interval",
        flush_interval,
        Duration::from_millis(1),
        Duration::from_secs(3600),
        show_duration,
    );
    CallLog {
        enabled: raw.enabled.unwrap_or(true),
        // Both are range-checked above (≤ 10 000 000), so they fit a usize everywhere.
        queue_capacity: usize::try_from(queue).unwrap_or(DEFAULT_QUEUE_CAPACITY),
        batch_size: usize::try_from(batch).unwrap_or(DEFAULT_BATCH_SIZE),
        flush_interval,
    }
}

/// Admin tokens shorter than this draw a warning: they guard every tenant's data.
const MIN_ADMIN_TOKEN_LEN: usize = 16;

pub(super) fn admin(raw: &RawAdmin, ctx: &mut Ctx<'_>) -> Admin {
    let token = match &raw.token {
        // Empty (e.g. `${PORTCULLIS_ADMIN_TOKEN:-}` with the variable unset) disables the API:
        // failing closed, never open.
        Some(token) if token.expose().trim().is_empty() => {
            ctx.warn("admin.token", "is empty, so the admin API is disabled");
            None
        }
        Some(token) => {
            if token.expose().len() < MIN_ADMIN_TOKEN_LEN {
                ctx.warn(
                    "admin.token",
                    format!(
                        "is shorter than {MIN_ADMIN_TOKEN_LEN} characters: use a long random token"
                    ),
                );
            }
            Some(token.clone())
        }
        None => None,
    };
    Admin { token }
}
