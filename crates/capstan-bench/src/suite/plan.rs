//! The runs: the scenarios, their sizes in the full and the smoke preset,
//! and how long each run should take.

use std::time::Duration;

use super::servers::{Family, Server};

/// How big the runs are (`--preset`, a clap value: its names are
/// [`Preset::name`]'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The sizes of the comparison (about half an hour for every server).
    Full,
    /// Every scenario once, tiny (CI): only that each run completes.
    Smoke,
}

impl Preset {
    /// From `--preset`.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "full" => Ok(Preset::Full),
            "smoke" => Ok(Preset::Smoke),
            other => Err(format!("unknown preset {other:?} (full, smoke)")),
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Full => "full",
            Preset::Smoke => "smoke",
        }
    }

    /// The scenarios run when `--scenarios` is not given.
    pub fn default_scenarios(self) -> &'static [Scenario] {
        match self {
            Preset::Full => &Scenario::ALL,
            Preset::Smoke => {
                &[Scenario::Echo512, Scenario::Broadcast, Scenario::Idle, Scenario::Churn]
            }
        }
    }
}

/// One measurement, run once per server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// Echo, 512 B, one message in flight per connection.
    Echo512,
    /// Echo, 512 B, four in flight.
    Echo512InFlight4,
    /// Echo, 16 KiB, four in flight.
    Echo16k,
    /// Broadcast to many subscribers at rising offered rates.
    Broadcast,
    /// Many idle connections held with pings.
    Idle,
    /// Connect, echo, close, many times.
    Churn,
}

impl Scenario {
    /// All, in the order of the runs and the summary.
    pub const ALL: [Scenario; 6] = [
        Scenario::Echo512,
        Scenario::Echo512InFlight4,
        Scenario::Echo16k,
        Scenario::Broadcast,
        Scenario::Idle,
        Scenario::Churn,
    ];

    /// Its name in `--scenarios`, file names and summary.json.
    pub fn id(self) -> &'static str {
        match self {
            Scenario::Echo512 => "echo-512",
            Scenario::Echo512InFlight4 => "echo-512-if4",
            Scenario::Echo16k => "echo-16k",
            Scenario::Broadcast => "broadcast",
            Scenario::Idle => "idle",
            Scenario::Churn => "churn",
        }
    }

    /// The loadgen scenario.
    pub fn loadgen_name(self) -> &'static str {
        match self {
            Scenario::Echo512 | Scenario::Echo512InFlight4 | Scenario::Echo16k => "echo",
            Scenario::Broadcast => "broadcast",
            Scenario::Idle => "idle",
            Scenario::Churn => "churn",
        }
    }

    /// The scenario with this id.
    pub fn by_id(id: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The scenarios a `--scenarios` value names (ids, or `echo` for the
    /// preset's echo runs, or `all`), in run order.
    pub fn parse_list(spec: &str, preset: Preset) -> Result<Vec<Scenario>, String> {
        let mut chosen = Vec::new();
        for word in spec.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "all" => chosen.extend(preset.default_scenarios()),
                "echo" => chosen.extend(
                    preset.default_scenarios().iter().filter(|s| s.loadgen_name() == "echo"),
                ),
                id => chosen.push(Scenario::by_id(id).ok_or_else(|| {
                    let ids: Vec<&str> = Scenario::ALL.iter().map(|s| s.id()).collect();
                    format!("unknown scenario {id:?} ({}, echo, all)", ids.join(", "))
                })?),
            }
        }
        let ordered: Vec<Scenario> =
            Scenario::ALL.into_iter().filter(|s| chosen.contains(s)).collect();
        if ordered.is_empty() {
            return Err("--scenarios names no scenario".into());
        }
        Ok(ordered)
    }
}

/// The offered rate at which broadcast latencies are compared.
pub const P99_RATE: f64 = 20_000.0;

