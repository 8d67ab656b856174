//! A soak run (`chat-load soak`): many named connections in rooms of a
//! few hundred, each pinging the server every 30 s and checking the pong,
//! and a steady rate of messages spread over them, for minutes. Every
//! acknowledged message must reach every member of its room exactly once;
//! no connection may drop, no pong go missing; the server's RSS is sampled
//! throughout and must stay flat after a warm-up.
//!
//! Users leave `general` once in their room: with every user in it,
//! `general` would be one room of 19,000 whose presence traffic (and
//! answer to `add_user`) would dwarf what the soak is about, and nobody
//! writes there. The connections are held by worker processes (one process
//! may hold 20,000 descriptors here, and the server needs as many), each
//! holding whole rooms, so that each can check its rooms' deliveries
//! alone; the parent starts them, tells them when to begin and end,
//! samples the server, and merges their tallies.

pub mod books;
pub mod children;
pub mod cpu;
pub mod error;
pub mod layout;
pub mod ledger;
pub mod member;
pub mod plan;
pub mod progress;
pub mod publisher;
pub mod report;
pub mod rss;
pub mod tally;
pub mod worker;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use children::{Children, Event};
use error::SoakError;
use layout::Layout;
use plan::Plan;
use progress::Progress;
use rss::{Growth, Phase, Sample};
use tally::Tally;

use super::args;
use crate::procfs;

/// How often the server is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Time allowed to open the connections: this, plus [`OPEN_PER_CONNECTION`] each.
const OPEN_BASE: Duration = Duration::from_secs(60);
/// See [`OPEN_BASE`].
const OPEN_PER_CONNECTION: Duration = Duration::from_millis(15);
/// Time allowed, after `stop`, for every worker's result (they drain for
/// up to 20 s).
const RESULTS_TIMEOUT: Duration = Duration::from_secs(60);

/// What to run: `chat-load soak`'s flags.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct Settings {
    /// Connections in all (0 counts as 1).
    #[arg(long, value_name = "N", default_value = "19000", value_parser = args::at_least_one)]
    pub connections: usize,
    /// How long messages and pings go on, once every connection is open, seconds.
    #[arg(long, value_name = "S", default_value = "600", value_parser = args::seconds)]
    pub duration: Duration,
    /// Messages per second, over all connections.
    #[arg(
        long,
        value_name = "R",
        default_value = "200",
        value_parser = args::rate,
        allow_negative_numbers = true
    )]
    pub rate: f64,
    /// Members per room, about (0 counts as 1).
    #[arg(long, value_name = "M", default_value = "190", value_parser = args::at_least_one)]
    pub room_size: usize,
    /// Worker processes (none or 0: enough for 9,500 connections each, at least two).
    #[arg(long, value_name = "P")]
    pub processes: Option<usize>,
    /// Between two pings of one connection, seconds (at least 1).
    #[arg(long, value_name = "S", default_value = "30", value_parser = args::at_least_a_second)]
    pub ping_every: Duration,
    /// Left out of the RSS comparison at the start of the run, seconds.
    #[arg(long, value_name = "S", default_value = "60", value_parser = args::seconds)]
    pub warmup: Duration,
    /// Where to write the results as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// The end of a run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The figures, as text.
    pub report: String,
    /// Whether nothing was lost, dropped or missed.
    pub passed: bool,
}

