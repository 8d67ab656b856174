//! Broadcast: one publisher, N subscribers; for each offered rate, a
//! window of publishing, then a drain; deliveries per second, latency
//! from the publisher's timestamp, server CPU per delivery.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::document::{self, Common, Latency};
use super::{OTHER_LOAD, SETTLE, common_notes, lost};
use crate::loadgen::plan;
use crate::loadgen::publisher::Publisher;
use crate::loadgen::report::{Report, latency, maybe, percent, rate, thousands};
use crate::loadgen::session::{Context, Sample, Session, rate_line};
use crate::loadgen::snapshot::Snapshot;

/// Time between probes while waiting for every subscriber.
const PROBE_EVERY: Duration = Duration::from_millis(200);
/// Longest wait for every subscriber to get a probe.
const SUBSCRIBE_LIMIT: Duration = Duration::from_secs(60);
/// Time between samples while draining.
const DRAIN_POLL: Duration = Duration::from_millis(50);
/// A drain ends when nothing more arrives for this long…
const DRAIN_STALL: Duration = Duration::from_secs(3);
/// …or after this long in all.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// What `--json` writes for a broadcast run.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The settings every scenario's document starts with.
    #[serde(flatten)]
    pub common: Common,
    /// Subscribers (the publisher not counted).
    pub subscribers: usize,
    /// Message size.
    pub payload_bytes: usize,
    /// Publishing time per offered rate.
    pub publishing_seconds: f64,
    /// Most messages published per window.
    pub max_messages: u64,
    /// Messages the publisher got back (it is subscribed too).
    pub publisher_received: u64,
    /// One per offered rate, in the order run.
    pub windows: Vec<Window>,
}

