//! Live reload: the configuration file is re-read when its content changes (polled once a
//! second, which also catches editors that replace the file and Kubernetes ConfigMap symlink
//! swaps) and on SIGHUP. A new configuration is loaded, validated and built in full, then swapped
//! in atomically; if anything fails, the old one stays in force and every error is logged.

use std::path::PathBuf;
use std::time::Duration;

use portcullis_config::{Env, load_file};
use portcullis_telemetry::metrics;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::snapshot::Snapshot;

/// Watches `path` until `shutdown` is cancelled.
pub async fn watch(
    app: App,
    path: PathBuf,
    env: Box<dyn Env + Send + Sync>,
    shutdown: CancellationToken,
) {
    let mut last = digest(&path).await;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut hangup = hangup_signal();
    loop {
        let forced = tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => false,
            Some(()) = recv(&mut hangup) => true,
        };
        let current = digest(&path).await;
        if !forced && current == last {
            continue;
        }
        // Remember the content even if it fails to load, so a broken file is reported once,
        // not every second.
        last = current;
        reload(
            &app,
            &path,
            env.as_ref(),
            if forced { "SIGHUP" } else { "file change" },
        );
    }
}

/// Loads, validates and builds the configuration at `path` and puts it in force. Returns whether
/// it did.
pub fn reload(app: &App, path: &std::path::Path, env: &dyn Env, reason: &str) -> bool {
    let current = app.snapshot();
    let generation = current.generation + 1;
    let config = match load_file(path, env) {
        Ok(config) => config,
        Err(errors) => {
            for error in &errors.0 {
                tracing::error!(path = %path.display(), reason, "Configuration rejected, the previous one stays in force: {error}");
            }
            metrics::record_config_reload(false);
            return false;
        }
    };
    if config.server.listen != current.config.server.listen {
        tracing::warn!(
            "server.listen changed from {} to {}: the listen address only changes on restart",
            current.config.server.listen,
            config.server.listen
        );
    }
    match Snapshot::build(config, generation) {
        Ok(snapshot) => {
            app.swap_snapshot(snapshot);
            metrics::record_config_reload(true);
            tracing::info!(path = %path.display(), reason, generation, "Configuration reloaded");
            true
        }
        Err(errors) => {
            for error in &errors {
                tracing::error!(path = %path.display(), reason, "Configuration rejected, the previous one stays in force: {error}");
            }
            metrics::record_config_reload(false);
            false
        }
    }
}

/// A cheap fingerprint of the file's content (`None` if it cannot be read).
async fn digest(path: &std::path::Path) -> Option<u64> {
    let bytes = tokio::fs::read(path).await.ok()?;
    Some(bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    }))
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

#[cfg(unix)]
fn hangup_signal() -> Hangup {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(signal) => Some(signal),
        Err(e) => {
            tracing::warn!("SIGHUP reload unavailable: {e}");
            None
        }
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> Hangup {
    None
}

#[cfg(unix)]
async fn recv(signal: &mut Hangup) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn recv(_: &mut Hangup) -> Option<()> {
    std::future::pending().await
}