/// Runs the soak against the server at `addr` (process `pid`).
pub async fn run(addr: SocketAddr, pid: u32, settings: &Settings) -> Result<Outcome, SoakError> {
    let layout = Layout::new(settings.connections, settings.room_size, settings.processes);
    let open_limit = OPEN_BASE + OPEN_PER_CONNECTION * layout.connections as u32;
    let limit = open_limit + settings.duration + RESULTS_TIMEOUT + Duration::from_secs(60);
    let plans: Vec<Plan> = (0..layout.workers)
        .map(|worker| Plan {
            addr,
            layout,
            worker,
            rate: settings.rate,
            ping_every: settings.ping_every,
            limit,
        })
        .collect();
    println!(
        "soak: {} connections in {} rooms of ~{} over {} worker processes; {} messages/s for {} s; a ping every {} s per connection",
        layout.connections,
        layout.rooms,
        layout.connections / layout.rooms,
        layout.workers,
        settings.rate,
        settings.duration.as_secs(),
        settings.ping_every.as_secs_f64()
    );
    let mut children = Children::spawn(&plans)?;
    let worker_pids = children.pids();
    let cpu_reading = || cpu::Reading::take(pid, &worker_pids).map_err(SoakError::Proc);
    let mut cpu_at_go = None;
    let mut cpu_shares = None;
    let mut run = Run::new(pid, layout.workers);
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    let mut deadline = run.start + open_limit;
    loop {
        tokio::select! {
            _ = tick.tick() => run.sample()?,
            () = tokio::time::sleep_until(deadline) => match run.phase {
                Phase::Connecting => {
                    return Err(SoakError::Timeout { what: "opening connections".into(), after: open_limit });
                }
                Phase::Running => {
                    if run.samples.last().is_none_or(|s| run.start.elapsed().as_secs_f64() - s.seconds > 1.0) {
                        run.sample()?;
                    }
                    if let Some(at_go) = &cpu_at_go {
                        let shares = cpu::Shares::between(at_go, &cpu_reading()?, procfs::clock_ticks_per_second());
                        cpu_shares = Some(shares);
                    }
                    children.tell("stop")?;
                    run.phase = Phase::Draining;
                    deadline = Instant::now() + RESULTS_TIMEOUT;
                }
                Phase::Draining => {
                    return Err(SoakError::Timeout { what: "awaiting the workers' results".into(), after: RESULTS_TIMEOUT });
                }
            },
            event = children.next() => {
                let Some((index, event)) = event else {
                    return Err(SoakError::Worker { index: 0, why: "every worker has gone".into() });
                };
                if run.take(index, event)? {
                    break;
                }
                if run.phase == Phase::Connecting && run.ready.iter().all(|&r| r) {
                    println!(
                        "all {} connections open in {:.1} s",
                        layout.connections,
                        run.start.elapsed().as_secs_f64()
                    );
                    cpu_at_go = Some(cpu_reading()?);
                    children.tell("go")?;
                    run.phase = Phase::Running;
                    run.go = Some(Instant::now());
                    run.sample()?;
                    // Samples from here on at whole intervals into the run.
                    tick.reset();
                    deadline = Instant::now() + settings.duration;
                }
            }
        }
    }
    // The workers have answered and are exiting: nothing more to sample.
    let mut tally = Tally::default();
    for result in run.results.iter().flatten() {
        tally.merge(result);
    }
    let growth = Growth::of(&run.samples, settings.warmup);
    let failed = report::failures(&tally, layout.connections);
    let mut text = report::text(&tally, growth.as_ref(), &failed);
    if let Some(shares) = &cpu_shares {
        text.push_str(&format!("CPU over the run: {}\n", shares.line()));
    }
    if let Some(path) = &settings.json {
        let given = json!({
            "connections": layout.connections, "rooms": layout.rooms, "workers": layout.workers,
            "duration_s": settings.duration.as_secs(), "rate": settings.rate,
            "ping_every_s": settings.ping_every.as_secs_f64(), "warmup_s": settings.warmup.as_secs(),
        });
        let mut value = report::json(given, &run.samples, growth.as_ref(), &tally, &failed);
        value["cpu_cores"] =
            json!(cpu_shares.as_ref().map(|c| json!({"server": c.server, "workers": c.workers})));
        let pretty = serde_json::to_string_pretty(&value).expect("JSON");
        std::fs::write(path, pretty + "\n")
            .map_err(|e| SoakError::Setup(format!("{}: {e}", path.display())))?;
    }
    Ok(Outcome { report: text, passed: failed.is_empty() })
}

/// The parent's view of the run.
struct Run {
    pid: u32,
    start: Instant,
    go: Option<Instant>,
    phase: Phase,
    ready: Vec<bool>,
    progress: Vec<Progress>,
    results: Vec<Option<Tally>>,
    samples: Vec<Sample>,
}

impl Run {
    fn new(pid: u32, workers: usize) -> Self {
        Self {
            pid,
            start: Instant::now(),
            go: None,
            phase: Phase::Connecting,
            ready: vec![false; workers],
            progress: vec![Progress::default(); workers],
            results: vec![None; workers],
            samples: Vec::new(),
        }
    }

    /// Reads the server's RSS and prints the sample's line.
    fn sample(&mut self) -> Result<(), SoakError> {
        let sample = Sample {
            seconds: self.start.elapsed().as_secs_f64(),
            running_for: self.go.map(|go| go.elapsed().as_secs_f64()),
            phase: self.phase,
            rss_kib: procfs::rss_kib(self.pid).map_err(SoakError::Proc)?,
            load: procfs::load_average().map_err(SoakError::Proc)?,
            progress: self.progress.iter().fold(Progress::default(), |a, &p| a.plus(p)),
        };
        println!("{}", sample.line());
        self.samples.push(sample);
        Ok(())
    }

    /// Takes worker `index`'s event; true once every result is in.
    fn take(&mut self, index: usize, event: Event) -> Result<bool, SoakError> {
        let (word, value) = match event {
            Event::Exited if self.results[index].is_some() => return Ok(false),
            Event::Exited => {
                return Err(SoakError::Worker { index, why: "exited without a result".into() });
            }
            Event::Line(word, value) => (word, value),
        };
        match word.as_str() {
            "progress" => self.progress[index] = Progress::from_json(&value),
            "ready" => {
                self.progress[index] = Progress::from_json(&value);
                self.ready[index] = true;
            }
            "result" => {
                let tally = Tally::from_json(&value).map_err(|why| SoakError::Worker {
                    index,
                    why: format!("its result: {why}"),
                })?;
                self.results[index] = Some(tally);
            }
            "error" => {
                let why = value["msg"].as_str().unwrap_or("failed").to_owned();
                return Err(SoakError::Worker { index, why });
            }
            other => {
                return Err(SoakError::Worker { index, why: format!("unexpected line {other:?}") });
            }
        }
        Ok(self.results.iter().all(Option::is_some))
    }
}
