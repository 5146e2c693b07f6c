//! Every Prometheus metric Portcullis exports: the names, their labels, and the functions that
//! record them. Nothing else in the workspace calls the `metrics` macros, so label sets stay
//! consistent and their cardinality bounded:
//!
//! * `api` is one of the inbound API labels (`openai.chat`, `anthropic.messages`, …), static.
//! * `model` is the **route name** (bounded by the configuration), never the caller's free-text
//!   model; [`UNKNOWN_MODEL`] when no route matched.
//! * `provider` is a configured provider name; [`NO_PROVIDER`] when none was chosen.
//! * `status` is the HTTP status code; `kind` a static snake_case error class.
//!
//! Recording before [`install_recorder`] ran is a no-op, and so is recording through a handle
//! ([`RouteMetrics`], [`InflightGauge`]) resolved before it ran: install first, at startup.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, SharedString, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio_util::sync::CancellationToken;

/// Calls answered, by `api`, `model` (route), `provider` and `status`. Counter.
pub const REQUESTS_TOTAL: &str = "portcullis_requests_total";
/// Total call duration in seconds, by `api` and `provider`. Histogram.
pub const REQUEST_DURATION_SECONDS: &str = "portcullis_request_duration_seconds";
/// Time to the first streamed byte sent to the caller, by `api` and `provider`. Histogram.
pub const TIME_TO_FIRST_TOKEN_SECONDS: &str = "portcullis_time_to_first_token_seconds";
/// Time spent waiting on an upstream, by `provider`. Histogram.
pub const UPSTREAM_DURATION_SECONDS: &str = "portcullis_upstream_duration_seconds";
/// Tokens reported by providers, by `provider`, `model` (route) and `kind`. Counter.
pub const TOKENS_TOTAL: &str = "portcullis_tokens_total";
/// Failed upstream attempts, by `provider` and `kind`. Counter.
pub const UPSTREAM_ERRORS_TOTAL: &str = "portcullis_upstream_errors_total";
/// Call records waiting in the call-log queue. Gauge.
pub const CALL_LOG_QUEUE_DEPTH: &str = "portcullis_call_log_queue_depth";
/// Call records not written, by `reason`: `queue_full`, `closed`, `write_failed`. Counter.
pub const CALL_LOG_DROPPED_TOTAL: &str = "portcullis_call_log_dropped_total";
/// Call records written to the database. Counter.
pub const CALL_LOG_WRITTEN_TOTAL: &str = "portcullis_call_log_written_total";
/// Failed call-log write attempts (each retry counts). Counter.
pub const CALL_LOG_WRITE_ERRORS_TOTAL: &str = "portcullis_call_log_write_errors_total";
/// Configuration reloads, by `result` (`ok` or `error`). Counter.
pub const CONFIG_RELOADS_TOTAL: &str = "portcullis_config_reloads_total";
/// The generation of the configuration being served. Gauge.
pub const CONFIG_GENERATION: &str = "portcullis_config_generation";
/// Requests being handled, by `api`. Gauge.
pub const INFLIGHT_REQUESTS: &str = "portcullis_inflight_requests";

/// The `model` label when no route matched.
pub const UNKNOWN_MODEL: &str = "unknown";
/// The `provider` label when no provider was chosen.
pub const NO_PROVIDER: &str = "none";

/// Bucket bounds (seconds) for whole calls and upstream waits: 5 ms for a cached or refused
/// call up to 5 minutes for a long generation.
const DURATION_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0,
];
/// Bucket bounds (seconds) for time to first token: finer where interactive latency lives.
const TTFT_BUCKETS: &[f64] = &[
    0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0,
];

/// Why the metrics recorder could not be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// Some other `metrics` recorder was installed in this process first.
    #[error("another metrics recorder is already installed in this process")]
    OtherRecorder,
    /// The exporter rejected its configuration (a bug: the buckets are constants).
    #[error("invalid metrics exporter configuration: {0}")]
    Build(String),
}

