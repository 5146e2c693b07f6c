//! The metrics as Prometheus sees them: names, label sets, buckets and values. Tests share the
//! process-wide recorder, so each uses label values of its own.
#![expect(
    clippy::unwrap_used,
    reason = "shared test helpers outside #[test] fns: a failed setup is a failed test"
)]

mod support;

use std::time::Duration;

use portcullis_telemetry::metrics::{self, InflightGauge, RouteMetrics, RouteMetricsCache};
use support::prometheus::sample;

fn render() -> String {
    metrics::install_recorder().unwrap().render()
}

#[test]
fn install_is_idempotent_and_every_handle_sees_the_same_metrics() {
    let first = metrics::install_recorder().unwrap();
    let second = metrics::install_recorder().unwrap();
    metrics::record_upstream_error("idem-provider", "upstream_timeout");
    let labels = [("provider", "idem-provider"), ("kind", "upstream_timeout")];
    assert_eq!(
        sample(&first.render(), "portcullis_upstream_errors_total", &labels),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &second.render(),
            "portcullis_upstream_errors_total",
            &labels
        ),
        Some(1.0)
    );
}

#[test]
fn a_request_counts_by_api_route_provider_and_status_and_observes_its_duration() {
    metrics::install_recorder().unwrap();
    metrics::record_request(
        "openai.chat",
        "req-route",
        "req-provider",
        200,
        Duration::from_millis(30),
    );
    metrics::record_request(
        "openai.chat",
        "req-route",
        "req-provider",
        200,
        Duration::from_millis(70),
    );
    metrics::record_request(
        "openai.chat",
        "req-route",
        "req-provider",
        429,
        Duration::from_secs(400),
    );
    let text = render();

    let requests = |status| {
        let labels = [
            ("api", "openai.chat"),
            ("model", "req-route"),
            ("provider", "req-provider"),
            ("status", status),
        ];
        sample(&text, "portcullis_requests_total", &labels)
    };
    assert_eq!(requests("200"), Some(2.0));
    assert_eq!(requests("429"), Some(1.0));

    let bucket = |le| {
        let labels = [
            ("api", "openai.chat"),
            ("provider", "req-provider"),
            ("le", le),
        ];
        sample(&text, "portcullis_request_duration_seconds_bucket", &labels)
    };
    assert_eq!(bucket("0.005"), Some(0.0));
    assert_eq!(bucket("0.05"), Some(1.0));
    assert_eq!(bucket("0.1"), Some(2.0));
    assert_eq!(bucket("300"), Some(2.0));
    assert_eq!(bucket("+Inf"), Some(3.0));
    let labels = [("api", "openai.chat"), ("provider", "req-provider")];
    assert_eq!(
        sample(&text, "portcullis_request_duration_seconds_count", &labels),
        Some(3.0)
    );
    let sum = sample(&text, "portcullis_request_duration_seconds_sum", &labels).unwrap();
    assert!((sum - 400.1).abs() < 1e-9, "{sum}");
}

#[test]
fn ttft_and_upstream_histograms_have_their_own_buckets() {
    metrics::install_recorder().unwrap();
    metrics::record_ttft(
        "anthropic.messages",
        "ttft-provider",
        Duration::from_millis(180),
    );
    metrics::record_upstream_duration("ttft-provider", Duration::from_secs(2));
    let text = render();
    let ttft = |le| {
        let labels = [
            ("api", "anthropic.messages"),
            ("provider", "ttft-provider"),
            ("le", le),
        ];
        sample(
            &text,
            "portcullis_time_to_first_token_seconds_bucket",
            &labels,
        )
    };
    assert_eq!(ttft("0.1"), Some(0.0));
    assert_eq!(ttft("0.2"), Some(1.0));
    assert_eq!(ttft("60"), Some(1.0));
    let upstream = |le| {
        let labels = [("provider", "ttft-provider"), ("le", le)];
        sample(
            &text,
            "portcullis_upstream_duration_seconds_bucket",
            &labels,
        )
    };
    assert_eq!(upstream("1"), Some(0.0));
    assert_eq!(upstream("2.5"), Some(1.0));
}

#[test]
fn tokens_count_by_kind_and_zero_counts_add_no_series() {
    metrics::install_recorder().unwrap();
    metrics::record_tokens("tok-provider", "tok-route", 1_200, 310, 0);
    metrics::record_tokens("tok-provider", "tok-route", 800, 90, 0);
    let text = render();
    let tokens = |kind| {
        let labels = [
            ("provider", "tok-provider"),
            ("model", "tok-route"),
            ("kind", kind),
        ];
        sample(&text, "portcullis_tokens_total", &labels)
    };
    assert_eq!(tokens("prompt"), Some(2_000.0));
    assert_eq!(tokens("completion"), Some(400.0));
    assert_eq!(tokens("cached"), None);
}

