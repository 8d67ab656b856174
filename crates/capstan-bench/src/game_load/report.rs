//! The run's figures: a Markdown table, the same as one JSON line, and
//! the reasons the run failed, if any.

use serde_json::{Value, json};

use super::tally::Tally;
use super::waits::Waits;
use crate::histogram::Histogram;
use crate::procfs::UserSystem;

/// Quantiles reported, with their labels.
const QUANTILES: [(&str, f64); 4] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)];

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Games, spectators per game.
    pub games: usize,
    /// Spectators per game.
    pub spectators: usize,
    /// Between two moves of a game, ms.
    pub move_every_ms: u64,
    /// How long moves were made for, s.
    pub duration_s: u64,
    /// Time to open and start every game, s.
    pub open_s: f64,
    /// The measured window: from just before the first move to the last delivery, s.
    pub window_s: f64,
    /// Moves the schedule holds.
    pub scheduled: u64,
    /// The counts.
    pub tally: Tally,
    /// The server's CPU time over the window, clock ticks.
    pub server_cpu: UserSystem,
    /// The load generator's, clock ticks.
    pub load_cpu: UserSystem,
    /// Clock ticks per second.
    pub ticks_per_second: u64,
    /// The server's RSS before the first connection, with every game
    /// started, and at the end, KiB.
    pub rss_kib: [u64; 3],
    /// The 1-minute load average before the run and at its end.
    pub load_average: [f64; 2],
    /// Time spent waiting for a CPU over the window.
    pub waits: Waits,
}

impl Figures {
    fn cores(&self, cpu: UserSystem) -> f64 {
        cpu.total() as f64 / self.ticks_per_second.max(1) as f64 / self.window_s.max(1e-9)
    }

    /// The server's CPU per acknowledged move, µs.
    fn server_us_per_move(&self) -> f64 {
        self.server_cpu.total() as f64 * 1e6
            / self.ticks_per_second.max(1) as f64
            / self.tally.acked.max(1) as f64
    }

    /// Why the run failed; empty if it passed.
    pub fn failures(&self) -> Vec<String> {
        let t = &self.tally;
        let mut why = Vec::new();
        if t.errors > 0 {
            why.push(format!("{} error message(s) from the server", t.errors));
        }
        if t.other_failures > 0 {
            why.push(format!("{} other failure(s)", t.other_failures));
        }
        if t.sent != self.scheduled {
            why.push(format!("{} moves sent of {} scheduled", t.sent, self.scheduled));
        }
        if !t.complete(self.spectators) {
            why.push(format!(
                "moves sent {}, acknowledged {}, delivered to opponents {} and spectators {} (of {})",
                t.sent,
                t.acked,
                t.to_opponents,
                t.to_spectators,
                t.sent * self.spectators as u64
            ));
        }
        why.extend(t.quoted.iter().cloned());
        why
    }