/// A handle on the installed Prometheus recorder. Cheap to clone.
#[derive(Debug, Clone)]
pub struct MetricsHandle {
    prometheus: PrometheusHandle,
}

impl MetricsHandle {
    /// Renders every metric in the Prometheus text exposition format (version 0.0.4), for the
    /// `/metrics` endpoint. Also drains recorded histogram samples (see [`Self::run_upkeep`]).
    pub fn render(&self) -> String {
        self.prometheus.render()
    }

    /// Folds recorded histogram samples into their buckets. Samples accumulate in memory until
    /// this or [`Self::render`] runs, so a process that nobody scrapes must run it
    /// periodically: see [`Self::upkeep`].
    pub fn run_upkeep(&self) {
        self.prometheus.run_upkeep();
    }

    /// Runs [`Self::run_upkeep`] every `period` until `stop` is cancelled. Spawn it on the
    /// server's task tracker at startup; 5 s is a good period.
    pub async fn upkeep(self, period: Duration, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => self.run_upkeep(),
            }
        }
    }
}

/// Installs the Prometheus recorder as this process's `metrics` recorder and returns its
/// handle. Call it once at startup, before creating the call log or any [`RouteMetrics`].
///
/// Idempotent: later calls return the same handle, so in-process integration tests can each
/// call it and share one recorder (use distinct label values per test to keep them apart).
/// Fails with [`MetricsError::OtherRecorder`] when a different recorder got there first; the
/// gateway then runs without metrics.
pub fn install_recorder() -> Result<MetricsHandle, MetricsError> {
    static INSTALLED: OnceLock<Result<MetricsHandle, MetricsError>> = OnceLock::new();
    INSTALLED.get_or_init(install).clone()
}

fn install() -> Result<MetricsHandle, MetricsError> {
    let builder = [
        (REQUEST_DURATION_SECONDS, DURATION_BUCKETS),
        (UPSTREAM_DURATION_SECONDS, DURATION_BUCKETS),
        (TIME_TO_FIRST_TOKEN_SECONDS, TTFT_BUCKETS),
    ]
    .into_iter()
    .try_fold(PrometheusBuilder::new(), |builder, (name, buckets)| {
        builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), buckets)
    })
    .map_err(|e| MetricsError::Build(e.to_string()))?;
    let recorder = builder.build_recorder();
    let prometheus = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| MetricsError::OtherRecorder)?;
    describe();
    Ok(MetricsHandle { prometheus })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS_TOTAL,
        Unit::Count,
        "Calls answered, by API, route, provider and status."
    );
    describe_histogram!(
        REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Total call duration."
    );
    describe_histogram!(
        TIME_TO_FIRST_TOKEN_SECONDS,
        Unit::Seconds,
        "Time from receiving a streamed call to sending its first byte."
    );
    describe_histogram!(
        UPSTREAM_DURATION_SECONDS,
        Unit::Seconds,
        "Time spent waiting on upstreams."
    );
    describe_counter!(
        TOKENS_TOTAL,
        Unit::Count,
        "Tokens reported by providers, by kind."
    );
    describe_counter!(
        UPSTREAM_ERRORS_TOTAL,
        Unit::Count,
        "Failed upstream attempts, by error kind."
    );
    describe_gauge!(
        CALL_LOG_QUEUE_DEPTH,
        Unit::Count,
        "Call records waiting to be written."
    );
    describe_counter!(
        CALL_LOG_DROPPED_TOTAL,
        Unit::Count,
        "Call records lost, by reason."
    );
    describe_counter!(CALL_LOG_WRITTEN_TOTAL, Unit::Count, "Call records written.");
    describe_counter!(
        CALL_LOG_WRITE_ERRORS_TOTAL,
        Unit::Count,
        "Failed call-log write attempts."
    );
    describe_counter!(
        CONFIG_RELOADS_TOTAL,
        Unit::Count,
        "Configuration reloads, by result."
    );
    describe_gauge!(
        CONFIG_GENERATION,
        Unit::Count,
        "Generation of the configuration in force."
    );
    describe_gauge!(
        INFLIGHT_REQUESTS,
        Unit::Count,
        "Requests being handled, by API."
    );
}

