//! The server's counters as Prometheus families, read at each scrape:
//! capstan's process-wide [`capstan::stats`] and the process's own
//! resources (`process`). Nothing is kept between scrapes.

use std::fmt;

use capstan::stats::{self, Snapshot};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::process::ProcessReading;

/// Encodes capstan's counters and the process's resources at each scrape.
#[derive(Debug, Default)]
pub(crate) struct ServerCollector;

impl Collector for ServerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let snapshot = stats::snapshot();
        // Built without capstan's `metrics` feature, every count reads 0:
        // better absent than wrong.
        if snapshot.enabled {
            encode_snapshot(&mut encoder, &snapshot)?;
        }
        encode_process(&mut encoder, ProcessReading::now())
    }
}

/// One unlabelled counter.
fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    ConstCounter::new(value).encode(metric)
}

/// One unlabelled gauge.
fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let metric = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(metric)
}

/// A counter with one label, a sample per value of it.
fn labelled_counter(
    encoder: &mut DescriptorEncoder,
    (name, help, label): (&str, &str, &str),
    samples: impl IntoIterator<Item = (String, u64)>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, count) in samples {
        let labels = [(label, value.as_str())];
        ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn encode_snapshot(encoder: &mut DescriptorEncoder, s: &Snapshot) -> fmt::Result {
    labelled_counter(
        encoder,
        (
            "capstan_connections_accepted",
            "TCP connections accepted, by listener (plain or TLS).",
            "transport",
        ),
        [("plain".to_owned(), s.accepted_plain), ("tls".to_owned(), s.accepted_tls)],
    )?;
    gauge(
        encoder,
        "capstan_connections_open",
        "WebSocket connections open (handshake answered, not yet ended).",
        s.open,
    )?;
    labelled_counter(
        encoder,
        ("capstan_connections_closed", "WebSocket connections ended, by cause.", "cause"),
        s.closed.iter().map(|(kind, count)| (kind.label().to_owned(), count)),
    )?;
    labelled_counter(
        encoder,
        (
            "capstan_handshake_rejections",
            "Requests answered with an HTTP error instead of an upgrade or the HTTP service, by status.",
            "status",
        ),
        s.rejected.iter().map(|(status, count)| (status.to_string(), count)),
    )?;
    counter(
        encoder,
        "capstan_messages_received",
        "WebSocket data messages received.",
        s.messages_in,
    )?;
    counter(
        encoder,
        "capstan_received_bytes",
        "Payload bytes of the data messages received.",
        s.bytes_in,
    )?;
    counter(
        encoder,
        "capstan_messages_sent",
        "WebSocket data messages taken for sending, a publication once per subscriber.",
        s.messages_out,
    )?;
    counter(
        encoder,
        "capstan_sent_bytes",
        "Payload bytes of the data messages taken for sending, before compression.",
        s.bytes_out,
    )?;
    counter(
        encoder,
        "capstan_deliveries",
        "Publications taken by a subscribed connection.",
        s.deliveries,
    )?;
    gauge(
        encoder,
        "capstan_queued_bytes",
        "Bytes waiting in connections' outbound queues.",
        s.queued_bytes,
    )?;
    counter(
        encoder,
        "capstan_slow_consumer_closes",
        "Connections closed because their outbound queue passed its bound.",
        s.slow_consumer_closes,
    )?;
    gauge(encoder, "capstan_topics", "Pub/sub topics alive.", s.topics)?;
    gauge(
        encoder,
        "capstan_subscriptions",
        "Subscriptions of connections to topics.",
        s.subscriptions,
    )
}

fn encode_process(encoder: &mut DescriptorEncoder, process: ProcessReading) -> fmt::Result {
    if let Some(bytes) = process.resident_bytes {
        gauge(
            encoder,
            "capstan_process_resident_memory_bytes",
            "Resident memory of the server process.",
            bytes,
        )?;
    }
    if let Some(fds) = process.open_fds {
        gauge(encoder, "capstan_process_open_fds", "File descriptors the process has open.", fds)?;
    }
    Ok(())
}