    /// The figures as Markdown tables.
    pub fn markdown(&self) -> String {
        let t = &self.tally;
        let mib = |kib: u64| kib as f64 / 1024.0;
        let mut out = String::from("| | |\n|:---|---:|\n");
        let mut row = |name: &str, value: String| out.push_str(&format!("| {name} | {value} |\n"));
        row(
            "games (players + spectators)",
            format!("{} ({} + {})", self.games, 2 * self.games, self.games * self.spectators),
        );
        row("all started in (s)", format!("{:.1}", self.open_s));
        row(
            "a move per game every (ms), for (s)",
            format!("{}, {}", self.move_every_ms, self.duration_s),
        );
        row("measured window (s)", format!("{:.2}", self.window_s));
        row(
            "moves scheduled / sent / acknowledged",
            format!("{} / {} / {}", self.scheduled, t.sent, t.acked),
        );
        row("moves per second", format!("{:.0}", t.acked as f64 / self.window_s.max(1e-9)));
        row(
            "delivered to opponents / to spectators",
            format!(
                "{} / {} (of {})",
                t.to_opponents,
                t.to_spectators,
                t.sent * self.spectators as u64
            ),
        );
        row("error messages / other failures", format!("{} / {}", t.errors, t.other_failures));
        row(
            "server CPU (share of one core; µs per move)",
            format!(
                "{:.1} %; {:.1}",
                100.0 * self.cores(self.server_cpu),
                self.server_us_per_move()
            ),
        );
        row(
            "server CPU user / system (s)",
            format!(
                "{:.2} / {:.2}",
                self.server_cpu.user as f64 / self.ticks_per_second.max(1) as f64,
                self.server_cpu.system as f64 / self.ticks_per_second.max(1) as f64
            ),
        );
        row(
            "server RSS: before / all started / end (MiB)",
            format!(
                "{:.1} / {:.1} / {:.1}",
                mib(self.rss_kib[0]),
                mib(self.rss_kib[1]),
                mib(self.rss_kib[2])
            ),
        );
        row(
            "load generator CPU (share of one core)",
            format!("{:.1} %", 100.0 * self.cores(self.load_cpu)),
        );
        row(
            "waiting for a CPU: server / load generator (s)",
            format!(
                "{:.2} / {:.2}",
                self.waits.server_ns as f64 / 1e9,
                self.waits.load_ns as f64 / 1e9
            ),
        );
        row(
            "CPU pressure, share of the window some task waited (machine)",
            self.pressure_share().map_or("–".into(), |p| format!("{:.0} %", 100.0 * p)),
        );
        row(
            "load average (1 min) before / after",
            format!("{:.2} / {:.2}", self.load_average[0], self.load_average[1]),
        );
        out.push_str("\n| latency (ms) | count | p50 | p90 | p99 | p99.9 | max |\n|:---|---:|---:|---:|---:|---:|---:|\n");
        for (name, h) in self.latencies() {
            let q: Vec<String> = QUANTILES.iter().map(|&(_, q)| ms(h.quantile(q))).collect();
            out.push_str(&format!(
                "| {name} | {} | {} | {} |\n",
                h.count(),
                q.join(" | "),
                ms(h.max())
            ));
        }
        out
    }

    /// The share of the window in which some task of the machine waited for a CPU.
    fn pressure_share(&self) -> Option<f64> {
        self.waits.pressure_us.map(|us| us as f64 / 1e6 / self.window_s.max(1e-9))
    }

