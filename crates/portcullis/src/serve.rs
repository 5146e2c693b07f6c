//! `serve`, `check` and `calls`: loading the configuration and running the gateway.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use portcullis_config::{Config, ConfigSource, ProcessEnv};
use portcullis_gateway::{App, Snapshot};
use portcullis_store::{CallQuery, Store};
use portcullis_telemetry::{CallLog, CallLogOptions, metrics};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cli::{CallsArgs, ConfigArgs, ServeArgs, err, out};

/// Which configuration to use: the `--config` file, else `./portcullis.yaml` if present, else
/// the embedded defaults.
fn config_path(args: &ConfigArgs) -> Option<PathBuf> {
    if let Some(path) = &args.config {
        return Some(path.clone());
    }
    let local = PathBuf::from("portcullis.yaml");
    local.is_file().then_some(local)
}

/// Loads the configuration, or prints every problem and returns `None`.
fn load(args: &ConfigArgs) -> Option<Config> {
    let env = ProcessEnv;
    match config_path(args) {
        Some(path) => match portcullis_config::load_file(&path, &env) {
            Ok(config) => Some(config),
            Err(errors) => {
                err(&format!(
                    "{}: {} problem{}:",
                    path.display(),
                    errors.0.len(),
                    if errors.0.len() == 1 { "" } else { "s" }
                ));
                for error in &errors.0 {
                    err(&format!("  {error}"));
                }
                None
            }
        },
        None => Some(portcullis_config::defaults(&env)),
    }
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            err(&format!("error: could not start the async runtime: {e}"));
            None
        }
    }
}

/// `portcullis check`.
pub fn check(args: ConfigArgs) -> ExitCode {
    let Some(config) = load(&args) else {
        return ExitCode::FAILURE;
    };
    for warning in &config.warnings {
        err(&format!("warning: {warning}"));
    }
    let summary = format!(
        "{} providers, {} models, {} API keys",
        config.providers.len(),
        config.models.len(),
        config.api_keys.len()
    );
    let source = describe_source(&config.source);
    match Snapshot::build(config, 1) {
        Ok(_) => {
            out(&format!("OK: {source}: {summary}"));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for error in errors {
                err(&format!("  {error}"));
            }
            ExitCode::FAILURE
        }
    }
}

fn describe_source(source: &ConfigSource) -> String {
    match source {
        ConfigSource::File(path) => path.display().to_string(),
        ConfigSource::Inline { origin } => origin.display().to_string(),
        ConfigSource::Defaults => "embedded defaults".to_string(),
    }
}

/// `portcullis calls`.
pub fn calls(args: CallsArgs) -> ExitCode {
    let Some(config) = load(&args.config) else {
        return ExitCode::FAILURE;
    };
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    rt.block_on(async {
        let store = match Store::open(config.database.url.expose()).await {
            Ok(store) => store,
            Err(e) => {
                err(&format!("error: could not open the database: {e}"));
                return ExitCode::FAILURE;
            }
        };
        let query = CallQuery {
            limit: Some(args.limit),
            status: args.status,
            model: args.model,
            key_name: args.key,
            provider: args.provider,
            ..CallQuery::default()
        };
        match store.recent_calls(&query).await {
            Ok(records) if args.json => {
                for record in &records {
                    match serde_json::to_string(record) {
                        Ok(line) => out(&line),
                        Err(e) => err(&format!("error: {e}")),
                    }
                }
                ExitCode::SUCCESS
            }
            Ok(records) => {
                out(&portcullis_telemetry::format_calls_table(&records));
                ExitCode::SUCCESS
            }
            Err(e) => {
                err(&format!("error: could not read the call log: {e}"));
                ExitCode::FAILURE
            }
        }
    })
}

/// `portcullis serve`: runs until SIGTERM or Ctrl-C, then drains.
pub fn run(args: ServeArgs) -> ExitCode {
    let Some(mut config) = load(&args.config) else {
        return ExitCode::from(2);
    };
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let code = rt.block_on(serve(config));
    // Give detached work (none expected) a moment, without hanging the exit.
    rt.shutdown_timeout(Duration::from_secs(1));
    code
}

