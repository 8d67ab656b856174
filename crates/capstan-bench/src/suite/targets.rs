//! The targets Capstan is measured against (from the issue), each checked
//! against the best of each peer's two configurations: MET, MISSED, or
//! not evaluated when a run is missing.

use std::fmt;

use super::plan::{P99_RATE, SATURATION_RATES, Scenario};
use super::ratio::Better;
use super::record::{Records, best_peer};
use super::results::{Broadcast, Echo};
use super::servers::{Family, Server};
use crate::loadgen::report::{latency, rate, thousands};

/// Echo: Capstan's server CPU per echo at most this share of a peer's.
pub const ECHO_CPU_SHARE: f64 = 0.8;
/// Broadcast: Capstan's most deliveries/s at least this many times the best peer's.
pub const BROADCAST_RATE_FACTOR: f64 = 2.0;
/// Broadcast: Capstan's p99 at [`P99_RATE`] at most this share of the best peer's.
pub const BROADCAST_P99_SHARE: f64 = 0.25;
/// Idle: server RSS per connection at most this, KiB.
pub const IDLE_KIB_PER_CONN: f64 = 2.0;
/// Idle, on the way to uWS's figure (issue #20): at most this, KiB.
pub const IDLE_KIB_PER_CONN_AHEAD: f64 = 1.0;
/// Idle: the size the target is set at (smaller runs are flagged).
pub const IDLE_CONNECTIONS: u64 = 19_500;
/// Churn: settled RSS within this % of RSS before.
pub const CHURN_RSS_PERCENT: f64 = 10.0;

/// A target's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    /// A run it needs is missing or failed.
    NotEvaluated,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Met => "MET",
            Verdict::Missed => "MISSED",
            Verdict::NotEvaluated => "NOT EVALUATED",
        })
    }
}

/// One target checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The scenario it belongs to.
    pub scenario: Scenario,
    /// What is asked.
    pub target: String,
    /// Whether it is met.
    pub verdict: Verdict,
    /// The figures it was decided on.
    pub detail: String,
}

impl Check {
    /// As a Markdown list item: `**MET** target: figures`.
    pub fn line(&self) -> String {
        format!("**{}** {}: {}", self.verdict, self.target, self.detail)
    }
}

/// Checks every target whose scenario has results.
pub fn evaluate(records: &Records) -> Vec<Check> {
    let mut checks = Vec::new();
    for scenario in records.scenarios() {
        match scenario {
            Scenario::Echo512 | Scenario::Echo16k => echo(records, scenario, &mut checks),
            Scenario::Echo512InFlight4 => {}
            Scenario::Broadcast => broadcast(records, &mut checks),
            Scenario::Idle => idle(records, &mut checks),
            Scenario::Churn => churn(records, &mut checks),
        }
    }
    checks
}

/// A target comparing Capstan with the best peer: met when capstan ÷ peer
/// is at most `limit` (costs) or at least `limit` (rates).
struct Comparison<'a> {
    scenario: Scenario,
    target: String,
    limit: f64,
    better: Better,
    /// What is named when the peer has no result.
    peer_name: &'a str,
}

impl Comparison<'_> {
    fn check(
        self,
        capstan: Option<f64>,
        peer: Option<(&Server, f64)>,
        show: impl Fn(f64) -> String,
    ) -> Check {
        let limit = self.limit;
        let (verdict, detail) = match (capstan, peer) {
            (Some(c), Some((server, p))) if p > 0.0 => {
                let r = c / p;
                let (met, needs) = match self.better {
                    Better::Lower => (r <= limit, "≤"),
                    Better::Higher => (r >= limit, "≥"),
                };
                let verdict = if met { Verdict::Met } else { Verdict::Missed };
                let detail = format!(
                    "capstan {} vs {} {}: capstan ÷ peer = {r:.2} (needs {needs} {limit:.2})",
                    show(c),
                    server.label(),
                    show(p)
                );
                (verdict, detail)
            }
            (None, _) => (Verdict::NotEvaluated, "no capstan result".to_string()),
            _ => (Verdict::NotEvaluated, format!("no result for {}", self.peer_name)),
        };
        Check { scenario: self.scenario, target: self.target, verdict, detail }
    }
}