    fn latencies(&self) -> [(&'static str, &Histogram); 4] {
        let t = &self.tally;
        [
            ("add_move to the mover's add_move_resp", &t.to_mover_ns),
            ("add_move to the opponent's", &t.to_opponent_ns),
            ("add_move to each spectator's", &t.to_spectator_ns),
            ("send lag (due to sent, load generator)", &t.send_lag_ns),
        ]
    }

    /// The figures as JSON (one line with `to_string`).
    pub fn json(&self) -> Value {
        let t = &self.tally;
        let latency = |h: &Histogram| {
            let mut fields = serde_json::Map::new();
            fields.insert("count".into(), json!(h.count()));
            for (label, q) in QUANTILES {
                fields.insert(format!("{label}_ms"), json!(h.quantile(q).map(to_ms)));
            }
            fields.insert("max_ms".into(), json!(h.max().map(to_ms)));
            Value::Object(fields)
        };
        json!({
            "tool": "game-load",
            "games": self.games,
            "players": 2 * self.games,
            "spectators": self.games * self.spectators,
            "move_every_ms": self.move_every_ms,
            "duration_s": self.duration_s,
            "open_s": self.open_s,
            "window_s": self.window_s,
            "moves_scheduled": self.scheduled,
            "moves_sent": t.sent,
            "moves_acked": t.acked,
            "to_opponents": t.to_opponents,
            "to_spectators": t.to_spectators,
            "moves_per_s": t.acked as f64 / self.window_s.max(1e-9),
            "errors": t.errors,
            "other_failures": t.other_failures,
            "latency": {
                "to_mover": latency(&t.to_mover_ns),
                "to_opponent": latency(&t.to_opponent_ns),
                "to_spectator": latency(&t.to_spectator_ns),
                "send_lag": latency(&t.send_lag_ns),
            },
            "server_cpu_share": self.cores(self.server_cpu),
            "server_cpu_user_s": self.server_cpu.user as f64 / self.ticks_per_second.max(1) as f64,
            "server_cpu_system_s": self.server_cpu.system as f64 / self.ticks_per_second.max(1) as f64,
            "server_cpu_us_per_move": self.server_us_per_move(),
            "server_rss_kib": { "before": self.rss_kib[0], "started": self.rss_kib[1], "end": self.rss_kib[2] },
            "load_cpu_share": self.cores(self.load_cpu),
            "load_average": self.load_average,
            "server_runqueue_wait_s": self.waits.server_ns as f64 / 1e9,
            "load_runqueue_wait_s": self.waits.load_ns as f64 / 1e9,
            "cpu_pressure_share": self.pressure_share(),
            "passed": self.failures().is_empty(),
        })
    }
}

fn to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Milliseconds with two decimals; a dash for none.
fn ms(ns: Option<u64>) -> String {
    ns.map_or("–".into(), |ns| format!("{:.2}", to_ms(ns)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::tally::Role;
    use super::*;

    fn figures() -> Figures {
        let mut tally = Tally { sent: 2, ..Tally::default() };
        for role in [Role::Mover, Role::Opponent, Role::Spectator] {
            tally.delivered(role, Duration::from_micros(500));
            tally.delivered(role, Duration::from_millis(3));
        }
        Figures {
            games: 1,
            spectators: 1,
            move_every_ms: 500,
            duration_s: 1,
            open_s: 0.1,
            window_s: 1.0,
            scheduled: 2,
            tally,
            server_cpu: UserSystem { user: 3, system: 1 },
            load_cpu: UserSystem { user: 1, system: 0 },
            ticks_per_second: 100,
            rss_kib: [10_240, 11_264, 12_288],
            load_average: [0.5, 0.7],
            waits: Waits { server_ns: 2_000_000, load_ns: 0, pressure_us: Some(250_000) },
        }
    }

    #[test]
    fn a_complete_run_passes() {
        let f = figures();
        assert!(f.failures().is_empty(), "{:?}", f.failures());
        let text = f.markdown();
        assert!(text.contains("| moves scheduled / sent / acknowledged | 2 / 2 / 2 |"), "{text}");
        assert!(
            text.contains("| server CPU (share of one core; µs per move) | 4.0 %; 20000.0 |"),
            "{text}"
        );
        assert!(text.contains("| add_move to the mover's add_move_resp | 2 | 0.50 |"), "{text}");
        assert!(
            text.contains("| waiting for a CPU: server / load generator (s) | 0.00 / 0.00 |"),
            "{text}"
        );
        assert!(text.contains("some task waited (machine) | 25 % |"), "{text}");
        let line = f.json().to_string();
        assert!(!line.contains('\n'));
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["passed"], true);
        assert_eq!(back["server_rss_kib"]["end"], 12_288);
        assert!((back["latency"]["to_spectator"]["p50_ms"].as_f64().unwrap() - 0.5).abs() < 0.01);
    }

    #[test]
    fn anything_missing_fails() {
        let mut f = figures();
        f.tally.to_spectators -= 1;
        f.tally.fail(true, "game 0: X: error: Cannot add move. It is not your turn.".into());
        let why = f.failures();
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[2].contains("not your turn"));
        f.scheduled = 3;
        assert!(f.failures().iter().any(|w| w.contains("2 moves sent of 3")));
        assert_eq!(f.json()["passed"], false);
    }
}