async fn serve(config: Config) -> ExitCode {
    let source = config.source.clone();
    let listen = config.server.listen;
    let grace = config.server.shutdown_grace;
    for warning in &config.warnings {
        tracing::warn!("Configuration: {warning}");
    }
    let metrics = match metrics::install_recorder() {
        Ok(handle) => Some(handle),
        Err(e) => {
            tracing::warn!("Metrics are disabled: {e}");
            None
        }
    };
    let store = if config.call_log.enabled {
        match Store::open(config.database.url.expose()).await {
            Ok(store) => Some(store),
            Err(e) => {
                err(&format!("error: could not open the database: {e}"));
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let (call_log, writer) = match &store {
        Some(store) => {
            let (log, writer) = CallLog::start(
                store.clone(),
                CallLogOptions {
                    queue_capacity: config.call_log.queue_capacity,
                    batch_size: config.call_log.batch_size,
                    flush_interval: config.call_log.flush_interval,
                },
            );
            (log, Some(writer))
        }
        None => (CallLog::disabled(), None),
    };
    let models = config.models.len();
    let dev_key_in_use = matches!(source, ConfigSource::Defaults);
    let snapshot = match Snapshot::build(config, 1) {
        Ok(snapshot) => snapshot,
        Err(errors) => {
            for error in errors {
                err(&format!("error: {error}"));
            }
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            err(&format!("error: could not listen on {listen}: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let local = listener.local_addr().unwrap_or(listen);
    let app = App::new(snapshot, call_log, store.clone(), metrics);

    let tasks = TaskTracker::new();
    let stop = CancellationToken::new();
    if let ConfigSource::File(path) = &source {
        tasks.spawn(portcullis_gateway::reload::watch(
            app.clone(),
            path.clone(),
            Box::new(ProcessEnv),
            stop.clone(),
        ));
    }
    if let Some(handle) = app.metrics() {
        // Histograms are summarised on scrape; without scrapes their samples must still be
        // folded in periodically or they accumulate.
        tasks.spawn(handle.clone().upkeep(Duration::from_secs(5), stop.clone()));
    }
    banner(&local, &source, models, dev_key_in_use);

    let shutdown = {
        let app = app.clone();
        let stop = stop.clone();
        async move {
            wait_for_shutdown_signal().await;
            tracing::info!(
                "Shutting down: no new connections; in-flight calls have up to {}s",
                grace.as_secs()
            );
            app.start_draining();
            stop.cancel();
        }
    };
    let server = tasks.spawn(portcullis_gateway::serve(app, listener, shutdown));
    // Once the signal came, in-flight calls get `shutdown_grace`, then the rest are cut.
    let served = tokio::select! {
        result = server => result,
        () = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("Shutdown grace period over: cutting the calls still in flight");
            Ok(Ok(()))
        }
    };
    tasks.close();
    tasks.wait().await;
    if let Some(writer) = writer {
        // A locked database could hold each remaining batch for its busy timeout: bound it.
        let flush = tokio::time::timeout(Duration::from_secs(30), writer.shutdown()).await;
        match flush {
            Ok(stats) => tracing::info!(
                written = stats.written,
                dropped = stats.dropped_queue_full + stats.dropped_closed,
                lost = stats.lost_write_failed,
                "Call log flushed"
            ),
            Err(_) => tracing::error!(
                "The call log could not be flushed within 30s; the last records are lost"
            ),
        }
    }
    if let Some(store) = store {
        store.close().await;
    }
    match served {
        Ok(Ok(())) => {
            tracing::info!("Stopped");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            err(&format!("error: the server failed: {e}"));
            ExitCode::FAILURE
        }
        Err(e) => {
            err(&format!("error: the server task failed: {e}"));
            ExitCode::FAILURE
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The lines that tell the user where the gateway listens and how to call it.
fn banner(local: &std::net::SocketAddr, source: &ConfigSource, models: usize, dev_key: bool) {
    let url = format!("http://{local}");
    tracing::info!(%url, config = %describe_source(source), models, "Portcullis is listening");
    // The well-known demo key is printed; a key of the user's own is not.
    let key = if dev_key && std::env::var_os("PORTCULLIS_DEV_KEY").is_some() {
        "$PORTCULLIS_DEV_KEY".to_string()
    } else if dev_key {
        "sk-portcullis-dev".to_string()
    } else {
        "<your key>".to_string()
    };
    out(&format!(
        "Portcullis listening on {url} ({})",
        describe_source(source)
    ));
    out(&format!(
        "Try: curl {url}/v1/chat/completions -H 'Authorization: Bearer {key}' \
         -H 'Content-Type: application/json' \
         -d '{{\"model\":\"mock-echo\",\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}]}}'"
    ));
    if dev_key && !local.ip().is_loopback() {
        tracing::warn!(
            "The embedded defaults use a well-known demo key and this address is reachable from \
             other machines: set PORTCULLIS_DEV_KEY or use a configuration file"
        );
    }
}