/// Counts one answered call and observes its duration. Runs once per call, when it ends.
///
/// `model` is the matched route name or [`UNKNOWN_MODEL`]; `provider` the provider name or
/// [`NO_PROVIDER`]. Resolves its metrics by label on every call; the request path can use a
/// cached [`RouteMetrics`] instead.
pub fn record_request(
    api: &'static str,
    model: &str,
    provider: &str,
    status: u16,
    duration: Duration,
) {
    let provider = SharedString::from(provider.to_owned());
    metrics::counter!(
        REQUESTS_TOTAL,
        "api" => api,
        "model" => model.to_owned(),
        "provider" => provider.clone(),
        "status" => status_label(status),
    )
    .increment(1);
    metrics::histogram!(REQUEST_DURATION_SECONDS, "api" => api, "provider" => provider)
        .record(duration.as_secs_f64());
}

/// Observes the time to first token of a streamed call.
pub fn record_ttft(api: &'static str, provider: &str, ttft: Duration) {
    metrics::histogram!(TIME_TO_FIRST_TOKEN_SECONDS, "api" => api, "provider" => provider.to_owned())
        .record(ttft.as_secs_f64());
}

/// Observes the time a call spent waiting on `provider`.
pub fn record_upstream_duration(provider: &str, duration: Duration) {
    metrics::histogram!(UPSTREAM_DURATION_SECONDS, "provider" => provider.to_owned())
        .record(duration.as_secs_f64());
}

/// Adds a call's token usage; `model` is the route name. Zero counts add nothing.
pub fn record_tokens(provider: &str, model: &str, prompt: u64, completion: u64, cached: u64) {
    let provider = SharedString::from(provider.to_owned());
    let model = SharedString::from(model.to_owned());
    for (kind, count) in [
        ("prompt", prompt),
        ("completion", completion),
        ("cached", cached),
    ] {
        if count > 0 {
            metrics::counter!(
                TOKENS_TOTAL,
                "provider" => provider.clone(),
                "model" => model.clone(),
                "kind" => kind,
            )
            .increment(count);
        }
    }
}

/// Counts one failed upstream attempt; `kind` is the error's stable snake_case class.
pub fn record_upstream_error(provider: &str, kind: &'static str) {
    metrics::counter!(UPSTREAM_ERRORS_TOTAL, "provider" => provider.to_owned(), "kind" => kind)
        .increment(1);
}

/// Counts one configuration reload attempt and whether it was applied.
pub fn record_config_reload(ok: bool) {
    let result = if ok { "ok" } else { "error" };
    metrics::counter!(CONFIG_RELOADS_TOTAL, "result" => result).increment(1);
}

/// Publishes the generation of the configuration now in force.
pub fn set_config_generation(generation: u64) {
    // `as f64` is exact below 2^53: beyond any realistic reload count.
    metrics::gauge!(CONFIG_GENERATION).set(generation as f64);
}

/// Marks one request in flight on `api` until dropped. Create it when a request arrives and
/// keep it alive until its response (stream included) is finished. Resolves the gauge by label
/// each time; [`InflightGauge`] holds it resolved.
pub fn inflight(api: &'static str) -> InflightGuard {
    InflightGauge::new(api).enter()
}

/// The pre-resolved `portcullis_inflight_requests` gauge of one inbound API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InflightGauge {
    gauge: Gauge,
}

impl InflightGauge {
    /// Resolves the gauge for `api`; build it once per API after [`install_recorder`].
    pub fn new(api: &'static str) -> Self {
        Self {
            gauge: metrics::gauge!(INFLIGHT_REQUESTS, "api" => api),
        }
    }