/// Full: connections of the echo runs.
const ECHO_CONNECTIONS: usize = 100;
/// Full: seconds of warm-up and of measurement per echo run.
const ECHO_WARMUP: f64 = 1.0;
const ECHO_SECONDS: f64 = 8.0;
/// Full: subscribers, offered rates (deliveries/s) and seconds per rate.
const BROADCAST_SUBSCRIBERS: usize = 10_000;
const BROADCAST_RATES: [f64; 4] = [P99_RATE, 100_000.0, 300_000.0, 1_000_000.0];
const BROADCAST_SECONDS: f64 = 10.0;
/// Full: the offered rates added for the servers that batch (Capstan and
/// uWebSockets), where both saturate one core. The others saturate at
/// ~150k deliveries/s here: offered 2–3M/s, they would queue tens of
/// millions of deliveries and drain for minutes.
pub const SATURATION_RATES: [f64; 2] = [2_000_000.0, 3_000_000.0];
/// Full: idle connections (loadgen splits them over two worker
/// processes), seconds between pings, seconds held.
const IDLE_CONNECTIONS: usize = 19_500;
const IDLE_PING: f64 = 10.0;
const IDLE_HOLD: f64 = 15.0;
/// Full: churn cycles and time bound, for Capstan and for the peers.
const CHURN_CAPSTAN: (usize, f64) = (1_000_000, 240.0);
const CHURN_PEERS: (usize, f64) = (100_000, 120.0);
const CHURN_CONCURRENCY: usize = 32;
/// Churn cycles before the reading of RSS before: the first connections
/// fault in code pages and set the allocator's high-water mark (the cold
/// server's RSS is reported beside).
const CHURN_WARMUP: usize = 1_000;

/// For estimates: connections opened per second, churn cycles per second
/// (both as seen on a 2-core machine), and loadgen's fixed pauses (start,
/// settle before readings, stop).
const CONNECTS_PER_SECOND: f64 = 3_500.0;
const CYCLES_PER_SECOND: f64 = 6_000.0;
/// For estimates: churn cycles per second of Node's `ws`, much slower.
const CYCLES_PER_SECOND_NODE_WS: f64 = 1_500.0;
const START: f64 = 0.5;
const SETTLE: f64 = 2.0;
const STOP: f64 = 0.5;
/// For estimates: the drain after each broadcast window: short while the
/// server keeps up, longer above the rate at which peers saturate here
/// (a backlog, drained for up to 30 s).
const DRAIN: f64 = 1.0;
const DRAIN_SATURATED: f64 = 15.0;
const SATURATING_RATE: f64 = 100_000.0;

/// One loadgen run.
#[derive(Debug, Clone)]
pub struct Run {
    /// What it measures.
    pub scenario: Scenario,
    /// On which server.
    pub server: &'static Server,
    /// loadgen's arguments: the scenario and its sizes (the runner adds
    /// the server, the JSON file, the timeout and a note).
    pub args: Vec<String>,
    /// How long it should take.
    pub estimate: Duration,
    /// loadgen's `--timeout`.
    pub timeout: Duration,
}

impl Run {
    /// Its name in file names: `echo-512--capstan`.
    pub fn name(&self) -> String {
        run_name(self.scenario, self.server)
    }
}

/// The file name stem of a run's outputs.
pub fn run_name(scenario: Scenario, server: &Server) -> String {
    format!("{}--{}", scenario.id(), server.id)
}

/// The sizes of one run.
#[derive(Debug, Clone, PartialEq)]
enum Sizes {
    Echo { connections: usize, size: usize, in_flight: usize, warmup: f64, seconds: f64 },
    Broadcast { subscribers: usize, rates: Vec<f64>, seconds: f64 },
    Idle { connections: usize, ping: f64, hold: f64 },
    Churn { cycles: usize, concurrency: usize, warmup: usize, bound: f64, expected_rate: f64 },
}

