//! A run in progress: the settings, the server, the deadline, and the
//! worker processes; sampling them all, and showing progress on stderr.

use std::time::{Duration, Instant};

use super::args::Options;
use super::plan::{self, WorkerPlan};
use super::report::{percent, rate, thousands};
use super::snapshot::Snapshot;
use super::tally::Totals;
use super::target::Target;
use super::workers::Workers;
use crate::deadline::Deadline;
use crate::pin::Pinning;
use crate::{procfs, sources};

/// How often progress is shown.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How often the workers are asked whether their connections are open.
const READY_POLL: Duration = Duration::from_millis(100);

/// What stays the same through a run.
#[derive(Debug)]
pub struct Context {
    /// The settings.
    pub options: Options,
    /// The server.
    pub target: Target,
    /// The run's limit.
    pub deadline: Deadline,
    /// Where things run.
    pub pinning: Pinning,
    /// Source addresses used.
    pub sources: usize,
    /// Clock ticks per second (/proc/stat's unit).
    pub ticks_per_second: u64,
}

impl Context {
    /// Reads the server and the kernel now.
    pub fn snapshot(&mut self) -> Result<Snapshot, String> {
        self.target.check_running()?;
        Snapshot::take(&self.target.pids, &self.target.watched)
    }

    /// Reads the server (its descriptors too) and the kernel now.
    pub fn snapshot_with_fds(&mut self) -> Result<Snapshot, String> {
        self.target.check_running()?;
        Snapshot::take_with_fds(&self.target.pids, &self.target.watched)
    }

    /// One plan per worker: `total` connections (or cycles) split evenly
    /// over `workers`, each with `concurrency` handshakes (or cycles) at once.
    pub fn plans(&self, total: usize, workers: usize, concurrency: usize) -> Vec<WorkerPlan> {
        let o = &self.options;
        plan::split(total, workers)
            .into_iter()
            .enumerate()
            .map(|(index, (first, count))| WorkerPlan {
                scenario: o.scenario,
                index,
                first,
                count,
                addrs: self.target.addrs.clone(),
                path: o.path(),
                transport: o.transport,
                sources: self.sources,
                size: o.size,
                in_flight: o.in_flight,
                ping_interval: o.ping_interval,
                concurrency,
                messages_per_cycle: o.messages_per_cycle,
                duration: o.duration,
                timeout: o.timeout,
            })
            .collect()
    }

    /// The scenario's name, for progress lines.
    pub fn label(&self) -> &'static str {
        self.options.scenario.name()
    }
}

/// The workers and what they counted, and the server, at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When (between the server reading and the workers' answers).
    pub at: Instant,
    /// Every worker's counters, added up.
    pub totals: Totals,
    /// The server and the kernel.
    pub snapshot: Snapshot,
    /// CPU time of the load generator's processes (coordinator and
    /// workers), ns.
    pub loadgen_cpu_ns: u64,
}

impl Sample {
    /// Load generator CPU use from `earlier` to this one, as a share of one CPU.
    pub fn loadgen_cpu_share_since(&self, earlier: &Sample) -> f64 {
        let wall = self.at.duration_since(earlier.at).as_nanos() as f64;
        self.loadgen_cpu_ns.saturating_sub(earlier.loadgen_cpu_ns) as f64 / wall.max(1.0)
    }

    /// CPU use of everything but the server, the watched processes and the load generator from
    /// `earlier` to this one (other processes, interrupts), as a share of
    /// one CPU; `None` when the server is not known. Tick resolution (10
    /// ms), so only meaningful over seconds.
    pub fn other_cpu_share_since(&self, earlier: &Sample, ticks_per_second: u64) -> Option<f64> {
        let (now, then) = (&self.snapshot, &earlier.snapshot);
        let busy_ns = now.system_busy_ticks.saturating_sub(then.system_busy_ticks) as f64 * 1e9
            / ticks_per_second.max(1) as f64;
        let watched_ns: u64 =
            (0..now.watched.len()).filter_map(|i| now.watched_cpu_ns_since(then, i)).sum();
        let server_ns = (now.cpu_ns_since(then)? + watched_ns) as f64;
        let loadgen_ns = self.loadgen_cpu_ns.saturating_sub(earlier.loadgen_cpu_ns) as f64;
        let wall = self.at.duration_since(earlier.at).as_nanos() as f64;
        Some(((busy_ns - server_ns - loadgen_ns) / wall.max(1.0)).max(0.0))
    }