    /// Marks one request in flight until the guard is dropped.
    pub fn enter(&self) -> InflightGuard {
        self.gauge.increment(1.0);
        InflightGuard {
            gauge: self.gauge.clone(),
        }
    }
}

/// One request in flight; decrements `portcullis_inflight_requests` when dropped.
#[derive(Debug)]
#[must_use = "the request counts as in flight only while the guard lives"]
pub struct InflightGuard {
    gauge: Gauge,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}

/// Metric handles for one (inbound API, route, provider), each resolved on first use and then
/// kept: recording through them skips the label lookup [`record_request`] and friends do on
/// every call, and a series appears only once something was recorded in it (as with the
/// helpers), so unused statuses do not fill `/metrics` with zeros.
///
/// Build them with the configuration snapshot or hold them in a [`RouteMetricsCache`], after
/// [`install_recorder`]: handles resolved before it are no-ops. Statuses outside a fixed list
/// of common codes are looked up on every call.
#[derive(Debug)]
pub struct RouteMetrics {
    api: &'static str,
    model: SharedString,
    provider: SharedString,
    requests: [OnceLock<Counter>; COMMON_STATUSES.len()],
    duration: OnceLock<Histogram>,
    ttft: OnceLock<Histogram>,
    upstream: OnceLock<Histogram>,
    tokens: [OnceLock<Counter>; TOKEN_KINDS.len()],
}

/// Statuses with a cached request counter in [`RouteMetrics`].
const COMMON_STATUSES: [u16; 16] = [
    200, 400, 401, 403, 404, 408, 413, 422, 429, 499, 500, 501, 502, 503, 504, 529,
];

/// The `kind` label of `portcullis_tokens_total`, in [`RouteMetrics::record_tokens`] order.
const TOKEN_KINDS: [&str; 3] = ["prompt", "completion", "cached"];

impl RouteMetrics {
    /// Handles for calls on `api` matched to route `model` and served by `provider` (or
    /// [`UNKNOWN_MODEL`] / [`NO_PROVIDER`]). Resolves nothing yet.
    pub fn new(api: &'static str, model: &str, provider: &str) -> Self {
        Self {
            api,
            model: SharedString::from(model.to_owned()),
            provider: SharedString::from(provider.to_owned()),
            requests: Default::default(),
            duration: OnceLock::new(),
            ttft: OnceLock::new(),
            upstream: OnceLock::new(),
            tokens: Default::default(),
        }
    }

    /// Like [`record_request`].
    pub fn record_request(&self, status: u16, duration: Duration) {
        let requests = || {
            metrics::counter!(
                REQUESTS_TOTAL,
                "api" => self.api,
                "model" => self.model.clone(),
                "provider" => self.provider.clone(),
                "status" => status_label(status),
            )
        };
        match COMMON_STATUSES.iter().position(|&common| common == status) {
            Some(slot) => self.requests[slot].get_or_init(requests).increment(1),
            None => requests().increment(1),
        }
        let histogram = || {
            metrics::histogram!(
                REQUEST_DURATION_SECONDS, "api" => self.api, "provider" => self.provider.clone()
            )
        };
        self.duration
            .get_or_init(histogram)
            .record(duration.as_secs_f64());
    }

    /// Like [`record_ttft`].
    pub fn record_ttft(&self, ttft: Duration) {
        let histogram = || {
            metrics::histogram!(
                TIME_TO_FIRST_TOKEN_SECONDS, "api" => self.api, "provider" => self.provider.clone()
            )
        };
        self.ttft.get_or_init(histogram).record(ttft.as_secs_f64());
    }

    /// Like [`record_upstream_duration`].
    pub fn record_upstream_duration(&self, duration: Duration) {
        let histogram =
            || metrics::histogram!(UPSTREAM_DURATION_SECONDS, "provider" => self.provider.clone());
        self.upstream
            .get_or_init(histogram)
            .record(duration.as_secs_f64());
    }

