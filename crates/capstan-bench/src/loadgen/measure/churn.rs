//! Churn: connections opened, used and closed, a bounded number of times
//! (and for a bounded time); the server's memory and descriptors before
//! and after. "Before" is read after a warm-up batch of cycles (the first
//! connections fault in code pages, file-backed RSS, and set the
//! allocator's high-water mark for the concurrency): growth from there is
//! what the cycles leave behind. The cold server's RSS is reported too.

use std::cell::Cell;
use std::time::Duration;

use serde::Serialize;

use super::document::{self, Common};
use super::{OTHER_LOAD, SETTLE, common_notes};
use crate::loadgen::report::{Report, maybe, mib, percent, rate, thousands};
use crate::loadgen::session::{Context, Sample, Session};
use crate::loadgen::snapshot::Snapshot;

/// Time allowed after `--duration` for the cycles in flight to end.
const GRACE: Duration = Duration::from_secs(15);

/// What `--json` writes for a churn run.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The settings every scenario's document starts with.
    #[serde(flatten)]
    pub common: Common,
    /// Cycles asked for.
    pub cycles_asked: usize,
    /// Cycles in flight at once.
    pub concurrency: usize,
    /// Echoed messages per cycle.
    pub messages_per_cycle: usize,
    /// Cycles run before the reading "before".
    pub warmup_cycles: usize,
    /// Message size.
    pub payload_bytes: usize,
    /// Cycles run.
    pub cycles: u64,
    /// Cycles that failed.
    pub failures: u64,
    /// Why the first failed.
    pub first_error: Option<String>,
    /// The workers' time from go to their last cycle's end.
    pub seconds: f64,
    /// Cycles ÷ seconds.
    pub cycles_per_second: f64,
    /// Server CPU time from go to the last cycle.
    pub server_cpu_ns: Option<u64>,
    /// The same ÷ cycles, µs.
    pub server_cpu_us_per_cycle: Option<f64>,
    /// The rest of the machine's CPU, share of one CPU.
    pub other_cpu_share: Option<f64>,
    /// The highest server RSS seen (sampled each second), KiB.
    pub server_rss_kib_peak: Option<u64>,
    /// Readings before any cycle.
    pub cold: Snapshot,
    /// After the warm-up, before the measured cycles (descriptors counted).
    pub before: Snapshot,
    /// Right after the last cycle.
    pub after: Snapshot,
    /// A settling pause later (descriptors counted).
    pub settled: Snapshot,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Context) -> Result<Report, String> {
    let o = ctx.options.clone();
    let workers = o.procs.unwrap_or(1).min(o.cycles).max(1);
    let per_worker = o.concurrency.div_ceil(workers).max(1);
    let cold = ctx.snapshot()?;
    if o.warmup_cycles > 0 {
        warm_up(ctx, o.warmup_cycles, workers, per_worker).await?;
    }
    let mut session = Session::start(&ctx.plans(o.cycles, workers, per_worker))?;
    session.wait_ready(ctx, 0).await?;
    let before_fds = ctx.snapshot_with_fds()?;
    let before = session.sample(ctx, "go").await?;
    let peak = Cell::new(before.snapshot.rss_kib());
    let show = |p: &Sample, c: &Sample| {
        peak.set(peak.get().max(c.snapshot.rss_kib()));
        format!(
            "{} cycles/s, {} done, {} failed, server RSS {}",
            rate((c.totals.cycles - p.totals.cycles) as f64 / c.seconds_since(p).max(1e-9)),
            thousands(c.totals.cycles),
            thousands(c.totals.failures),
            mib(c.snapshot.rss_kib())
        )
    };
    let done = |s: &Sample| s.totals.finished == workers;
    let end = session.watch(ctx, &before, o.duration + GRACE, "cycling", done, show).await?;
    session.workers.stop().await;
    if end.totals.finished < workers {
        return Err(format!("churn did not finish within {} s", (o.duration + GRACE).as_secs()));
    }
    tokio::time::sleep(SETTLE).await;
    let settled = ctx.snapshot_with_fds()?;

    let cycles = end.totals.cycles;
    // The workers' own time from go to their last cycle's end.
    let seconds = end.totals.busy_ms.max(1) as f64 / 1e3;
    let cpu_ns = end.snapshot.cpu_ns_since(&before.snapshot);
    let other = end.other_cpu_share_since(&before, ctx.ticks_per_second);
    let cpu_us_per_cycle = cpu_ns.map(|ns| ns as f64 / cycles.max(1) as f64 / 1e3);
    let growth = match (before.snapshot.rss_kib(), settled.rss_kib()) {
        (Some(a), Some(b)) => format!("{:+.1} MiB", (b as f64 - a as f64) / 1024.0),
        _ => "–".into(),
    };
    let fds = |s: &crate::loadgen::snapshot::Snapshot| {
        s.server.and_then(|r| r.fds).map_or("–".into(), |fds| fds.to_string())
    };
    let row = vec![
        thousands(cycles),
        match &end.totals.error {
            Some(why) if end.totals.failures > 0 => {
                format!("{} ({why})", thousands(end.totals.failures))
            }
            _ => thousands(end.totals.failures),
        },
        rate(cycles as f64 / seconds),
        maybe(cpu_us_per_cycle, 1),
        percent(other),
        mib(cold.rss_kib()),
        mib(before.snapshot.rss_kib()),
        mib(peak.get()),
        mib(end.snapshot.rss_kib()),
        mib(settled.rss_kib()),
        growth,
        format!("{} → {}", fds(&before_fds), fds(&settled)),
        format!("{} / {}", thousands(settled.sockstat.inuse), thousands(settled.sockstat.tw)),
    ];
    let mut notes = common_notes(ctx, workers);
    notes.insert(
        0,
        format!(
            "{} cycles asked (at most {:.0} s), {} at once: connect to `{}`, echo {} message(s) of {} B, close handshake (client's close frame, the server's, then the server closes TCP).",
            thousands(o.cycles as u64),
            o.duration.as_secs_f64(),
            o.concurrency,
            o.path(),
            o.messages_per_cycle,
            o.size
        ),
    );
    notes.push(format!(
        "Server RSS: cold (before any cycle), before the measured cycles (after {} warm-up cycles), highest seen (sampled each second), right after the last, and {} s later; growth = settled − before.",
        thousands(o.warmup_cycles as u64),
        SETTLE.as_secs()
    ));
    notes.push(OTHER_LOAD.into());
    let json = document::Document::Churn(Document {
        common: Common::new(ctx, workers),
        cycles_asked: o.cycles,
        concurrency: o.concurrency,
        messages_per_cycle: o.messages_per_cycle,
        warmup_cycles: o.warmup_cycles,
        payload_bytes: o.size,
        cycles,
        failures: end.totals.failures,
        first_error: end.totals.error.clone(),
        seconds,
        cycles_per_second: cycles as f64 / seconds,
        server_cpu_ns: cpu_ns,
        server_cpu_us_per_cycle: cpu_us_per_cycle,
        other_cpu_share: other,
        server_rss_kib_peak: peak.get(),
        cold,
        before: before_fds,
        after: end.snapshot,
        settled,
    });
    Ok(Report {
        title: format!("loadgen churn: {} connect/close cycles", thousands(cycles)),
        notes,
        columns: [
            "cycles",
            "failed",
            "cycles/s",
            "server CPU µs/cycle",
            "other load",
            "server RSS cold",
            "before",
            "peak",
            "after",
            "settled",
            "growth",
            "server fds before → settled",
            "kernel TCP in use / TIME_WAIT",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: vec![row],
        json,
    })
}

/// Runs `cycles` cycles (same concurrency and workers as the measured
/// ones), then lets the server settle; any failure ends the run.
async fn warm_up(
    ctx: &mut Context,
    cycles: usize,
    workers: usize,
    per_worker: usize,
) -> Result<(), String> {
    let o = ctx.options.clone();
    let workers = workers.min(cycles);
    let mut session = Session::start(&ctx.plans(cycles, workers, per_worker))?;
    session.wait_ready(ctx, 0).await?;
    let start = session.sample(ctx, "go").await?;
    let done = |s: &Sample| s.totals.finished == workers;
    let show = |_: &Sample, c: &Sample| format!("{} cycles done", thousands(c.totals.cycles));
    let end = session.watch(ctx, &start, o.duration + GRACE, "warming up", done, show).await?;
    session.workers.stop().await;
    if end.totals.finished < workers || end.totals.failures > 0 {
        return Err(format!(
            "the warm-up did not complete: {} of {} cycles, {} failed{}",
            thousands(end.totals.cycles),
            thousands(cycles as u64),
            thousands(end.totals.failures),
            end.totals.error.as_ref().map_or(String::new(), |e| format!(" ({e})"))
        ));
    }
    tokio::time::sleep(SETTLE).await;
    Ok(())
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
        let document = document::Document::Churn(sample());
        let shape = include_str!("../../../tests/fixtures/results/churn.skeleton");
        assert_eq!(samples::skeleton(&document), shape);
    }

    /// A churn document with every reading there.
    pub fn sample() -> Document {
        Document {
            common: samples::common("churn"),
            cycles_asked: 200,
            concurrency: 8,
            messages_per_cycle: 1,
            warmup_cycles: 1000,
            payload_bytes: 512,
            cycles: 200,
            failures: 0,
            first_error: None,
            seconds: 0.75,
            cycles_per_second: 266.6,
            server_cpu_ns: Some(40_000_000),
            server_cpu_us_per_cycle: Some(200.5),
            other_cpu_share: Some(0.1),
            server_rss_kib_peak: Some(13_000),
            cold: samples::snapshot(),
            before: samples::snapshot(),
            after: samples::snapshot(),
            settled: samples::snapshot(),
        }
    }
}