fn sizes(preset: Preset, scenario: Scenario, server: &Server) -> Sizes {
    let smoke = preset == Preset::Smoke;
    let echo = |size, in_flight| {
        if smoke {
            Sizes::Echo { connections: 10, size, in_flight, warmup: 0.1, seconds: 0.5 }
        } else {
            let (warmup, seconds) = (ECHO_WARMUP, ECHO_SECONDS);
            Sizes::Echo { connections: ECHO_CONNECTIONS, size, in_flight, warmup, seconds }
        }
    };
    match scenario {
        Scenario::Echo512 => echo(512, 1),
        Scenario::Echo512InFlight4 => echo(512, 4),
        Scenario::Echo16k => echo(16_384, 4),
        Scenario::Broadcast if smoke => {
            Sizes::Broadcast { subscribers: 10, rates: vec![P99_RATE, 100_000.0], seconds: 0.5 }
        }
        Scenario::Broadcast => {
            let mut rates = BROADCAST_RATES.to_vec();
            if matches!(server.family, Family::Capstan | Family::Uws) {
                rates.extend(SATURATION_RATES);
            }
            Sizes::Broadcast {
                subscribers: BROADCAST_SUBSCRIBERS,
                rates,
                seconds: BROADCAST_SECONDS,
            }
        }
        Scenario::Idle if smoke => Sizes::Idle { connections: 10, ping: 0.25, hold: 0.5 },
        Scenario::Idle => {
            Sizes::Idle { connections: IDLE_CONNECTIONS, ping: IDLE_PING, hold: IDLE_HOLD }
        }
        Scenario::Churn => {
            let expected_rate = match server.family {
                Family::NodeWs => CYCLES_PER_SECOND_NODE_WS,
                _ => CYCLES_PER_SECOND,
            };
            let (cycles, concurrency, bound) = match (smoke, server.is_capstan()) {
                (true, _) => (200, 8, 10.0),
                (false, true) => (CHURN_CAPSTAN.0, CHURN_CONCURRENCY, CHURN_CAPSTAN.1),
                (false, false) => (CHURN_PEERS.0, CHURN_CONCURRENCY, CHURN_PEERS.1),
            };
            let warmup = if smoke { 20 } else { CHURN_WARMUP };
            Sizes::Churn { cycles, concurrency, warmup, bound, expected_rate }
        }
    }
}

impl Sizes {
    fn args(&self, scenario: Scenario) -> Vec<String> {
        let mut args = vec![scenario.loadgen_name().to_string()];
        let mut flag = |name: &str, value: String| args.extend([name.to_string(), value]);
        match self {
            Sizes::Echo { connections, size, in_flight, warmup, seconds } => {
                flag("--connections", connections.to_string());
                flag("--size", size.to_string());
                flag("--in-flight", in_flight.to_string());
                flag("--warmup", warmup.to_string());
                flag("--duration", seconds.to_string());
            }
            Sizes::Broadcast { subscribers, rates, seconds } => {
                flag("--connections", subscribers.to_string());
                let rates: Vec<String> = rates.iter().map(|r| r.to_string()).collect();
                flag("--rate", rates.join(","));
                flag("--duration", seconds.to_string());
            }
            Sizes::Idle { connections, ping, hold } => {
                flag("--connections", connections.to_string());
                flag("--ping-interval", ping.to_string());
                flag("--duration", hold.to_string());
            }
            Sizes::Churn { cycles, concurrency, warmup, bound, .. } => {
                flag("--cycles", cycles.to_string());
                flag("--concurrency", concurrency.to_string());
                flag("--warmup-cycles", warmup.to_string());
                flag("--duration", bound.to_string());
            }
        }
        args
    }

    /// Seconds the run should take.
    fn estimate(&self) -> f64 {
        let connect = |n: usize| n as f64 / CONNECTS_PER_SECOND;
        START
            + STOP
            + match self {
                Sizes::Echo { connections, warmup, seconds, .. } => {
                    connect(*connections) + SETTLE + warmup + seconds
                }
                Sizes::Broadcast { subscribers, rates, seconds } => {
                    // Probes until every subscriber is in, then a settle.
                    let drain = |r: f64| if r > SATURATING_RATE { DRAIN_SATURATED } else { DRAIN };
                    connect(*subscribers)
                        + 0.5
                        + SETTLE
                        + rates.iter().map(|&r| seconds + drain(r)).sum::<f64>()
                }
                Sizes::Idle { connections, hold, .. } => {
                    connect(*connections) + SETTLE + hold + SETTLE
                }
                Sizes::Churn { cycles, warmup, bound, expected_rate, .. } => {
                    (*cycles as f64 / expected_rate).min(*bound)
                        + *warmup as f64 / expected_rate
                        + 2.0 * SETTLE
                }
            }
    }
}