    /// Like [`record_tokens`]: zero counts add nothing.
    pub fn record_tokens(&self, prompt: u64, completion: u64, cached: u64) {
        let counts = [prompt, completion, cached];
        for ((slot, kind), count) in self.tokens.iter().zip(TOKEN_KINDS).zip(counts) {
            if count > 0 {
                let counter = || {
                    metrics::counter!(
                        TOKENS_TOTAL,
                        "provider" => self.provider.clone(),
                        "model" => self.model.clone(),
                        "kind" => kind,
                    )
                };
                slot.get_or_init(counter).increment(count);
            }
        }
    }
}

/// [`RouteMetrics`] created on first use for each (inbound API, route, provider) and kept.
///
/// Hold one in the configuration snapshot (created after [`install_recorder`]): its size is
/// bounded by the routes and providers the configuration names, as long as callers pass route
/// names and never the caller's free-text model. A lookup takes a shared read lock; only the
/// first call for a new combination takes the write lock.
#[derive(Debug, Default)]
pub struct RouteMetricsCache {
    by_api: RwLock<HashMap<&'static str, ByRoute>>,
}

type ByRoute = HashMap<String, HashMap<String, Arc<RouteMetrics>>>;

impl RouteMetricsCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The handles for `api`, `model` (route name or [`UNKNOWN_MODEL`]) and `provider` (or
    /// [`NO_PROVIDER`]), resolved on the first call for that combination.
    pub fn get(&self, api: &'static str, model: &str, provider: &str) -> Arc<RouteMetrics> {
        let found = self
            .by_api
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(api)
            .and_then(|routes| routes.get(model))
            .and_then(|providers| providers.get(provider))
            .cloned();
        if let Some(metrics) = found {
            return metrics;
        }
        let mut by_api = self.by_api.write().unwrap_or_else(PoisonError::into_inner);
        let providers = by_api
            .entry(api)
            .or_default()
            .entry(model.to_owned())
            .or_default();
        // Another thread may have inserted it between the two locks: keep whichever is there.
        let metrics = providers
            .entry(provider.to_owned())
            .or_insert_with(|| Arc::new(RouteMetrics::new(api, model, provider)));
        Arc::clone(metrics)
    }
}

/// The call log's own metrics, resolved once when the call log starts.
#[derive(Debug, Clone)]
pub(crate) struct CallLogMetrics {
    pub(crate) queue_depth: Gauge,
    pub(crate) written: Counter,
    pub(crate) write_errors: Counter,
    pub(crate) dropped_queue_full: Counter,
    pub(crate) dropped_closed: Counter,
    pub(crate) dropped_write_failed: Counter,
}

impl CallLogMetrics {
    pub(crate) fn resolve() -> Self {
        let dropped =
            |reason: &'static str| metrics::counter!(CALL_LOG_DROPPED_TOTAL, "reason" => reason);
        Self {
            queue_depth: metrics::gauge!(CALL_LOG_QUEUE_DEPTH),
            written: metrics::counter!(CALL_LOG_WRITTEN_TOTAL),
            write_errors: metrics::counter!(CALL_LOG_WRITE_ERRORS_TOTAL),
            dropped_queue_full: dropped("queue_full"),
            dropped_closed: dropped("closed"),
            dropped_write_failed: dropped("write_failed"),
        }
    }
}

/// The `status` label: static text for every valid code, so the hot path does not allocate.
fn status_label(status: u16) -> SharedString {
    static LABELS: OnceLock<Vec<String>> = OnceLock::new();
    let labels = LABELS.get_or_init(|| (100..1000u16).map(|code| code.to_string()).collect());
    match status
        .checked_sub(100)
        .and_then(|i| labels.get(usize::from(i)))
    {
        Some(label) => SharedString::from(label.as_str()),
        None => SharedString::from(status.to_string()),
    }
}