#[test]
fn route_metrics_feed_the_same_series_as_the_helpers() {
    metrics::install_recorder().unwrap();
    let route = RouteMetrics::new("openai.embeddings", "rm-route", "rm-provider");
    route.record_request(200, Duration::from_millis(10));
    metrics::record_request(
        "openai.embeddings",
        "rm-route",
        "rm-provider",
        200,
        Duration::from_millis(10),
    );
    // 418 has no pre-resolved counter: it falls back to a lookup, same series shape.
    route.record_request(418, Duration::from_millis(10));
    route.record_ttft(Duration::from_millis(10));
    route.record_upstream_duration(Duration::from_millis(10));
    route.record_tokens(5, 7, 3);
    metrics::record_tokens("rm-provider", "rm-route", 5, 0, 0);
    let text = render();

    let requests = |status| {
        let labels = [
            ("api", "openai.embeddings"),
            ("model", "rm-route"),
            ("provider", "rm-provider"),
            ("status", status),
        ];
        sample(&text, "portcullis_requests_total", &labels)
    };
    assert_eq!(requests("200"), Some(2.0));
    assert_eq!(requests("418"), Some(1.0));
    let count = [("api", "openai.embeddings"), ("provider", "rm-provider")];
    assert_eq!(
        sample(&text, "portcullis_request_duration_seconds_count", &count),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            "portcullis_time_to_first_token_seconds_count",
            &count
        ),
        Some(1.0)
    );
    let upstream = [("provider", "rm-provider")];
    assert_eq!(
        sample(
            &text,
            "portcullis_upstream_duration_seconds_count",
            &upstream
        ),
        Some(1.0)
    );
    let tokens = |kind| {
        let labels = [
            ("provider", "rm-provider"),
            ("model", "rm-route"),
            ("kind", kind),
        ];
        sample(&text, "portcullis_tokens_total", &labels)
    };
    assert_eq!(
        (tokens("prompt"), tokens("completion"), tokens("cached")),
        (Some(10.0), Some(7.0), Some(3.0))
    );
}

#[test]
fn inflight_guards_count_while_alive() {
    metrics::install_recorder().unwrap();
    let labels = [("api", "inflight.test")];
    let one = metrics::inflight("inflight.test");
    let two = metrics::inflight("inflight.test");
    assert_eq!(
        sample(&render(), "portcullis_inflight_requests", &labels),
        Some(2.0)
    );
    drop(one);
    assert_eq!(
        sample(&render(), "portcullis_inflight_requests", &labels),
        Some(1.0)
    );
    drop(two);
    assert_eq!(
        sample(&render(), "portcullis_inflight_requests", &labels),
        Some(0.0)
    );
}

#[test]
fn route_metrics_create_no_series_until_used() {
    metrics::install_recorder().unwrap();
    let route = RouteMetrics::new("openai.chat", "lazy-route", "lazy-provider");
    route.record_tokens(10, 0, 0);
    let text = render();
    assert!(
        !text.contains("lazy-route\",provider=\"lazy-provider\",status"),
        "{text}"
    );
    assert!(
        !text.contains("api=\"openai.chat\",provider=\"lazy-provider\""),
        "{text}"
    );
    let tokens = |kind| {
        let labels = [
            ("provider", "lazy-provider"),
            ("model", "lazy-route"),
            ("kind", kind),
        ];
        sample(&text, "portcullis_tokens_total", &labels)
    };
    assert_eq!((tokens("prompt"), tokens("completion")), (Some(10.0), None));
}

#[test]
fn a_pre_resolved_inflight_gauge_counts_the_same_series() {
    metrics::install_recorder().unwrap();
    let labels = [("api", "inflight.gauge")];
    let gauge = InflightGauge::new("inflight.gauge");
    let held = gauge.clone().enter();
    let also = metrics::inflight("inflight.gauge");
    assert_eq!(
        sample(&render(), "portcullis_inflight_requests", &labels),
        Some(2.0)
    );
    drop((held, also));
    assert_eq!(
        sample(&render(), "portcullis_inflight_requests", &labels),
        Some(0.0)
    );
}

#[test]
fn the_cache_resolves_each_combination_once() {
    metrics::install_recorder().unwrap();
    let cache = RouteMetricsCache::new();
    let first = cache.get("openai.chat", "cache-route", "cache-provider");
    let again = cache.get("openai.chat", "cache-route", "cache-provider");
    assert!(std::sync::Arc::ptr_eq(&first, &again));
    let other_provider = cache.get("openai.chat", "cache-route", "cache-other");
    let other_api = cache.get("anthropic.messages", "cache-route", "cache-provider");
    assert!(!std::sync::Arc::ptr_eq(&first, &other_provider));
    assert!(!std::sync::Arc::ptr_eq(&first, &other_api));

    first.record_request(503, Duration::from_millis(1));
    again.record_request(503, Duration::from_millis(1));
    other_api.record_request(503, Duration::from_millis(1));
    let text = render();
    let requests = |api| {
        let labels = [
            ("api", api),
            ("model", "cache-route"),
            ("provider", "cache-provider"),
            ("status", "503"),
        ];
        sample(&text, "portcullis_requests_total", &labels)
    };
    assert_eq!(requests("openai.chat"), Some(2.0));
    assert_eq!(requests("anthropic.messages"), Some(1.0));
}

#[test]
fn config_reloads_and_generation() {
    metrics::install_recorder().unwrap();
    metrics::record_config_reload(true);
    metrics::record_config_reload(false);
    metrics::record_config_reload(true);
    metrics::set_config_generation(7);
    let text = render();
    assert_eq!(
        sample(
            &text,
            "portcullis_config_reloads_total",
            &[("result", "ok")]
        ),
        Some(2.0)
    );
    assert_eq!(
        sample(
            &text,
            "portcullis_config_reloads_total",
            &[("result", "error")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "portcullis_config_generation", &[]),
        Some(7.0)
    );
}

#[test]
fn every_metric_has_help_text_and_a_type() {
    let handle = metrics::install_recorder().unwrap();
    metrics::record_upstream_error("help-provider", "bad_gateway");
    // Descriptions are published by upkeep (or by a render after it).
    handle.run_upkeep();
    let text = handle.render();
    assert!(
        text.contains("# HELP portcullis_upstream_errors_total Failed upstream attempts"),
        "{text}"
    );
    assert!(
        text.contains("# TYPE portcullis_upstream_errors_total counter"),
        "{text}"
    );
}
