//! `loadgen`: a load generator for WebSocket servers on this machine,
//! with four scenarios (echo, broadcast, idle, churn). The process that
//! is started coordinates: it starts (or finds) the server, runs the
//! connections in worker processes (itself again, `loadgen worker …`),
//! reads the server's CPU and memory from /proc around the measured
//! window, and prints the results. It only ever connects to loopback
//! addresses. The binary is `src/bin/loadgen.rs`; the protocol the
//! servers speak is in the crate's README.

pub mod args;
pub mod drive;
pub mod measure;
pub mod plan;
pub mod publisher;
pub mod report;
pub mod scenario;
pub mod session;
pub mod snapshot;
pub mod tally;
pub mod target;
pub mod transport;
pub mod wire;
pub mod worker;
pub mod workers;

use std::io::Write;
use std::process::ExitCode;

use args::{Command, Options, Server};
use report::Report;
use scenario::Scenario;
use session::{Context, sources_for};
use target::Target;

use crate::deadline::Deadline;
use crate::pin::{self, Pinning};
use crate::sources;

/// Runs `loadgen` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    let options = match args::parse(args) {
        Ok(Command::Run(options)) => *options,
        Ok(Command::Worker(plan)) => return worker::main(&plan),
        // --help (exit code 0) or a bad flag (2), as clap says.
        Err(e) => e.exit(),
    };
    // Before any thread starts: threads and workers inherit the pinning.
    let pinning = match (&options.server, options.pin) {
        (Server::Spawn(_), true) => pin::pin_this_process(),
        (Server::Spawn(_), false) => unpinned("--no-pin"),
        (Server::Url { .. }, _) => unpinned("the server was not started by loadgen"),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options, pinning)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn unpinned(why: &str) -> Pinning {
    Pinning { server_cpu: None, client_cpu: None, description: format!("not pinned ({why})") }
}

async fn run(options: Options, pinning: Pinning) -> Result<(), String> {
    let deadline = Deadline::new(options.timeout);
    let at_once = options.connections_at_once();
    let target = Target::open(&options.server, pinning.server_cpu, &options.watched)?;
    let sources = sources_for(&options, at_once);
    for addr in &target.addrs {
        sources::check(sources, addr.ip())?;
    }
    if options.scenario.holds_connections() {
        target.check_fd_limit(at_once)?;
    }
    eprintln!(
        "[{}] server {}; {}",
        options.scenario.name(),
        target.description,
        pinning.description
    );
    let json_path = options.json.clone();
    let ticks_per_second = crate::procfs::clock_ticks_per_second();
    let mut ctx = Context { options, target, deadline, pinning, sources, ticks_per_second };
    let report: Report = match ctx.options.scenario {
        Scenario::Echo => measure::echo::run(&mut ctx).await?,
        Scenario::Broadcast => measure::broadcast::run(&mut ctx).await?,
        Scenario::Idle => measure::idle::run(&mut ctx).await?,
        Scenario::Churn => measure::churn::run(&mut ctx).await?,
    };
    let _ = write!(std::io::stdout(), "{}", report.markdown());
    if let Some(path) = json_path {
        std::fs::write(&path, report.json.pretty())
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("results written to {}", path.display());
    }
    Ok(())
}
