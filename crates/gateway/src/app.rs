//! The shared state of a running gateway: the configuration snapshot in force, the call log,
//! metrics, and the drain flag.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use portcullis_store::Store;
use portcullis_telemetry::{CallLog, metrics};

use crate::context::{InboundApi, RequestContext};
use crate::error::{GatewayError, LogLevel};
use crate::snapshot::Snapshot;

/// A handle on the running gateway. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    inner: Arc<AppState>,
}

#[derive(Debug)]
struct AppState {
    snapshot: ArcSwap<Snapshot>,
    call_log: CallLog,
    store: Option<Store>,
    metrics: Option<metrics::MetricsHandle>,
    draining: AtomicBool,
    started_unix: i64,
    /// Metric handles per (API, route, provider), resolved once: the per-call cost is a map
    /// lookup instead of hashing every label set.
    route_metrics: metrics::RouteMetricsCache,
    inflight: [metrics::InflightGauge; 5],
}

impl App {
    /// A gateway serving `snapshot`, recording calls into `call_log`, reading recent calls from
    /// `store` (admin API) and rendering `metrics` on `/metrics`.
    pub fn new(
        snapshot: Snapshot,
        call_log: CallLog,
        store: Option<Store>,
        metrics: Option<metrics::MetricsHandle>,
    ) -> App {
        metrics::set_config_generation(snapshot.generation);
        App {
            inner: Arc::new(AppState {
                snapshot: ArcSwap::from_pointee(snapshot),
                call_log,
                store,
                metrics,
                draining: AtomicBool::new(false),
                started_unix: SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0)),
                route_metrics: metrics::RouteMetricsCache::new(),
                inflight: InboundApi::ALL.map(|api| metrics::InflightGauge::new(api.label())),
            }),
        }
    }

    /// The configuration in force now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.snapshot.load_full()
    }

    /// Puts a new configuration in force. Calls in progress finish on the one they started with.
    pub fn swap_snapshot(&self, snapshot: Snapshot) {
        metrics::set_config_generation(snapshot.generation);
        self.inner.snapshot.store(Arc::new(snapshot));
    }

    pub fn store(&self) -> Option<&Store> {
        self.inner.store.as_ref()
    }

    pub fn metrics(&self) -> Option<&metrics::MetricsHandle> {
        self.inner.metrics.as_ref()
    }

    /// Unix seconds when the gateway started (the `created` of listed models).
    pub fn started_unix(&self) -> i64 {
        self.inner.started_unix
    }

    /// Marks the gateway as draining: `/readyz` fails so load balancers stop sending traffic.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Counts a call of `api` as in flight until the guard is dropped.
    pub(crate) fn enter(&self, api: InboundApi) -> metrics::InflightGuard {
        self.inner.inflight[api as usize].enter()
    }

    /// Ends a call: one call-log record, the request metrics, and a log line for failures.
    pub(crate) fn finish_call(
        &self,
        ctx: &RequestContext,
        status: u16,
        error: Option<(&'static str, String)>,
    ) {
        let elapsed = ctx.started.elapsed();
        let provider = ctx.provider.as_deref().unwrap_or("none");
        let route = ctx.route.as_deref().unwrap_or("unknown");
        let handles = self
            .inner
            .route_metrics
            .get(ctx.api.label(), route, provider);
        handles.record_request(status, elapsed);
        if let Some(ttfb) = ctx.ttfb.filter(|_| ctx.stream) {
            handles.record_ttft(ttfb);
        }
        if let Some(upstream) = ctx.upstream_elapsed {
            handles.record_upstream_duration(upstream);
        }
        if let Some(usage) = ctx.usage {
            handles.record_tokens(
                usage.input_tokens,
                usage.output_tokens,
                usage.cached_input_tokens,
            );
        }
        let record = ctx.to_record(status, error);
        self.inner.call_log.record(record);
    }

    /// Ends a call that failed with `error`, logging it at the level its classification says.
    pub(crate) fn finish_failed_call(&self, ctx: &RequestContext, error: &GatewayError) {
        let class = error.classify();
        match class.level {
            LogLevel::Debug => tracing::debug!(
                request_id = %ctx.request_id, api = ctx.api.label(), status = class.status.as_u16(),
                kind = class.label, "Call refused: {error}"
            ),
            LogLevel::Warn => tracing::warn!(
                request_id = %ctx.request_id, api = ctx.api.label(), status = class.status.as_u16(),
                kind = class.label, provider = ctx.provider.as_deref().unwrap_or("none"),
                "Call failed: {error}"
            ),
            LogLevel::Error => tracing::error!(
                request_id = %ctx.request_id, api = ctx.api.label(), status = class.status.as_u16(),
                kind = class.label, provider = ctx.provider.as_deref().unwrap_or("none"),
                "Call failed and an operator must act: {error}"
            ),
        }
        self.finish_call(
            ctx,
            class.status.as_u16(),
            Some(RequestContext::describe_error(error)),
        );
    }
}