fn echo(records: &Records, scenario: Scenario, checks: &mut Vec<Check>) {
    let rows = records.echoes(scenario);
    let capstan = rows.iter().find(|(s, _)| s.is_capstan()).map(|(_, e)| *e);
    let what = match scenario {
        Scenario::Echo16k => "echo 16 KiB",
        _ => "echo 512 B",
    };
    for family in [Family::Fastwebsockets, Family::Tungstenite] {
        let cpu = |e: &Echo| e.server_cpu_us_per_echo;
        let comparison = Comparison {
            scenario,
            target: format!(
                "{what}: capstan server CPU per echo ≤ {ECHO_CPU_SHARE}× {} (best config)",
                possessive(family.name())
            ),
            limit: ECHO_CPU_SHARE,
            better: Better::Lower,
            peer_name: family.name(),
        };
        checks.push(comparison.check(
            capstan.and_then(cpu),
            best_peer(&rows, Some(family), cpu, false),
            |v| format!("{v:.2} µs"),
        ));
        let per_second = |e: &Echo| Some(e.echoes_per_second);
        let comparison = Comparison {
            scenario,
            target: format!(
                "{what}: capstan echoes/s not below {} (best config)",
                possessive(family.name())
            ),
            limit: 1.0,
            better: Better::Higher,
            peer_name: family.name(),
        };
        checks.push(comparison.check(
            capstan.and_then(per_second),
            best_peer(&rows, Some(family), per_second, true),
            |v| format!("{}/s", rate(v)),
        ));
    }
    if scenario == Scenario::Echo512 {
        let cpu = |e: &Echo| e.server_cpu_us_per_echo;
        let comparison = Comparison {
            scenario,
            target: format!("{what}: capstan server CPU per echo ≤ the best peer's (best config)"),
            limit: 1.0,
            better: Better::Lower,
            peer_name: "any peer",
        };
        checks.push(comparison.check(
            capstan.and_then(cpu),
            best_peer(&rows, None, cpu, false),
            |v| format!("{v:.2} µs"),
        ));
    }
}

/// `fastwebsockets'`, `tungstenite's`.
fn possessive(name: &str) -> String {
    if name.ends_with('s') { format!("{name}'") } else { format!("{name}'s") }
}

fn broadcast(records: &Records, checks: &mut Vec<Check>) {
    let rows = records.broadcasts();
    let capstan = rows.iter().find(|(s, _)| s.is_capstan()).map(|(_, b)| *b);
    let most = |b: &Broadcast| b.best_window().map(|w| w.deliveries_per_second);
    let comparison = Comparison {
        scenario: Scenario::Broadcast,
        target: format!(
            "broadcast: capstan's most deliveries/s ≥ {BROADCAST_RATE_FACTOR}× the best peer's"
        ),
        limit: BROADCAST_RATE_FACTOR,
        better: Better::Higher,
        peer_name: "any peer",
    };
    checks.push(comparison.check(
        capstan.and_then(most),
        best_peer(&rows, None, most, true),
        |v| format!("{}/s", rate(v)),
    ));
    let p99 = |b: &Broadcast| b.at(P99_RATE).and_then(|w| w.p99_ns);
    let comparison = Comparison {
        scenario: Scenario::Broadcast,
        target: format!(
            "broadcast: capstan's p99 at {}/s offered ≤ {BROADCAST_P99_SHARE}× the best peer's",
            rate(P99_RATE)
        ),
        limit: BROADCAST_P99_SHARE,
        better: Better::Lower,
        peer_name: "any peer",
    };
    checks.push(comparison.check(capstan.and_then(p99), best_peer(&rows, None, p99, false), |v| {
        latency(Some(v as u64))
    }));
    for offered in SATURATION_RATES {
        saturation(&rows, capstan, offered, checks);
    }
}

