//! Echo: N connections, each keeping F messages of S bytes in flight;
//! messages per second, round trips, server CPU per message.

use super::{OTHER_LOAD, SETTLE, common_json, common_notes, document, latency_json, lost};
use crate::loadgen::plan;
use crate::loadgen::report::{Report, latency, maybe, mib, percent, rate, thousands};
use crate::loadgen::session::{Context, Session, rate_line};

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
    let json = document(
        common_json(ctx, workers),
        vec![
            ("connections", o.connections.into()),
            ("in_flight", o.in_flight.into()),
            ("payload_bytes", o.size.into()),
            ("warmup_seconds", o.warmup.as_secs_f64().into()),
            ("window_seconds", seconds.into()),
            ("echoes", messages.into()),
            ("echoes_per_second", (messages as f64 / seconds).into()),
            ("received_bytes_per_second", bytes_per_second.into()),
            ("rtt", latency_json(rtt)),
            ("server_cpu_ns", cpu_ns.into()),
            ("server_cpu_us_per_echo", cpu_us_per_message.into()),
            ("server_cpu_share", end.snapshot.cpu_share_since(&start.snapshot).into()),
            ("loadgen_cpu_share", end.loadgen_cpu_share_since(&start).into()),
            ("other_cpu_share", other.into()),
            ("connections_lost", end.totals.ended.into()),
            ("first_error", end.totals.error.clone().into()),
            ("before", go.snapshot.json()),
            ("window_start", start.snapshot.json()),
            ("window_end", end.snapshot.json()),
        ],
    );
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
