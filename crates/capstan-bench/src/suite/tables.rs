//! The summary's Markdown: per scenario, a table with a row per server
//! and configuration, ratio columns against Capstan, the best peer per
//! figure, and the targets of that scenario.

use std::fmt::Write;

use super::plan::{P99_RATE, Scenario};
use super::ratio::{Better, cell};
use super::record::{Outcome, Records, best_peer};
use super::results::{Broadcast, Churn, Echo, Figures, Idle};
use super::servers::Server;
use super::targets::Check;
use crate::loadgen::report::{latency, maybe, mib, percent, rate, thousands};

/// What the ratio columns mean, said once above the tables.
pub const RATIOS: &str = "Ratio columns compare the figure to their left with capstan's, turned so that above 1× means capstan did better: **capstan ÷ this** for rates (echoes/s, deliveries/s, cycles/s), **this ÷ capstan** for costs (CPU, latency, memory). Peers' best figures are taken over both their configurations (default and tuned).";

/// A Markdown table: the first column left-aligned, the others right.
#[derive(Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self { header: header.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    /// As Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("| {} |\n|", self.header.join(" | "));
        for i in 0..self.header.len() {
            out.push_str(if i == 0 { ":---|" } else { "---:|" });
        }
        out.push('\n');
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }

    /// A row for a run that failed: its name, `failed`, then dashes.
    fn failed_row(&mut self, leading: Vec<String>) {
        let mut row = leading;
        row.push("failed".into());
        row.resize(self.header.len(), "–".into());
        self.rows.push(row);
    }
}

/// The section of `scenario`: heading, table(s), best peers, targets.
pub fn section(records: &Records, scenario: Scenario, checks: &[Check]) -> String {
    let mut out = format!("### {}\n\n", heading(records, scenario));
    out.push_str(&match scenario {
        Scenario::Echo512 | Scenario::Echo512InFlight4 | Scenario::Echo16k => {
            echo(records, scenario)
        }
        Scenario::Broadcast => broadcast(records),
        Scenario::Idle => idle(records),
        Scenario::Churn => churn(records),
    });
    let failures: Vec<String> = records
        .of(scenario)
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed(why) => {
                Some(format!("- {} failed: {}", r.server.label(), one_line(why)))
            }
            Outcome::Done(_) => None,
        })
        .collect();
    if !failures.is_empty() {
        let _ = write!(out, "\n{}\n", failures.join("\n"));
    }
    let checks: Vec<String> = checks
        .iter()
        .filter(|c| c.scenario == scenario)
        .map(|c| format!("- {}", c.line()))
        .collect();
    if !checks.is_empty() {
        let _ = write!(out, "\nTargets:\n\n{}\n", checks.join("\n"));
    }
    out
}

/// The heading of a scenario, with the sizes read from its runs.
fn heading(records: &Records, scenario: Scenario) -> String {
    let first = records.completed(scenario).map(|(_, f)| f).next();
    match (scenario, first) {
        (_, Some(Figures::Echo(e))) => format!(
            "Echo, {} B, {} in flight per connection, {} connections",
            thousands(e.payload_bytes),
            e.in_flight,
            thousands(e.connections)
        ),
        (_, Some(Figures::Broadcast(b))) => {
            format!("Broadcast to {} subscribers", thousands(b.subscribers))
        }
        (_, Some(Figures::Idle(i))) => {
            format!("Idle: {} connections held", thousands(i.connections))
        }
        (_, Some(Figures::Churn(_))) => "Churn: connect, echo, close".into(),
        (scenario, None) => format!("{} (no completed run)", scenario.id()),
    }
}

/// A failure reason on one line, not too long for a table's notes.
fn one_line(why: &str) -> String {
    let line = why.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line
    }
}

