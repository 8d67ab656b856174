//! [`Metrics`]: the registry `/metrics` renders — capstan's counters (read
//! at each scrape), the process's resources, and the latency histograms
//! the application observes (server API calls, broker and store
//! operations) — in the Prometheus text format.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::collector::ServerCollector;

/// The `Content-Type` of what [`Metrics::render`] gives: the Prometheus
/// text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// A server API call's labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    method: String,
    outcome: String,
}

/// A broker or store operation's labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OperationLabels {
    op: String,
}

type Latencies<L> = Family<L, Histogram, fn() -> Histogram>;

/// Buckets from 100 µs to about 13 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

struct Inner {
    registry: Registry,
    api_calls: Latencies<CallLabels>,
    broker: Latencies<OperationLabels>,
    store: Latencies<OperationLabels>,
}

/// The server's metrics. Cheap to clone; clones share the same figures.
/// Each histogram's series is labelled by the strings given: keep them
/// few (method names, operation names), never a user's or a channel's.
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every family registered, with no observation yet.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ServerCollector));
        // The registry ends each help text with a period itself.
        let api_calls =
            Latencies::<CallLabels>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "capstan_api_call_duration_seconds",
            "Server API calls, by method and outcome, and how long each took",
            api_calls.clone(),
        );
        let broker =
            Latencies::<OperationLabels>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "capstan_broker_operation_duration_seconds",
            "Broker operations (publish, subscribe, ...) the application timed, by operation",
            broker.clone(),
        );
        let store =
            Latencies::<OperationLabels>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "capstan_store_operation_duration_seconds",
            "Store operations (append, history, ...) the application timed, by operation",
            store.clone(),
        );
        Self(Arc::new(Inner { registry, api_calls, broker, store }))
    }

    /// Records a server API call: its method (`publish`, …), its outcome
    /// (`ok`, or an error's name) and how long it took.
    pub fn observe_api_call(&self, method: &str, outcome: &str, elapsed: Duration) {
        let labels = CallLabels { method: method.to_owned(), outcome: outcome.to_owned() };
        self.0.api_calls.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Records how long a broker operation (`publish`, `subscribe`, …) took.
    pub fn observe_broker(&self, op: &str, elapsed: Duration) {
        let labels = OperationLabels { op: op.to_owned() };
        self.0.broker.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Records how long a store operation (`append`, `history`, …) took.
    pub fn observe_store(&self, op: &str, elapsed: Duration) {
        let labels = OperationLabels { op: op.to_owned() };
        self.0.store.get_or_create(&labels).observe(elapsed.as_secs_f64());
    }

    /// Every family, now, in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_text::encode(&mut text, &self.0.registry)
            .expect("writing to a String does not fail");
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the sample `series` (name and labels as written).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn api_calls_are_counted_by_method_and_outcome() {
        let metrics = Metrics::new();
        metrics.observe_api_call("publish", "ok", Duration::from_millis(3));
        metrics.observe_api_call("publish", "ok", Duration::from_millis(5));
        metrics.observe_api_call("history", "unknown_channel", Duration::from_micros(50));
        let text = metrics.render();
        let publish = r#"capstan_api_call_duration_seconds_count{method="publish",outcome="ok"}"#;
        assert_eq!(sample(&text, publish), Some(2.0));
        let sum = r#"capstan_api_call_duration_seconds_sum{method="publish",outcome="ok"}"#;
        assert!((sample(&text, sum).unwrap() - 0.008).abs() < 1e-9);
        let fast = r#"capstan_api_call_duration_seconds_bucket{method="history",outcome="unknown_channel",le="0.0001"}"#;
        assert_eq!(sample(&text, fast), Some(1.0), "{text}");
    }

    #[test]
    fn broker_and_store_latencies_are_apart() {
        let metrics = Metrics::new();
        metrics.observe_broker("publish", Duration::from_millis(1));
        metrics.observe_store("append", Duration::from_millis(2));
        metrics.observe_store("append", Duration::from_millis(2));
        let text = metrics.render();
        let broker = r#"capstan_broker_operation_duration_seconds_count{op="publish"}"#;
        let store = r#"capstan_store_operation_duration_seconds_count{op="append"}"#;
        assert_eq!((sample(&text, broker), sample(&text, store)), (Some(1.0), Some(2.0)));
    }

    #[test]
    fn every_family_has_help_and_counters_end_in_total() {
        let text = Metrics::new().render();
        let mut families = 0;
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let mut words = line.split(' ').skip(2);
            let (name, kind) = (words.next().unwrap(), words.next().unwrap());
            assert!(name.starts_with("capstan_"), "{name}");
            assert!(text.contains(&format!("# HELP {name} ")), "no help for {name}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{name} is a {kind}");
            families += 1;
        }
        assert!(families >= 15, "{text}");
        assert!(!text.contains(".."), "a help text with two periods: {text}");
        assert!(text.contains("capstan_process_resident_memory_bytes "));
    }
}