    /// Seconds from `earlier` to this one.
    pub fn seconds_since(&self, earlier: &Sample) -> f64 {
        self.at.duration_since(earlier.at).as_secs_f64()
    }
}

/// The worker processes of a run.
#[derive(Debug)]
pub struct Session {
    /// The workers.
    pub workers: Workers,
}

impl Session {
    /// Starts a worker per plan.
    pub fn start(plans: &[WorkerPlan]) -> Result<Self, String> {
        Ok(Self { workers: Workers::spawn(plans)? })
    }

    /// Sends `command` to every worker and adds up their answers.
    pub async fn totals(&mut self, command: &str) -> Result<Totals, String> {
        Totals::sum(&self.workers.command(command).await?)
    }

    /// Reads the server, then sends `command` to the workers.
    pub async fn sample(&mut self, ctx: &mut Context, command: &str) -> Result<Sample, String> {
        let snapshot = ctx.snapshot()?;
        let totals = self.totals(command).await?;
        let at = Instant::now();
        let loadgen_cpu_ns = self
            .workers
            .pids()
            .into_iter()
            .chain([std::process::id()])
            .map(|pid| procfs::cpu_ns(pid).unwrap_or(0))
            .sum();
        Ok(Sample { at, totals, snapshot, loadgen_cpu_ns })
    }

    /// Waits until every worker has its connections open, showing how
    /// many are each second; fails if a worker cannot open its share.
    pub async fn wait_ready(
        &mut self,
        ctx: &mut Context,
        connections: usize,
    ) -> Result<(), String> {
        let label = ctx.label();
        let start = Instant::now();
        let mut shown = Instant::now();
        let deadline = ctx.deadline;
        deadline
            .run("opening connections", async {
                loop {
                    let totals = self.totals("report").await?;
                    if totals.ready == self.workers.len() {
                        if connections > 0 {
                            eprintln!(
                                "[{label}] {} connections open in {:.1} s",
                                thousands(totals.opened),
                                start.elapsed().as_secs_f64()
                            );
                        }
                        return Ok(());
                    }
                    if shown.elapsed() >= PROGRESS_EVERY {
                        eprintln!(
                            "[{label}] opening: {}/{} connections",
                            thousands(totals.opened),
                            thousands(connections as u64)
                        );
                        shown = Instant::now();
                    }
                    ctx.target.check_running()?;
                    tokio::time::sleep(READY_POLL).await;
                }
            })
            .await
    }

    /// Samples every second for `duration` (or until `done` says so),
    /// showing `phase` and what `show(previous, current)` says; returns
    /// the last sample.
    pub async fn watch(
        &mut self,
        ctx: &mut Context,
        from: &Sample,
        duration: Duration,
        phase: &str,
        done: impl Fn(&Sample) -> bool,
        show: impl Fn(&Sample, &Sample) -> String,
    ) -> Result<Sample, String> {
        let label = ctx.label();
        let deadline = ctx.deadline;
        let mut previous = from.clone();
        deadline
            .run(phase, async {
                loop {
                    let left = duration.saturating_sub(from.at.elapsed());
                    tokio::time::sleep(left.min(PROGRESS_EVERY)).await;
                    let current = self.sample(ctx, "report").await?;
                    eprintln!(
                        "[{label}] {phase} {:.0}/{:.0} s: {}",
                        current.seconds_since(from),
                        duration.as_secs_f64(),
                        show(&previous, &current)
                    );
                    if from.at.elapsed() >= duration || done(&current) {
                        return Ok(current);
                    }
                    previous = current;
                }
            })
            .await
    }
}

/// The usual progress line: a rate of `what` (a counter of the totals),
/// the server's and the load generator's CPU, connections lost.
pub fn rate_line(
    previous: &Sample,
    current: &Sample,
    what: &str,
    count: impl Fn(&Totals) -> u64,
) -> String {
    let per_second = count(&current.totals).saturating_sub(count(&previous.totals)) as f64
        / current.seconds_since(previous).max(1e-9);
    format!(
        "{} {what}/s, server CPU {}, loadgen CPU {}, {} connections lost",
        rate(per_second),
        percent(current.snapshot.cpu_share_since(&previous.snapshot)),
        percent(Some(current.loadgen_cpu_share_since(previous))),
        current.totals.ended
    )
}

/// Source addresses for `connections` at once: as asked, else as needed.
pub fn sources_for(options: &Options, connections: usize) -> usize {
    options.sources.unwrap_or_else(|| sources::needed(connections))
}
