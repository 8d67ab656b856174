//! A worker process (`loadgen worker PLAN…`, started by the coordinator):
//! runs its share of the connections and answers the coordinator's
//! commands, one per stdin line, with one stdout line each:
//!
//! - `report`: the counters (a `report` line, see [`Tally::report`]);
//! - `go`: start sending (echo, idle pings, churn cycles); a `report`;
//! - `reset`: forget the latencies counted so far; a `report`;
//! - `stop`: `bye`, then exit (the kernel closes the connections).
//!
//! It prints `error msg=…` and exits if its connections cannot be opened,
//! and exits when stdin closes or its plan's timeout passes.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use tokio::sync::watch;

use super::drive;
use super::plan::WorkerPlan;
use super::tally::Tally;
use super::wire::Line;
use crate::stdin_lines::stdin_lines;

/// Runs a worker with the plan in `args`.
pub fn main(args: &[String]) -> ExitCode {
    let plan = match WorkerPlan::from_args(args) {
        Ok(plan) => plan,
        Err(e) => {
            say(&Line::new("error").with("msg", format!("bad plan: {e}")));
            return ExitCode::from(2);
        }
    };
    let timeout = plan.timeout;
    std::thread::spawn(move || {
        std::thread::sleep(timeout);
        eprintln!("loadgen worker: the run's limit of {} s passed, exiting", timeout.as_secs());
        std::process::exit(3);
    });
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            say(&Line::new("error").with("msg", format!("runtime: {e}")));
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(serve(plan)) {
        Ok(()) => 0,
        Err(e) => {
            say(&Line::new("error").with("msg", e));
            1
        }
    };
    // Without waiting for the connection tasks: the kernel closes the sockets.
    std::process::exit(code)
}

/// Writes one line to the coordinator.
fn say(line: &Line) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line.to_text());
    let _ = out.flush();
}

/// Answers commands while the plan's connections do their work.
async fn serve(plan: WorkerPlan) -> Result<(), String> {
    let mut commands = stdin_lines();
    let connections = if plan.scenario.holds_connections() { plan.count } else { 0 };
    let tally = Arc::new(Tally::new(connections));
    let (go, go_rx) = watch::channel(false);
    let mut driver = tokio::spawn(drive::run(plan, tally.clone(), go_rx));
    let mut driving = true;
    loop {
        tokio::select! {
            done = &mut driver, if driving => {
                driving = false;
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(e),
                    Err(e) => return Err(format!("worker task: {e}")),
                }
            }
            command = commands.recv() => match command.as_deref().map(str::trim) {
                None => return Ok(()),
                Some("report") => say(&tally.report()),
                Some("go") => {
                    go.send_replace(true);
                    say(&tally.report());
                }
                Some("reset") => {
                    tally.reset_latency();
                    say(&tally.report());
                }
                Some("stop") => {
                    say(&Line::new("bye"));
                    return Ok(());
                }
                Some(other) => return Err(format!("unknown command {other:?}")),
            },
        }
    }
}