/// `Best peer: figure name (value), …` for `figures` over `rows`.
fn best_line<T>(rows: &[(&'static Server, &T)], figures: &[Figure<T>]) -> String {
    if rows.iter().all(|(s, _)| s.is_capstan()) {
        return "Best peer per figure: no peer was measured.\n".into();
    }
    let parts: Vec<String> = figures
        .iter()
        .map(|f| match best_peer(rows, None, &f.value, f.better == Better::Higher) {
            Some((server, v)) => format!("{} {} ({})", f.name, server.label(), (f.show)(v)),
            None => format!("{} –", f.name),
        })
        .collect();
    format!("Best peer per figure: {}.\n", parts.join("; "))
}

/// How a figure is read from a run's results.
type Reading<T> = Box<dyn Fn(&T) -> Option<f64>>;

/// A figure for the best-peer line.
struct Figure<T> {
    name: &'static str,
    value: Reading<T>,
    better: Better,
    show: Box<dyn Fn(f64) -> String>,
}

fn figure<T>(
    name: &'static str,
    better: Better,
    value: impl Fn(&T) -> Option<f64> + 'static,
    show: impl Fn(f64) -> String + 'static,
) -> Figure<T> {
    Figure { name, value: Box::new(value), better, show: Box::new(show) }
}

fn ns(v: Option<f64>) -> String {
    latency(v.map(|v| v.max(0.0) as u64))
}

fn kib(v: Option<f64>) -> String {
    maybe(v, 2)
}

fn echo(records: &Records, scenario: Scenario) -> String {
    let mut t = Table::new(&[
        "server",
        "echoes/s",
        Better::Higher.header(),
        "server CPU µs/echo",
        Better::Lower.header(),
        "RTT p50",
        "RTT p99",
        Better::Lower.header(),
        "server CPU",
        "loadgen CPU",
        "connections lost",
    ]);
    let rows = records.echoes(scenario);
    let capstan = rows.iter().find(|(s, _)| s.is_capstan()).map(|(_, e)| *e);
    let c = |f: fn(&Echo) -> Option<f64>| capstan.and_then(f);
    for record in records.of(scenario) {
        let Outcome::Done(Figures::Echo(e)) = &record.outcome else {
            t.failed_row(vec![record.server.label()]);
            continue;
        };
        t.rows.push(vec![
            record.server.label(),
            rate(e.echoes_per_second),
            cell(c(|e| Some(e.echoes_per_second)), Some(e.echoes_per_second), Better::Higher),
            maybe(e.server_cpu_us_per_echo, 2),
            cell(c(|e| e.server_cpu_us_per_echo), e.server_cpu_us_per_echo, Better::Lower),
            ns(e.rtt_p50_ns),
            ns(e.rtt_p99_ns),
            cell(c(|e| e.rtt_p99_ns), e.rtt_p99_ns, Better::Lower),
            percent(e.server_cpu_share),
            percent(e.loadgen_cpu_share),
            thousands(e.connections_lost),
        ]);
    }
    let best = best_line(
        &rows,
        &[
            figure("echoes/s", Better::Higher, |e: &Echo| Some(e.echoes_per_second), rate),
            figure(
                "server CPU µs/echo",
                Better::Lower,
                |e: &Echo| e.server_cpu_us_per_echo,
                |v| format!("{v:.2}"),
            ),
            figure("RTT p99", Better::Lower, |e: &Echo| e.rtt_p99_ns, |v| ns(Some(v))),
        ],
    );
    format!(
        "{}\nServer CPU and loadgen CPU: shares of one core over the window (a loadgen near 100 % means the load generator, not the server, set the pace).\n\n{best}",
        t.markdown()
    )
}

fn broadcast(records: &Records) -> String {
    let rows = records.broadcasts();
    let capstan = rows.iter().find(|(s, _)| s.is_capstan()).map(|(_, b)| *b);
    let mut offered: Vec<f64> =
        rows.iter().flat_map(|(_, b)| b.windows.iter().map(|w| w.offered)).collect();
    offered.sort_by(f64::total_cmp);
    offered.dedup();
    let mut t = Table::new(&[
        "offered deliveries/s",
        "server",
        "deliveries/s",
        Better::Higher.header(),
        "p50",
        "p99",
        Better::Lower.header(),
        "p99.9",
        "server CPU ns/delivery",
        Better::Lower.header(),
        "missing",
        "connections lost",
    ]);
    for &rate_offered in &offered {
        let c = capstan.and_then(|b| b.at(rate_offered));
        for record in records.of(Scenario::Broadcast) {
            let label = record.server.label();
            let Outcome::Done(Figures::Broadcast(b)) = &record.outcome else {
                // Once, in the first rate's rows.
                if offered.first() == Some(&rate_offered) {
                    t.failed_row(vec![rate(rate_offered), label]);
                }
                continue;
            };
            let Some(w) = b.at(rate_offered) else { continue };
            t.rows.push(vec![
                rate(rate_offered),
                label,
                rate(w.deliveries_per_second),
                cell(
                    c.map(|c| c.deliveries_per_second),
                    Some(w.deliveries_per_second),
                    Better::Higher,
                ),
                ns(w.p50_ns),
                ns(w.p99_ns),
                cell(c.and_then(|c| c.p99_ns), w.p99_ns, Better::Lower),
                ns(w.p999_ns),
                maybe(w.server_cpu_ns_per_delivery, 0),
                cell(
                    c.and_then(|c| c.server_cpu_ns_per_delivery),
                    w.server_cpu_ns_per_delivery,
                    Better::Lower,
                ),
                thousands(w.missing),
                thousands(w.connections_lost),
            ]);
        }
    }
    let mut most =
        Table::new(&["server", "most deliveries/s", "at offered", Better::Higher.header()]);
    let capstan_most = capstan.and_then(Broadcast::best_window).map(|w| w.deliveries_per_second);
    for (server, b) in &rows {
        if let Some(w) = b.best_window() {
            most.rows.push(vec![
                server.label(),
                rate(w.deliveries_per_second),
                rate(w.offered),
                cell(capstan_most, Some(w.deliveries_per_second), Better::Higher),
            ]);
        }
    }
    let top = offered.last().copied().unwrap_or(0.0);
    let best = best_line(
        &rows,
        &[
            figure(
                "most deliveries/s",
                Better::Higher,
                |b: &Broadcast| b.best_window().map(|w| w.deliveries_per_second),
                rate,
            ),
            figure(
                "p99 at 20,000/s offered",
                Better::Lower,
                |b: &Broadcast| b.at(P99_RATE).and_then(|w| w.p99_ns),
                |v| ns(Some(v)),
            ),
            figure(
                "server CPU ns/delivery at the highest offered rate",
                Better::Lower,
                move |b: &Broadcast| b.at(top).and_then(|w| w.server_cpu_ns_per_delivery),
                |v| format!("{v:.0}"),
            ),
        ],
    );
    format!(
        "{}\nLatency: the publisher's send to a subscriber's read (loadgen's clock), so it includes the load generator's own delay. Missing: deliveries that had not arrived when the drain after the window ended.\n\nMost deliveries/s, over the offered rates:\n\n{}\n{best}",
        t.markdown(),
        most.markdown()
    )
}

fn idle(records: &Records) -> String {
    let mut t = Table::new(&[
        "server",
        "connections",
        "server RSS/conn held, KiB",
        Better::Lower.header(),
        "server RSS/conn open, KiB",
        "kernel TCP buffers/conn, KiB",
        "kernel slab/conn, KiB",
        "connections lost",
    ]);
    let rows = records.idles();
    let capstan =
        rows.iter().find(|(s, _)| s.is_capstan()).and_then(|(_, i)| i.rss_kib_per_conn_held);
    for record in records.of(Scenario::Idle) {
        let Outcome::Done(Figures::Idle(i)) = &record.outcome else {
            t.failed_row(vec![record.server.label()]);
            continue;
        };
        t.rows.push(vec![
            record.server.label(),
            thousands(i.connections),
            kib(i.rss_kib_per_conn_held),
            cell(capstan, i.rss_kib_per_conn_held, Better::Lower),
            kib(i.rss_kib_per_conn_open),
            kib(i.kernel_tcp_kib_per_conn),
            kib(i.kernel_slab_kib_per_conn),
            thousands(i.connections_lost),
        ]);
    }
    let best = best_line(
        &rows,
        &[figure(
            "server RSS/conn held",
            Better::Lower,
            |i: &Idle| i.rss_kib_per_conn_held,
            |v| format!("{v:.2} KiB"),
        )],
    );
    format!(
        "{}\nServer RSS per connection: the server's VmRSS growth from before the first connection ÷ connections. The kernel's memory is apart (system-wide /proc/net/sockstat and slab, both ends of each loopback connection), not in the server's figure.\n\n{best}",
        t.markdown()
    )
}

fn churn(records: &Records) -> String {
    let mut t = Table::new(&[
        "server",
        "cycles done / asked",
        "failed",
        "cycles/s",
        Better::Higher.header(),
        "server CPU µs/cycle",
        Better::Lower.header(),
        "server RSS cold",
        "before (warm)",
        "right after",
        "2 s after",
        "change",
        "change from cold",
    ]);
    let rows = records.churns();
    let capstan = rows.iter().find(|(s, _)| s.is_capstan()).map(|(_, c)| *c);
    let mebi = |kib: Option<f64>| mib(kib.map(|k| k as u64));
    for record in records.of(Scenario::Churn) {
        let Outcome::Done(Figures::Churn(c)) = &record.outcome else {
            t.failed_row(vec![record.server.label()]);
            continue;
        };
        t.rows.push(vec![
            record.server.label(),
            format!("{} / {}", thousands(c.cycles), thousands(c.cycles_asked)),
            thousands(c.failures),
            rate(c.cycles_per_second),
            cell(capstan.map(|c| c.cycles_per_second), Some(c.cycles_per_second), Better::Higher),
            maybe(c.server_cpu_us_per_cycle, 1),
            cell(
                capstan.and_then(|c| c.server_cpu_us_per_cycle),
                c.server_cpu_us_per_cycle,
                Better::Lower,
            ),
            mebi(c.rss_cold_kib),
            mebi(c.rss_before_kib),
            mebi(c.rss_after_kib),
            mebi(c.rss_settled_kib),
            c.rss_change_percent().map_or("–".into(), |p| format!("{p:+.1} %")),
            c.rss_change_from_cold_percent().map_or("–".into(), |p| format!("{p:+.1} %")),
        ]);
    }
    let best = best_line(
        &rows,
        &[
            figure("cycles/s", Better::Higher, |c: &Churn| Some(c.cycles_per_second), rate),
            figure(
                "server CPU µs/cycle",
                Better::Lower,
                |c: &Churn| c.server_cpu_us_per_cycle,
                |v| format!("{v:.1}"),
            ),
        ],
    );
    format!(
        "{}\nRuns are bounded by cycles and by time (the runs differ in cycles asked: see done / asked). Cold: the server's RSS before any connection; before (warm): after a warm-up batch of cycles at the same concurrency (1,000 in the full preset), which faults in the code the cycles run (file-backed pages) and sets the allocator's high-water mark. Change: RSS 2 s after the last cycle against RSS before (warm); change from cold: against the cold RSS.\n\n{best}",
        t.markdown()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::record::Record;
    use crate::suite::servers::ALL;

    #[test]
    fn table_markdown() {
        let mut t = Table::new(&["server", "a", "b"]);
        t.rows.push(vec!["x".into(), "1".into(), "2".into()]);
        t.failed_row(vec!["y".into()]);
        assert_eq!(
            t.markdown(),
            "| server | a | b |\n|:---|---:|---:|\n| x | 1 | 2 |\n| y | failed | – |\n"
        );
    }

    #[test]
    fn idle_section_with_a_failure() {
        let mut records = Records::default();
        let idle = |kib| {
            Outcome::Done(Figures::Idle(Idle {
                connections: 19_500,
                rss_kib_per_conn_open: Some(kib),
                rss_kib_per_conn_held: Some(kib),
                kernel_tcp_kib_per_conn: Some(0.5),
                kernel_slab_kib_per_conn: Some(10.0),
                connections_lost: 0,
            }))
        };
        records.push(Record {
            scenario: Scenario::Idle,
            server: &ALL[0],
            outcome: idle(2.0),
            seconds: None,
        });
        records.push(Record {
            scenario: Scenario::Idle,
            server: &ALL[1],
            outcome: idle(8.0),
            seconds: None,
        });
        records.push(Record {
            scenario: Scenario::Idle,
            server: &ALL[2],
            outcome: Outcome::Failed("loadgen: the server\nhas exited".into()),
            seconds: None,
        });
        let md = section(&records, Scenario::Idle, &[]);
        assert!(md.starts_with("### Idle: 19,500 connections held\n"), "{md}");
        assert!(md.contains("| tungstenite (default) | 19,500 | 8.00 | 4.00× |"), "{md}");
        assert!(md.contains("| capstan | 19,500 | 2.00 | 1.00× |"), "{md}");
        assert!(md.contains("| tungstenite (tuned) | failed |"), "{md}");
        assert!(
            md.contains("- tungstenite (tuned) failed: loadgen: the server has exited"),
            "{md}"
        );
        assert!(
            md.contains(
                "Best peer per figure: server RSS/conn held tungstenite (default) (8.00 KiB)."
            ),
            "{md}"
        );
    }
}
