//! Broadcast: one publisher, N subscribers; for each offered rate, a
//! window of publishing, then a drain; deliveries per second, latency
//! from the publisher's timestamp, server CPU per delivery.

use std::time::{Duration, Instant};

use super::{OTHER_LOAD, SETTLE, common_json, common_notes, document, latency_json, lost};
use crate::json::{Value, object};
use crate::loadgen::plan;
use crate::loadgen::publisher::Publisher;
use crate::loadgen::report::{Report, latency, maybe, percent, rate, thousands};
use crate::loadgen::session::{Context, Sample, Session, rate_line};

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
        let watched_json = |values: &[Option<f64>]| {
            Value::Object(
                ctx.target
                    .watched
                    .iter()
                    .zip(values)
                    .map(|((n, _), v)| (n.clone(), (*v).into()))
                    .collect(),
            )
        };
        let watched_ns_f: Vec<Option<f64>> =
            watched_ns.iter().map(|v| v.map(|v| v as f64)).collect();
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
        windows.push(object([
            ("offered_deliveries_per_second", offered.into()),
            ("publish_rate_per_second", per_second.into()),
            ("published", published.messages.into()),
            ("publishing_seconds", published.elapsed.as_secs_f64().into()),
            ("publisher_max_lag_seconds", published.max_lag.as_secs_f64().into()),
            ("delivered", delivered.into()),
            ("missing", missing.into()),
            ("window_seconds", seconds.into()),
            ("deliveries_per_second", (delivered as f64 / seconds).into()),
            ("latency", latency_json(l)),
            ("server_cpu_ns", cpu_ns.into()),
            ("server_cpu_ns_per_delivery", cpu_ns_per_delivery.into()),
            ("server_cpu_share", end.snapshot.cpu_share_since(&start.snapshot).into()),
            ("watched_cpu_ns", watched_json(&watched_ns_f)),
            ("watched_cpu_ns_per_delivery", watched_json(&watched_per_delivery)),
            ("loadgen_cpu_share", end.loadgen_cpu_share_since(&start).into()),
            ("other_cpu_share", other.into()),
            ("connections_lost", end.totals.ended.into()),
            ("first_error", end.totals.error.clone().into()),
            ("window_start", start.snapshot.json()),
            ("window_end", end.snapshot.json()),
        ]));
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
    let json = document(
        common_json(ctx, workers),
        vec![
            ("subscribers", n.into()),
            ("payload_bytes", o.size.into()),
            ("publishing_seconds", o.duration.as_secs_f64().into()),
            ("max_messages", o.max_messages.into()),
            ("publisher_received", publisher.received().into()),
            ("windows", Value::Array(windows)),
        ],
    );
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
