//! Echo: N connections, each keeping F messages of S bytes in flight;
//! messages per second, round trips, server CPU per message.

use serde::Serialize;

use super::document::{self, Common, Latency};
use super::{OTHER_LOAD, SETTLE, common_notes, lost};
use crate::loadgen::plan;
use crate::loadgen::report::{Report, latency, maybe, mib, percent, rate, thousands};
use crate::loadgen::session::{Context, Session, rate_line};
use crate::loadgen::snapshot::Snapshot;

/// What `--json` writes for an echo run.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The settings every scenario's document starts with.
    #[serde(flatten)]
    pub common: Common,
    /// Connections.
    pub connections: usize,
    /// Messages in flight per connection.
    pub in_flight: usize,
    /// Message size.
    pub payload_bytes: usize,
    /// Load before the measured window.
    pub warmup_seconds: f64,
    /// The measured window.
    pub window_seconds: f64,
    /// Echoes received in the window.
    pub echoes: u64,
    /// Echoes ÷ window.
    pub echoes_per_second: f64,
    /// Bytes received ÷ window.
    pub received_bytes_per_second: f64,
    /// Round trips, send to echo.
    pub rtt: Latency,
    /// Server CPU time over the window (`None`: no server process known).
    pub server_cpu_ns: Option<u64>,
    /// Server CPU per echo, µs.
    pub server_cpu_us_per_echo: Option<f64>,
    /// Server CPU, share of one CPU.
    pub server_cpu_share: Option<f64>,
    /// The load generator's CPU, share of one CPU.
    pub loadgen_cpu_share: f64,
    /// The rest of the machine's CPU, share of one CPU.
    pub other_cpu_share: Option<f64>,
    /// Connections that ended before the run did.
    pub connections_lost: u64,
    /// Why the first of them ended.
    pub first_error: Option<String>,
    /// Readings once every connection was open.
    pub before: Snapshot,
    /// At the window's start.
    pub window_start: Snapshot,
    /// At its end.
    pub window_end: Snapshot,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Context) -> Result<Report, String> {
    let o = ctx.options.clone();
    let workers = plan::workers_needed(o.connections, o.procs);
    let mut session = Session::start(&ctx.plans(o.connections, workers, o.connect_concurrency))?;
    session.wait_ready(ctx, o.connections).await?;
    tokio::time::sleep(SETTLE).await;
    let show = |p: &_, c: &_| rate_line(p, c, "echoes", |t| t.messages);
    let go = session.sample(ctx, "go").await?;
    if !o.warmup.is_zero() {
        session.watch(ctx, &go, o.warmup, "warming up", |_| false, show).await?;
    }
    let start = session.sample(ctx, "reset").await?;
    let end = session.watch(ctx, &start, o.duration, "measuring", |_| false, show).await?;
    session.workers.stop().await;

    let messages = end.totals.messages - start.totals.messages;
    let seconds = end.seconds_since(&start);
    let cpu_ns = end.snapshot.cpu_ns_since(&start.snapshot);
    let cpu_us_per_message = cpu_ns.map(|ns| ns as f64 / messages.max(1) as f64 / 1e3);
    let rtt = &end.totals.latency;
    let other = end.other_cpu_share_since(&start, ctx.ticks_per_second);
    let bytes_per_second = (end.totals.bytes - start.totals.bytes) as f64 / seconds;
    let columns = [
        "connections",
        "in flight",
        "payload B",
        "echoes/s",
        "MiB/s each way",
        "RTT p50",
        "RTT p99",
        "RTT p99.9",
        "server CPU µs/echo",
        "server CPU",
        "loadgen CPU",
        "other load",
        "server RSS",
        "connections lost",
    ];
    let row = vec![
        thousands(o.connections as u64),
        o.in_flight.to_string(),
        thousands(o.size as u64),
        rate(messages as f64 / seconds),
        format!("{:.1}", bytes_per_second / (1 << 20) as f64),
        latency(rtt.quantile(0.5)),
        latency(rtt.quantile(0.99)),
        latency(rtt.quantile(0.999)),
        maybe(cpu_us_per_message, 2),
        percent(end.snapshot.cpu_share_since(&start.snapshot)),
        percent(Some(end.loadgen_cpu_share_since(&start))),
        percent(other),
        mib(end.snapshot.rss_kib()),
        lost(end.totals.ended, &end.totals.error),
    ];
    let mut notes = common_notes(ctx, workers);
    notes.insert(
        0,
        format!(
            "{} connections to `{}`, each keeping {} text message(s) of {} B in flight; {:.1} s warm-up, then {:.1} s measured.",
            o.connections, o.path(), o.in_flight, o.size, o.warmup.as_secs_f64(), seconds
        ),
    );
    notes.push("Server CPU: its threads' schedstat time over the window ÷ echoes (one message in, one out). RTT: send to echo, loadgen clock.".into());
    notes.push(OTHER_LOAD.into());
    let json = document::Document::Echo(Document {
        common: Common::new(ctx, workers),
        connections: o.connections,
        in_flight: o.in_flight,
        payload_bytes: o.size,
        warmup_seconds: o.warmup.as_secs_f64(),
        window_seconds: seconds,
        echoes: messages,
        echoes_per_second: messages as f64 / seconds,
        received_bytes_per_second: bytes_per_second,
        rtt: Latency::of(rtt),
        server_cpu_ns: cpu_ns,
        server_cpu_us_per_echo: cpu_us_per_message,
        server_cpu_share: end.snapshot.cpu_share_since(&start.snapshot),
        loadgen_cpu_share: end.loadgen_cpu_share_since(&start),
        other_cpu_share: other,
        connections_lost: end.totals.ended,
        first_error: end.totals.error.clone(),
        before: go.snapshot,
        window_start: start.snapshot,
        window_end: end.snapshot,
    });
    Ok(Report {
        title: format!(
            "loadgen echo: {} connections × {} in flight, {} B",
            o.connections, o.in_flight, o.size
        ),
        notes,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows: vec![row],
        json,
    })
}

/// The document's fields, names and nesting as loadgen wrote them before
/// serde (tests/fixtures/results/*.skeleton: the keys of a tiny run's file,
/// written by the hand-written JSON writer).
#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::loadgen::measure::document::samples;

    #[test]
    fn the_document_keeps_its_shape() {
        let document = document::Document::Echo(sample());
        let shape = include_str!("../../../tests/fixtures/results/echo.skeleton");
        assert_eq!(samples::skeleton(&document), shape);
    }

    /// An echo document with every reading there.
    pub fn sample() -> Document {
        Document {
            common: samples::common("echo"),
            connections: 4,
            in_flight: 1,
            payload_bytes: 512,
            warmup_seconds: 0.5,
            window_seconds: 1.25,
            echoes: 6954,
            echoes_per_second: 5563.2,
            received_bytes_per_second: 2848358.4,
            rtt: samples::latency(),
            server_cpu_ns: Some(278_019_868),
            server_cpu_us_per_echo: Some(39.97),
            server_cpu_share: Some(0.27),
            loadgen_cpu_share: 0.22,
            other_cpu_share: Some(0.5),
            connections_lost: 0,
            first_error: None,
            before: samples::snapshot(),
            window_start: samples::snapshot(),
            window_end: samples::snapshot(),
        }
    }
}
