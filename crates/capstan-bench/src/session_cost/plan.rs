//! What a `session-cost` run measures: its comparisons, each a `loadgen`
//! scenario run once per side (plain WebSocket, session mode over
//! WebSocket, over SSE) per round, and the order of the sides each round.

use super::args::Options;
use crate::loadgen::report::thousands;
use crate::loadgen::transport::Transport;

/// A kind of comparison (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// Idle connections: server memory per connection.
    Idle,
    /// The echo benchmark's setting: server CPU per echo.
    Echo,
    /// A few sessions as fast as they go: the fallback beside WebSocket.
    Fallback,
}

impl Part {
    /// Every part, in the order they run.
    pub const ALL: [Part; 3] = [Part::Idle, Part::Echo, Part::Fallback];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Part::Idle => "idle",
            Part::Echo => "echo",
            Part::Fallback => "fallback",
        }
    }
}

/// One figure read from loadgen's JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    /// Its key in loadgen's JSON document.
    pub key: &'static str,
    /// What it is, for the tables.
    pub label: &'static str,
    /// Decimals shown.
    pub decimals: usize,
    /// A cost (lower is better) rather than a rate.
    pub lower_is_better: bool,
}

/// Server RSS per connection held.
pub const RSS_PER_CONN: Figure = Figure {
    key: "server_rss_kib_per_conn_held",
    label: "server RSS per connection, KiB",
    decimals: 2,
    lower_is_better: true,
};

/// Server CPU per echo.
pub const CPU_PER_ECHO: Figure = Figure {
    key: "server_cpu_us_per_echo",
    label: "server CPU µs per echo",
    decimals: 2,
    lower_is_better: true,
};

/// Echoes per second.
pub const ECHOES_PER_SECOND: Figure =
    Figure { key: "echoes_per_second", label: "echoes/s", decimals: 0, lower_is_better: false };

/// One comparison: a scenario, its sides, what to read.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Its kind.
    pub part: Part,
    /// Its name in file names (`idle`, `echo`, `fallback-1`, …).
    pub name: String,
    /// Its heading.
    pub title: String,
    /// The sides, the first being the reference.
    pub sides: Vec<Transport>,
    /// loadgen's arguments but the server, the side and the output.
    pub args: Vec<String>,
    /// The figures, the first being the one compared.
    pub figures: Vec<Figure>,
    /// The limit of one run, seconds (loadgen's `--timeout`).
    pub timeout_seconds: u64,
}

/// The comparisons `options` asks for, in the order they run.
pub fn comparisons(o: &Options) -> Vec<Comparison> {
    let seconds = format!("{}", o.seconds.as_secs_f64());
    let warmup = format!("{}", o.warmup.as_secs_f64());
    let window = o.seconds.as_secs() + o.warmup.as_secs();
    let words = |text: &str| text.split_whitespace().map(String::from).collect::<Vec<_>>();
    let mut out = Vec::new();
    for &part in &o.parts {
        match part {
            Part::Idle => out.push(Comparison {
                part,
                name: "idle".into(),
                title: format!(
                    "Idle: {} connections held, plain WebSocket vs session mode",
                    thousands(o.idle_connections as u64)
                ),
                sides: vec![Transport::Plain, Transport::Session],
                args: words(&format!(
                    "idle --connections {} --duration {seconds} --ping-interval 10",
                    o.idle_connections
                )),
                figures: vec![RSS_PER_CONN],
                timeout_seconds: 180 + window,
            }),
            Part::Echo => out.push(Comparison {
                part,
                name: "echo".into(),
                title: format!(
                    "Echo: {} connections, 512 B, 1 in flight, plain WebSocket vs session mode",
                    o.echo_connections
                ),
                sides: vec![Transport::Plain, Transport::Session],
                args: words(&format!(
                    "echo --connections {} --size 512 --in-flight 1 --duration {seconds} --warmup {warmup}",
                    o.echo_connections
                )),
                figures: vec![CPU_PER_ECHO, ECHOES_PER_SECOND],
                timeout_seconds: 120 + window,
            }),
            Part::Fallback => {
                for &sessions in &o.fallback_sessions {
                    out.push(Comparison {
                        part,
                        name: format!("fallback-{sessions}"),
                        title: format!(
                            "Fallback: {sessions} session(s), 512 B, {} in flight each: \
                             plain WebSocket, session over WebSocket, session over SSE + POST",
                            o.window
                        ),
                        sides: vec![Transport::Plain, Transport::Session, Transport::Sse],
                        args: words(&format!(
                            "echo --connections {sessions} --size 512 --in-flight {} \
                             --duration {seconds} --warmup {warmup}",
                            o.window
                        )),
                        figures: vec![ECHOES_PER_SECOND, CPU_PER_ECHO],
                        timeout_seconds: 120 + window,
                    });
                }
            }
        }
    }
    out
}

/// The order of `sides` in round `round` (from 1): turned by one each
/// round, so that each side goes first as often as the others.
pub fn order(sides: &[Transport], round: usize) -> Vec<Transport> {
    let mut turned = sides.to_vec();
    if !turned.is_empty() {
        turned.rotate_left((round.max(1) - 1) % sides.len());
    }
    turned
}

/// loadgen's flag for `side`.
pub fn side_flag(side: Transport) -> Option<&'static str> {
    match side {
        Transport::Plain => None,
        Transport::Session => Some("--session"),
        Transport::Sse => Some("--sse"),
    }
}

/// The file name (without extension) of a run.
pub fn run_name(comparison: &str, round: usize, side: Transport) -> String {
    format!("{comparison}-r{round}-{}", side.name())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::session_cost::args;

    fn options(extra: &str) -> Options {
        let line = format!("--loadgen l --server s --out o {extra}");
        args::parse(line.split_whitespace()).unwrap()
    }

    #[test]
    fn orders_turn() {
        use Transport::*;
        let two = [Plain, Session];
        assert_eq!(order(&two, 1), [Plain, Session]);
        assert_eq!(order(&two, 2), [Session, Plain]);
        assert_eq!(order(&two, 3), [Plain, Session]);
        let three = [Plain, Session, Sse];
        assert_eq!(order(&three, 2), [Session, Sse, Plain]);
        assert_eq!(order(&three, 3), [Sse, Plain, Session]);
        assert_eq!(order(&three, 4), three);
        assert_eq!(order(&three, 0), three);
        assert!(order(&[], 2).is_empty());
    }

    #[test]
    fn the_comparisons() {
        let all = comparisons(&options(""));
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["idle", "echo", "fallback-1", "fallback-10"]);
        assert_eq!(
            all[0].args.join(" "),
            "idle --connections 19000 --duration 4 --ping-interval 10"
        );
        assert_eq!(
            all[1].args.join(" "),
            "echo --connections 100 --size 512 --in-flight 1 --duration 4 --warmup 2"
        );
        assert_eq!(all[3].args[..3], ["echo", "--connections", "10"]);
        assert_eq!(all[2].sides.len(), 3);
        assert!(all[0].title.starts_with("Idle: 19,000 connections"), "{}", all[0].title);
        assert_eq!(all[1].figures[0], CPU_PER_ECHO);
        let quick = comparisons(&options("--quick --only fallback"));
        assert_eq!(quick.len(), 1);
        assert!(quick[0].args.join(" ").ends_with("--duration 1 --warmup 0.5"));
        assert_eq!(side_flag(Transport::Sse), Some("--sse"));
        assert_eq!(run_name("echo", 2, Transport::Session), "echo-r2-session");
        let _ = PathBuf::new();
    }
}