/// One offered rate: publishing, then the drain.
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    /// Deliveries per second offered.
    pub offered_deliveries_per_second: f64,
    /// Messages per second published for it (offered ÷ subscribers).
    pub publish_rate_per_second: f64,
    /// Messages published.
    pub published: u64,
    /// Time spent publishing.
    pub publishing_seconds: f64,
    /// How late the latest send was on its schedule.
    pub publisher_max_lag_seconds: f64,
    /// Messages the subscribers received.
    pub delivered: u64,
    /// Published × subscribers − delivered (at least 0).
    pub missing: u64,
    /// Reset to the end of the drain.
    pub window_seconds: f64,
    /// Delivered ÷ window.
    pub deliveries_per_second: f64,
    /// Publisher's send to a subscriber's read.
    pub latency: Latency,
    /// Server CPU time over the window.
    pub server_cpu_ns: Option<u64>,
    /// The same ÷ deliveries.
    pub server_cpu_ns_per_delivery: Option<f64>,
    /// Server CPU, share of one CPU.
    pub server_cpu_share: Option<f64>,
    /// Each watched process's CPU time, by name, in the order given.
    #[serde(serialize_with = "crate::pairs::as_object")]
    pub watched_cpu_ns: Vec<(String, Option<u64>)>,
    /// The same ÷ deliveries.
    #[serde(serialize_with = "crate::pairs::as_object")]
    pub watched_cpu_ns_per_delivery: Vec<(String, Option<f64>)>,
    /// The load generator's CPU, share of one CPU.
    pub loadgen_cpu_share: f64,
    /// The rest of the machine's CPU, share of one CPU.
    pub other_cpu_share: Option<f64>,
    /// Connections that ended before the run did.
    pub connections_lost: u64,
    /// Why the first of them ended.
    pub first_error: Option<String>,
    /// Readings at the window's start.
    pub window_start: Snapshot,
    /// At the end of its drain.
    pub window_end: Snapshot,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Context) -> Result<Report, String> {
    let o = ctx.options.clone();
    let n = o.connections;
    let workers = plan::workers_needed(n, o.procs);
    let mut session = Session::start(&ctx.plans(n, workers, o.connect_concurrency))?;
    session.wait_ready(ctx, n).await?;
    let mut publisher = Publisher::connect(ctx.target.addr(), &o.path(), o.size).await?;
    subscribe_all(&mut session, ctx, &mut publisher, n).await?;
    tokio::time::sleep(SETTLE).await;

    let (mut rows, mut windows) = (Vec::new(), Vec::new());
    for &offered in &o.rates {
        let per_second = offered / n as f64;
        let phase = format!("{} deliveries/s offered:", rate(offered));
        let start = session.sample(ctx, "reset").await?;
        let publishing = tokio::spawn(async move {
            let done = publisher.publish(per_second, o.duration, o.max_messages).await;
            (publisher, done)
        });
        let show = |p: &_, c: &_| rate_line(p, c, "deliveries", |t| t.messages);
        session.watch(ctx, &start, o.duration, &phase, |_| false, show).await?;
        let (back, published) = publishing.await.map_err(|e| format!("publisher task: {e}"))?;
        publisher = back;
        let published = published?;
        let expected = start.totals.messages + published.messages * n as u64;
        let end = drain(&mut session, ctx, expected).await?;

        let delivered = end.totals.messages - start.totals.messages;
        let seconds = end.seconds_since(&start);
        let cpu_ns = end.snapshot.cpu_ns_since(&start.snapshot);
        let cpu_ns_per_delivery = cpu_ns.map(|ns| ns as f64 / delivered.max(1) as f64);
        let missing = (published.messages * n as u64).saturating_sub(delivered);
        let l = &end.totals.latency;
        let other = end.other_cpu_share_since(&start, ctx.ticks_per_second);
        // Watched processes (a cluster's Redis): their CPU apart.
        let watched_ns: Vec<Option<u64>> = (0..ctx.target.watched.len())
            .map(|i| end.snapshot.watched_cpu_ns_since(&start.snapshot, i))
            .collect();
        let watched_per_delivery: Vec<Option<f64>> =
            watched_ns.iter().map(|ns| ns.map(|ns| ns as f64 / delivered.max(1) as f64)).collect();
        let watched = |values: &[Option<u64>]| -> Vec<(String, Option<u64>)> {
            ctx.target.watched.iter().zip(values).map(|((n, _), v)| (n.clone(), *v)).collect()
        };
        let watched_per = |values: &[Option<f64>]| -> Vec<(String, Option<f64>)> {
            ctx.target.watched.iter().zip(values).map(|((n, _), v)| (n.clone(), *v)).collect()
        };
        let mut row = vec![
            rate(offered),
            thousands(published.messages),
            format!("{:.0} ms", published.max_lag.as_secs_f64() * 1e3),
            thousands(delivered),
            rate(delivered as f64 / seconds),
            latency(l.quantile(0.5)),
            latency(l.quantile(0.99)),
            latency(l.quantile(0.999)),
            latency(l.max()),
            maybe(cpu_ns_per_delivery, 0),
        ];
        row.extend(watched_per_delivery.iter().map(|v| maybe(*v, 0)));
        row.extend([
            percent(end.snapshot.cpu_share_since(&start.snapshot)),
            percent(Some(end.loadgen_cpu_share_since(&start))),
            percent(other),
            thousands(missing),
            lost(end.totals.ended, &end.totals.error),
        ]);
        rows.push(row);
        windows.push(Window {
            offered_deliveries_per_second: offered,
            publish_rate_per_second: per_second,
            published: published.messages,
            publishing_seconds: published.elapsed.as_secs_f64(),
            publisher_max_lag_seconds: published.max_lag.as_secs_f64(),
            delivered,
            missing,
            window_seconds: seconds,
            deliveries_per_second: delivered as f64 / seconds,
            latency: Latency::of(l),
            server_cpu_ns: cpu_ns,
            server_cpu_ns_per_delivery: cpu_ns_per_delivery,
            server_cpu_share: end.snapshot.cpu_share_since(&start.snapshot),
            watched_cpu_ns: watched(&watched_ns),
            watched_cpu_ns_per_delivery: watched_per(&watched_per_delivery),
            loadgen_cpu_share: end.loadgen_cpu_share_since(&start),
            other_cpu_share: other,
            connections_lost: end.totals.ended,
            first_error: end.totals.error.clone(),
            window_start: start.snapshot,
            window_end: end.snapshot,
        });
        if let Some(why) = publisher.ended() {
            return Err(format!("the publisher's connection ended: {why}"));
        }
    }
    session.workers.stop().await;

    let mut notes = common_notes(ctx, workers);
    notes.insert(
        0,
        format!(
            "1 publisher and {n} subscribers on `{}` (the publisher is subscribed too; its copies are not counted); \
             {} B text messages; per offered rate, {:.1} s of publishing at rate ÷ {n} messages/s (at most {} messages), \
             then a drain until every delivery arrived (or none for {} s).",
            o.path(),
            o.size,
            o.duration.as_secs_f64(),
            thousands(o.max_messages),
            DRAIN_STALL.as_secs()
        ),
    );
    notes.push("Latency: publisher's send to a subscriber's read of the message, from the timestamp in the payload (real-time clock paired once per process with the monotonic clock; see src/clock.rs); it includes the load generator's own delay reading thousands of sockets on one core.".into());
    notes.push(OTHER_LOAD.into());
    notes.push("deliveries/s: delivered ÷ (reset to end of drain). Server CPU: schedstat time over the same span ÷ deliveries. Lag: how late the publisher's most late send was on its schedule (the offered rate was not kept when large).".into());
    let json = document::Document::Broadcast(Document {
        common: Common::new(ctx, workers),
        subscribers: n,
        payload_bytes: o.size,
        publishing_seconds: o.duration.as_secs_f64(),
        max_messages: o.max_messages,
        publisher_received: publisher.received(),
        windows,
    });
    Ok(Report {
        title: format!(
            "loadgen broadcast: 1 publisher → {} subscribers, {} B",
            thousands(n as u64),
            o.size
        ),
        notes,
        columns: [
            "offered deliveries/s",
            "published",
            "publisher lag (max)",
            "delivered",
            "deliveries/s",
            "p50",
            "p99",
            "p99.9",
            "max",
            "server CPU ns/delivery",
        ]
        .iter()
        .map(|c| c.to_string())
        .chain(ctx.target.watched.iter().map(|(name, _)| format!("{name} CPU ns/delivery")))
        .chain(
            ["server CPU", "loadgen CPU", "other load", "missing", "connections lost"]
                .iter()
                .map(|c| c.to_string()),
        )
        .collect(),
        rows,
        json,
    })
}