/// The runs of `scenarios` on `servers`, scenario by scenario (so that
/// the servers of one table are measured close together in time).
pub fn runs(preset: Preset, scenarios: &[Scenario], servers: &[&'static Server]) -> Vec<Run> {
    let timeout = Duration::from_secs(if preset == Preset::Smoke { 120 } else { 600 });
    let mut runs = Vec::new();
    for &scenario in scenarios {
        for &server in servers {
            let sizes = sizes(preset, scenario, server);
            runs.push(Run {
                scenario,
                server,
                args: sizes.args(scenario),
                estimate: Duration::from_secs_f64(sizes.estimate()),
                timeout,
            });
        }
    }
    runs
}

/// The sum of the runs' estimates.
pub fn total(runs: &[Run]) -> Duration {
    runs.iter().map(|r| r.estimate).sum()
}

/// A duration as `1 h 02 min`, `12 min 05 s` or `42 s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::servers::ALL;

    #[test]
    fn preset_names() {
        use clap::ValueEnum;
        for preset in Preset::value_variants() {
            let value = preset.to_possible_value().unwrap();
            assert_eq!(value.get_name(), preset.name());
            assert_eq!(Preset::parse(preset.name()), Ok(*preset));
        }
    }

    #[test]
    fn full_plan() {
        let servers: Vec<&'static Server> = ALL.iter().collect();
        let runs = runs(Preset::Full, &Scenario::ALL, &servers);
        assert_eq!(runs.len(), 60);
        assert_eq!(runs[0].name(), "echo-512--capstan");
        assert_eq!(
            runs[0].args.join(" "),
            "echo --connections 100 --size 512 --in-flight 1 --warmup 1 --duration 8"
        );
        let churn: Vec<&Run> = runs.iter().filter(|r| r.scenario == Scenario::Churn).collect();
        assert!(churn[0].args.join(" ").contains("--cycles 1000000"));
        assert!(churn[0].args.join(" ").contains("--warmup-cycles 1000"));
        assert!(churn[1].args.join(" ").contains("--cycles 100000 "));
        let broadcast = |id: &str| {
            let run = runs.iter().find(|r| r.name() == format!("broadcast--{id}")).unwrap();
            run.args.join(" ")
        };
        for saturating in ["capstan", "uws-default", "uws-tuned"] {
            let rates = "--rate 20000,100000,300000,1000000,2000000,3000000 ";
            assert!(broadcast(saturating).contains(rates), "{saturating}");
        }
        for peer in ["tungstenite-tuned", "fastwebsockets-default", "ws-tuned", "floor"] {
            assert!(broadcast(peer).contains("--rate 20000,100000,300000,1000000 "), "{peer}");
        }
        // The whole comparison fits in about half an hour.
        let total = total(&runs).as_secs();
        assert!((20 * 60..=35 * 60).contains(&total), "{total} s");
    }

    #[test]
    fn smoke_plan_and_lists() {
        let runs = runs(Preset::Smoke, Preset::Smoke.default_scenarios(), &[&ALL[0]]);
        assert_eq!(runs.len(), 4);
        assert!(total(&runs).as_secs() < 30);
        assert_eq!(
            Scenario::parse_list("churn,echo", Preset::Full).unwrap(),
            [Scenario::Echo512, Scenario::Echo512InFlight4, Scenario::Echo16k, Scenario::Churn]
        );
        assert_eq!(Scenario::parse_list("echo", Preset::Smoke).unwrap(), [Scenario::Echo512]);
        assert!(Scenario::parse_list("flood", Preset::Full).is_err());
        assert_eq!(human(Duration::from_secs(42)), "42 s");
        assert_eq!(human(Duration::from_secs(725)), "12 min 05 s");
        assert_eq!(human(Duration::from_secs(3720)), "1 h 02 min");
    }
}
