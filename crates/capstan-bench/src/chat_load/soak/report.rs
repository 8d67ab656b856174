//! The end of a soak run: what failed, if anything, and the figures as
//! text and as JSON.

use serde_json::{Value, json};

use super::ledger::RoomCount;
use super::rss::{Growth, Sample};
use super::tally::Tally;
use crate::histogram::Histogram;

/// Why the run failed, one line per reason; empty if it passed.
pub fn failures(tally: &Tally, connections: usize) -> Vec<String> {
    let sum = |f: fn(&RoomCount) -> u64| tally.rooms.iter().map(f).sum::<u64>();
    let mut failed = Vec::new();
    let mut check = |bad: bool, what: String| {
        if bad {
            failed.push(what);
        }
    };
    check(
        tally.connected != connections as u64,
        format!("{} of {connections} connections opened", tally.connected),
    );
    check(tally.dropped > 0, format!("{} connections dropped", tally.dropped));
    check(tally.pongs_missed > 0, format!("{} pongs missed", tally.pongs_missed));
    check(sum(RoomCount::lost) > 0, format!("{} deliveries lost", sum(RoomCount::lost)));
    check(sum(|r| r.duplicates) > 0, format!("{} deliveries duplicated", sum(|r| r.duplicates)));
    check(
        sum(|r| r.unacked) > 0,
        format!("{} deliveries of messages never acknowledged", sum(|r| r.unacked)),
    );
    check(tally.unanswered() > 0, format!("{} messages never answered", tally.unanswered()));
    check(tally.refused_total() > 0, format!("{} messages refused", tally.refused_total()));
    check(tally.acked_duplicate + sum(|r| r.acked_again) > 0, "messages acknowledged twice".into());
    check(tally.foreign > 0, format!("{} messages not of this run", tally.foreign));
    failed
}

/// `p50 / p99 / p99.9 / max` of a histogram of ns, in ms.
fn quantiles_ms(h: &Histogram) -> String {
    let ms = |v: Option<u64>| v.map_or("–".to_owned(), |v| format!("{:.2}", v as f64 / 1e6));
    format!(
        "p50 {} ms, p99 {} ms, p99.9 {} ms, max {} ms ({} values)",
        ms(h.quantile(0.5)),
        ms(h.quantile(0.99)),
        ms(h.quantile(0.999)),
        ms(h.max()),
        h.count()
    )
}

/// The figures as text (after the samples' lines).
pub fn text(tally: &Tally, growth: Option<&Growth>, failed: &[String]) -> String {
    let sum = |f: fn(&RoomCount) -> u64| tally.rooms.iter().map(f).sum::<u64>();
    let refused = if tally.refused.is_empty() {
        "none".to_owned()
    } else {
        tally.refused.iter().map(|(c, n)| format!("{c} {n}")).collect::<Vec<_>>().join(", ")
    };
    let mut out = String::new();
    out.push_str(&format!(
        "\nconnections: {} opened, {} dropped{}\n",
        tally.connected,
        tally.dropped,
        if tally.drop_reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", tally.drop_reasons.join("; "))
        }
    ));
    out.push_str(&format!(
        "messages: {} sent, {} acknowledged, refused: {refused}, unanswered {}\n",
        tally.sent,
        tally.acked,
        tally.unanswered()
    ));
    let exact = tally.rooms.iter().filter(|r| r.is_exact()).count();
    out.push_str(&format!(
        "deliveries: {} expected, {} received, {} lost, {} duplicated, {} of unacknowledged messages; {exact} of {} rooms exact\n",
        sum(|r| r.expected),
        sum(|r| r.received),
        sum(RoomCount::lost),
        sum(|r| r.duplicates),
        sum(|r| r.unacked),
        tally.rooms.len()
    ));
    out.push_str(&format!("latency, send to another member: {}\n", quantiles_ms(&tally.latency)));
    out.push_str(&format!("latency, send to ack: {}\n", quantiles_ms(&tally.ack_latency)));
    out.push_str(&format!(
        "pings: {} sent, {} answered, {} missed; ping to pong: {}\n",
        tally.pings,
        tally.pongs,
        tally.pongs_missed,
        quantiles_ms(&tally.pong_rtt)
    ));
    match growth {
        Some(g) => out.push_str(&format!(
            "server RSS: {:.1} MiB after the warm-up ({:.0} s into the run), {:.1} MiB at its end ({:.0} s): {:+.1} MiB ({:+.2} %); peak {:.1} MiB\n",
            g.warm.rss_kib as f64 / 1024.0,
            g.warm.running_for.unwrap_or(0.0),
            g.last.rss_kib as f64 / 1024.0,
            g.last.running_for.unwrap_or(0.0),
            g.kib() as f64 / 1024.0,
            g.percent(),
            g.peak_kib as f64 / 1024.0
        )),
        None => out.push_str("server RSS: no sample past the warm-up (run longer)\n"),
    }
    out.push_str("\n| room | members | acked | expected | received | lost | duplicated | unacked |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in &tally.rooms {
        out.push_str(&format!(
            "| soak-{} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.room,
            r.members,
            r.acked,
            r.expected,
            r.received,
            r.lost(),
            r.duplicates,
            r.unacked
        ));
    }
    if failed.is_empty() {
        out.push_str("\nPASS: nothing lost, no connection dropped, no pong missed\n");
    } else {
        out.push_str(&format!("\nFAIL: {}\n", failed.join("; ")));
    }
    out
}