/// Publishes probes until every subscriber has received one (they are
/// all in the topic), then waits for the stragglers to arrive.
async fn subscribe_all(
    session: &mut Session,
    ctx: &mut Context,
    publisher: &mut Publisher,
    n: usize,
) -> Result<(), String> {
    let label = ctx.label();
    let start = Instant::now();
    let mut shown = Instant::now();
    loop {
        publisher.probe().await?;
        tokio::time::sleep(PROBE_EVERY).await;
        let totals = session.totals("report").await?;
        if totals.reached as usize >= n {
            break;
        }
        if totals.ended > 0 {
            return Err(format!("subscribers lost: {}", lost(totals.ended, &totals.error)));
        }
        if start.elapsed() > SUBSCRIBE_LIMIT {
            return Err(format!(
                "only {}/{n} subscribers got a probe within {} s",
                totals.reached,
                SUBSCRIBE_LIMIT.as_secs()
            ));
        }
        if shown.elapsed() >= Duration::from_secs(1) {
            eprintln!("[{label}] subscribed: {}/{n} got a probe", totals.reached);
            shown = Instant::now();
        }
    }
    let quiet = drain_counts(session, ctx).await?;
    eprintln!(
        "[{label}] every subscriber got a probe ({} probe deliveries in all)",
        thousands(quiet)
    );
    Ok(())
}

/// Waits until the message count stops moving; returns it.
async fn drain_counts(session: &mut Session, ctx: &mut Context) -> Result<u64, String> {
    let mut last = session.totals("report").await?.messages;
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = session.totals("report").await?.messages;
        if now == last || start.elapsed() > DRAIN_LIMIT {
            return Ok(now);
        }
        last = now;
        ctx.target.check_running()?;
    }
}

/// Samples until `expected` messages have arrived, or none arrive for a
/// while; returns the sample at which the count last moved (so that a
/// stall does not count as time spent delivering).
async fn drain(session: &mut Session, ctx: &mut Context, expected: u64) -> Result<Sample, String> {
    let start = Instant::now();
    let mut last = session.sample(ctx, "report").await?;
    while last.totals.messages < expected
        && last.at.elapsed() < DRAIN_STALL
        && start.elapsed() < DRAIN_LIMIT
    {
        tokio::time::sleep(DRAIN_POLL).await;
        let sample = session.sample(ctx, "report").await?;
        if sample.totals.messages != last.totals.messages {
            last = sample;
        }
    }
    if last.totals.messages < expected {
        eprintln!(
            "[{}] drain ended with {} of the expected deliveries missing",
            ctx.label(),
            thousands(expected - last.totals.messages)
        );
    }
    Ok(last)
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
        let document = document::Document::Broadcast(sample());
        let shape = include_str!("../../../tests/fixtures/results/broadcast.skeleton");
        assert_eq!(samples::skeleton(&document), shape);
    }

    /// A broadcast document with every reading there.
    pub fn sample() -> Document {
        let window = Window {
            offered_deliveries_per_second: 2000.0,
            publish_rate_per_second: 100.0,
            published: 100,
            publishing_seconds: 1.01,
            publisher_max_lag_seconds: 0.002,
            delivered: 2000,
            missing: 0,
            window_seconds: 1.2,
            deliveries_per_second: 1666.6,
            latency: samples::latency(),
            server_cpu_ns: Some(9_000_000),
            server_cpu_ns_per_delivery: Some(4500.5),
            server_cpu_share: Some(0.01),
            watched_cpu_ns: Vec::new(),
            watched_cpu_ns_per_delivery: Vec::new(),
            loadgen_cpu_share: 0.02,
            other_cpu_share: Some(0.03),
            connections_lost: 0,
            first_error: None,
            window_start: samples::snapshot(),
            window_end: samples::snapshot(),
        };
        Document {
            common: samples::common("broadcast"),
            subscribers: 20,
            payload_bytes: 64,
            publishing_seconds: 1.5,
            max_messages: 1_000_000,
            publisher_received: 130,
            windows: vec![window],
        }
    }
}