/// At an offered rate past one core: Capstan at least as good as
/// uWebSockets (its better configuration) in deliveries/s, p99 and server
/// CPU per delivery.
fn saturation(
    rows: &[(&'static Server, &Broadcast)],
    capstan: Option<&Broadcast>,
    offered: f64,
    checks: &mut Vec<Check>,
) {
    type Figure = fn(&super::results::Window) -> Option<f64>;
    type Shown = fn(f64) -> String;
    let figures: [(&str, Better, Figure, Shown); 3] = [
        (
            "deliveries/s",
            Better::Higher,
            |w| Some(w.deliveries_per_second),
            |v| format!("{}/s", rate(v)),
        ),
        ("p99", Better::Lower, |w| w.p99_ns, |v| latency(Some(v as u64))),
        (
            "server CPU per delivery",
            Better::Lower,
            |w| w.server_cpu_ns_per_delivery,
            |v| format!("{v:.0} ns"),
        ),
    ];
    for (name, better, figure, show) in figures {
        let at = |b: &Broadcast| b.at(offered).and_then(figure);
        let needs = match better {
            Better::Higher => "≥",
            Better::Lower => "≤",
        };
        let comparison = Comparison {
            scenario: Scenario::Broadcast,
            target: format!(
                "broadcast at {}/s offered: capstan's {name} {needs} uWS's (best config)",
                rate(offered)
            ),
            limit: 1.0,
            better,
            peer_name: "uWS",
        };
        let peer = best_peer(rows, Some(Family::Uws), at, better == Better::Higher);
        checks.push(comparison.check(capstan.and_then(at), peer, show));
    }
}

fn idle(records: &Records, checks: &mut Vec<Check>) {
    let capstan = records.idles().into_iter().find(|(s, _)| s.is_capstan()).map(|(_, i)| i);
    for limit in [IDLE_KIB_PER_CONN, IDLE_KIB_PER_CONN_AHEAD] {
        let target = format!(
            "idle: capstan server RSS per connection ≤ {limit} KiB at ~{} connections",
            thousands(IDLE_CONNECTIONS)
        );
        let (verdict, detail) = match capstan.map(|i| (i.rss_kib_per_conn_held, i.connections)) {
            Some((Some(kib), n)) => {
                let verdict = if kib <= limit { Verdict::Met } else { Verdict::Missed };
                let mut detail =
                    format!("{kib:.2} KiB per connection at {} connections", thousands(n));
                if n < IDLE_CONNECTIONS * 9 / 10 {
                    detail.push_str(" (fewer connections than the target's)");
                }
                (verdict, detail)
            }
            Some((None, _)) => (Verdict::NotEvaluated, "no RSS reading".to_string()),
            None => (Verdict::NotEvaluated, "no capstan result".to_string()),
        };
        checks.push(Check { scenario: Scenario::Idle, target, verdict, detail });
    }
}

fn churn(records: &Records, checks: &mut Vec<Check>) {
    let capstan = records.churns().into_iter().find(|(s, _)| s.is_capstan()).map(|(_, c)| c);
    let target = format!(
        "churn: capstan server RSS 2 s after the last cycle within {CHURN_RSS_PERCENT} % of RSS before"
    );
    let (verdict, detail) = match capstan {
        Some(c) => match (c.rss_change_percent(), c.rss_before_kib, c.rss_settled_kib) {
            (Some(change), Some(before), Some(settled)) => {
                let met = change.abs() <= CHURN_RSS_PERCENT;
                let warm = c
                    .warmup_cycles
                    .map_or(String::new(), |w| format!(" (after {} warm-up cycles)", thousands(w)));
                let cold = match (c.rss_cold_kib, c.rss_change_from_cold_percent()) {
                    (Some(kib), Some(p)) => {
                        format!("; from the cold server {:.1} MiB: {p:+.1} %", kib / 1024.0)
                    }
                    _ => String::new(),
                };
                let detail = format!(
                    "{:.1} MiB before{warm}, {:.1} MiB after: {change:+.1} %{cold} ({} of {} cycles done, {} failed)",
                    before / 1024.0,
                    settled / 1024.0,
                    thousands(c.cycles),
                    thousands(c.cycles_asked),
                    thousands(c.failures)
                );
                (if met { Verdict::Met } else { Verdict::Missed }, detail)
            }
            _ => (Verdict::NotEvaluated, "no RSS reading".to_string()),
        },
        None => (Verdict::NotEvaluated, "no capstan result".to_string()),
    };
    checks.push(Check { scenario: Scenario::Churn, target, verdict, detail });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::record::{Outcome, Record};
    use crate::suite::results::{Churn, Figures, Idle, Window};
    use crate::suite::servers::ALL;

    fn echo_run(id: &str, per_second: f64, cpu_us: f64) -> Record {
        Record {
            scenario: Scenario::Echo512,
            server: Server::by_id(id).unwrap(),
            outcome: Outcome::Done(Figures::Echo(Echo {
                connections: 100,
                in_flight: 1,
                payload_bytes: 512,
                echoes_per_second: per_second,
                server_cpu_us_per_echo: Some(cpu_us),
                rtt_p50_ns: Some(1e5),
                rtt_p99_ns: Some(2e5),
                server_cpu_share: Some(1.0),
                loadgen_cpu_share: Some(1.0),
                connections_lost: 0,
            })),
            seconds: None,
        }
    }

    fn verdicts(records: &Records) -> Vec<(String, Verdict)> {
        evaluate(records).into_iter().map(|c| (c.target, c.verdict)).collect()
    }

    #[test]
    fn echo_met_and_missed() {
        let mut records = Records::default();
        records.push(echo_run("capstan", 100_000.0, 4.0));
        // fastwebsockets: the tuned config is the best (5.5 µs): 4.0 ≤ 0.8 × 5.5 = 4.4, met;
        // its default one does more echoes/s than capstan: missed.
        records.push(echo_run("fastwebsockets-default", 120_000.0, 7.0));
        records.push(echo_run("fastwebsockets-tuned", 90_000.0, 5.5));
        // tungstenite: 4.0 > 0.8 × 4.8 = 3.84: missed; echoes/s below capstan's: met.
        records.push(echo_run("tungstenite-tuned", 80_000.0, 4.8));
        let v = verdicts(&records);
        assert_eq!(v.len(), 5);
        assert_eq!(v[0].1, Verdict::Met, "{}", v[0].0);
        assert!(v[0].0.contains("fastwebsockets") && v[0].0.contains("CPU"));
        assert_eq!(v[1].1, Verdict::Missed, "{}", v[1].0);
        assert_eq!(v[2].1, Verdict::Missed, "{}", v[2].0);
        assert_eq!(v[3].1, Verdict::Met, "{}", v[3].0);
        // The best peer of all (tungstenite tuned, 4.8 µs): 4.0 ≤ 4.8, met.
        assert_eq!(v[4].1, Verdict::Met, "{}", v[4].0);
        assert!(v[4].0.contains("≤ the best peer's"), "{}", v[4].0);
        let mut slower = Records::default();
        slower.push(echo_run("capstan", 100_000.0, 5.0));
        slower.push(echo_run("fastwebsockets-tuned", 90_000.0, 4.9));
        slower.push(echo_run("tungstenite-tuned", 80_000.0, 6.0));
        let v = verdicts(&slower);
        assert_eq!(v[4].1, Verdict::Missed, "{}", v[4].0);
        assert!(evaluate(&slower)[4].detail.contains("fastwebsockets (tuned) 4.90 µs"));
        let check = &evaluate(&records)[0];
        assert!(check.detail.contains("fastwebsockets (tuned) 5.50 µs"), "{}", check.detail);
        assert!(check.line().starts_with("**MET** echo 512 B"));
    }

    #[test]
    fn echo_not_evaluated_without_peers_or_capstan() {
        let mut records = Records::default();
        records.push(echo_run("capstan", 1.0, 1.0));
        assert!(evaluate(&records).iter().all(|c| c.verdict == Verdict::NotEvaluated));
        assert!(evaluate(&records)[0].detail.contains("no result for fastwebsockets"));
        let mut records = Records::default();
        records.push(echo_run("tungstenite-default", 1.0, 1.0));
        assert_eq!(evaluate(&records)[2].detail, "no capstan result");
    }

    fn window(offered: f64, per_second: f64, p99_ms: f64) -> Window {
        Window {
            offered,
            deliveries_per_second: per_second,
            p50_ns: Some(p99_ms * 5e5),
            p99_ns: Some(p99_ms * 1e6),
            p999_ns: Some(p99_ms * 2e6),
            server_cpu_ns_per_delivery: Some(100.0),
            missing: 0,
            connections_lost: 0,
        }
    }

    fn broadcast_run(server: &'static Server, windows: Vec<Window>) -> Record {
        Record {
            scenario: Scenario::Broadcast,
            server,
            outcome: Outcome::Done(Figures::Broadcast(Broadcast { subscribers: 10_000, windows })),
            seconds: Some(60.0),
        }
    }

    #[test]
    fn broadcast_met_and_missed() {
        let mut records = Records::default();
        records.push(broadcast_run(
            &ALL[0],
            vec![window(20_000.0, 20_000.0, 1.5), window(1e6, 900_000.0, 50.0)],
        ));
        records.push(broadcast_run(
            &ALL[5],
            vec![window(20_000.0, 20_000.0, 10.0), window(1e6, 400_000.0, 900.0)],
        ));
        records.push(broadcast_run(
            &ALL[8],
            vec![window(20_000.0, 20_000.0, 6.0), window(1e6, 500_000.0, 300.0)],
        ));
        let v = verdicts(&records);
        // 900k < 2 × 500k (uWS tuned): missed; 1.5 ms ≤ 0.25 × 6 ms: met.
        assert_eq!(v[0].1, Verdict::Missed, "{}", v[0].0);
        assert_eq!(v[1].1, Verdict::Met, "{}", v[1].0);
        assert!(evaluate(&records)[1].detail.contains("uWS (tuned) 6.00 ms"));
        // Nobody ran the saturation rates: not evaluated.
        assert_eq!(v.len(), 8);
        assert!(v[2..].iter().all(|(_, v)| *v == Verdict::NotEvaluated), "{v:?}");
    }

    #[test]
    fn broadcast_at_saturation_is_compared_with_uws_figure_by_figure() {
        let mut records = Records::default();
        let with_cpu = |offered, per_second, p99_ms, cpu| Window {
            server_cpu_ns_per_delivery: Some(cpu),
            ..window(offered, per_second, p99_ms)
        };
        records.push(broadcast_run(
            &ALL[0],
            vec![with_cpu(2e6, 1.95e6, 150.0, 470.0), with_cpu(3e6, 2.9e6, 170.0, 300.0)],
        ));
        // uWS default and tuned: the better of the two counts, per figure.
        records.push(broadcast_run(
            &ALL[7],
            vec![with_cpu(2e6, 1.90e6, 140.0, 480.0), with_cpu(3e6, 2.95e6, 160.0, 320.0)],
        ));
        records.push(broadcast_run(
            &ALL[8],
            vec![with_cpu(2e6, 1.94e6, 145.0, 490.0), with_cpu(3e6, 2.8e6, 180.0, 310.0)],
        ));
        let v = verdicts(&records);
        let expected = [
            // 2M: 1.95M ≥ 1.94M; 150 ms > 140 ms; 470 ≤ 480.
            Verdict::Met,
            Verdict::Missed,
            Verdict::Met,
            // 3M: 2.9M < 2.95M; 170 ms > 160 ms; 300 ≤ 310.
            Verdict::Missed,
            Verdict::Missed,
            Verdict::Met,
        ];
        let got: Vec<Verdict> = v[2..].iter().map(|(_, v)| *v).collect();
        assert_eq!(got, expected, "{v:?}");
        assert!(v[3].0.contains("at 2,000,000/s offered: capstan's p99 ≤ uWS's"), "{}", v[3].0);
    }

    #[test]
    fn idle_and_churn() {
        let idle = |kib: f64, connections: u64| Record {
            scenario: Scenario::Idle,
            server: &ALL[0],
            outcome: Outcome::Done(Figures::Idle(Idle {
                connections,
                rss_kib_per_conn_open: Some(kib),
                rss_kib_per_conn_held: Some(kib),
                kernel_tcp_kib_per_conn: Some(0.0),
                kernel_slab_kib_per_conn: Some(1.0),
                connections_lost: 0,
            })),
            seconds: None,
        };
        let churn = |before: f64, settled: f64| Record {
            scenario: Scenario::Churn,
            server: &ALL[0],
            outcome: Outcome::Done(Figures::Churn(Churn {
                cycles_asked: 1_000_000,
                cycles: 900_000,
                failures: 0,
                cycles_per_second: 5000.0,
                server_cpu_us_per_cycle: Some(70.0),
                warmup_cycles: Some(1000),
                rss_cold_kib: Some(3600.0),
                rss_before_kib: Some(before),
                rss_after_kib: Some(settled),
                rss_settled_kib: Some(settled),
            })),
            seconds: None,
        };
        let mut met = Records::default();
        met.push(idle(0.9, 19_500));
        met.push(churn(4000.0, 4300.0));
        assert_eq!(verdicts(&met).iter().map(|v| v.1).collect::<Vec<_>>(), [Verdict::Met; 3]);
        // Under 2 KiB but over 1: the first idle target met, the second missed.
        let mut between = Records::default();
        between.push(idle(1.5, 19_500));
        let v = verdicts(&between);
        assert_eq!(v.iter().map(|v| v.1).collect::<Vec<_>>(), [Verdict::Met, Verdict::Missed]);
        assert!(v[1].0.contains("≤ 1 KiB"), "{}", v[1].0);
        let mut missed = Records::default();
        missed.push(idle(11.6, 10));
        missed.push(churn(4000.0, 4800.0));
        let checks = evaluate(&missed);
        assert_eq!(checks.iter().map(|c| c.verdict).collect::<Vec<_>>(), [Verdict::Missed; 3]);
        assert!(checks[0].detail.contains("fewer connections"));
        assert!(checks[2].detail.contains("+20.0 %"), "{}", checks[2].detail);
        assert!(checks[2].detail.contains("after 1,000 warm-up cycles"), "{}", checks[2].detail);
        assert!(checks[2].detail.contains("cold server 3.5 MiB: +33.3 %"), "{}", checks[2].detail);
        let mut failed = Records::default();
        failed.push(Record {
            scenario: Scenario::Churn,
            server: &ALL[0],
            outcome: Outcome::Failed("timeout".into()),
            seconds: None,
        });
        assert_eq!(evaluate(&failed)[0].verdict, Verdict::NotEvaluated);
    }
}