/// Percentiles of a histogram of ns, in ms, as JSON.
fn quantiles_json(h: &Histogram) -> Value {
    let ms = |v: Option<u64>| v.map(|v| v as f64 / 1e6);
    json!({
        "count": h.count(), "p50_ms": ms(h.quantile(0.5)), "p99_ms": ms(h.quantile(0.99)),
        "p999_ms": ms(h.quantile(0.999)), "max_ms": ms(h.max()),
    })
}

/// Everything as JSON: `settings` (as given), the samples, the growth, the
/// tally and the verdict.
pub fn json(
    settings: Value,
    samples: &[Sample],
    growth: Option<&Growth>,
    tally: &Tally,
    failed: &[String],
) -> Value {
    let samples: Vec<Value> = samples
        .iter()
        .map(|s| {
            json!({"seconds": s.seconds, "running_for": s.running_for, "phase": s.phase.word(),
                   "rss_kib": s.rss_kib, "load": s.load, "progress": s.progress.to_json()})
        })
        .collect();
    let growth = growth.map(|g| {
        json!({"warm_rss_kib": g.warm.rss_kib, "warm_at_s": g.warm.running_for,
               "last_rss_kib": g.last.rss_kib, "last_at_s": g.last.running_for,
               "growth_kib": g.kib(), "growth_percent": g.percent(), "peak_kib": g.peak_kib})
    });
    json!({
        "settings": settings,
        "passed": failed.is_empty(),
        "failures": failed,
        "latency": quantiles_json(&tally.latency),
        "ack_latency": quantiles_json(&tally.ack_latency),
        "pong_rtt": quantiles_json(&tally.pong_rtt),
        "rss": growth,
        "samples": samples,
        "tally": tally.to_json(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean() -> Tally {
        let mut t =
            Tally { connected: 2, sent: 1, acked: 1, pings: 2, pongs: 2, ..Tally::default() };
        t.rooms.push(RoomCount {
            room: 0,
            members: 2,
            acked: 1,
            expected: 2,
            received: 2,
            ..RoomCount::default()
        });
        t.latency.record(2_000_000);
        t
    }

    #[test]
    fn a_clean_run_passes() {
        let t = clean();
        assert!(failures(&t, 2).is_empty());
        let text = text(&t, None, &[]);
        assert!(text.contains("PASS"), "{text}");
        assert!(text.contains("| soak-0 | 2 | 1 | 2 | 2 | 0 | 0 | 0 |"), "{text}");
        assert_eq!(json(json!({}), &[], None, &t, &[])["passed"], true);
    }

    #[test]
    fn every_kind_of_failure_is_named() {
        let mut t = clean();
        t.rooms[0].received = 1;
        t.pongs_missed = 1;
        t.drop_one("soak00001: closed by the server".into());
        t.sent = 3;
        t.refused.insert("storage_failed".into(), 1);
        let failed = failures(&t, 3);
        assert_eq!(
            failed,
            [
                "2 of 3 connections opened",
                "1 connections dropped",
                "1 pongs missed",
                "1 deliveries lost",
                "1 messages never answered",
                "1 messages refused"
            ]
        );
        assert!(text(&t, None, &failed).contains("FAIL: 2 of 3"));
    }
}
