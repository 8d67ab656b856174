//! `wamp-load`: WAMP v2 load for a router on this machine — capstan-router
//! or any other (crossbar, the reference) — speaking WAMP over WebSocket
//! itself: raw frames over tokio (capstan-testkit's client and frames),
//! messages from capstan-wamp's codec, `wamp.2.json` by default and
//! `wamp.2.msgpack` on request. Three scenarios ([`events`], [`calls`],
//! [`idle`]), each bounded in count and time and ending with one JSON
//! line and one human line; and [`table`], two routers side by side.
//!
//! The router's CPU time and memory come from /proc/PID of the process
//! given with `--router-pid` ([`probe`]); pin it and this program to
//! different CPUs (`taskset`) so that each one's time is its own.
//! Loopback only.

pub mod args;
pub mod calls;
pub mod codec;
pub mod conn;
pub mod error;
pub mod events;
pub mod figures;
pub mod idle;
pub mod messages;
pub mod open;
pub mod outcome;
pub mod peek;
pub mod probe;
pub mod table;

use std::process::ExitCode;
use std::sync::Arc;

use args::{Command, Options};
use error::LoadError;

/// Runs `wamp-load` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    let options = args::parse(&args).unwrap_or_else(|e| e.exit());
    if let Command::Table { ours, theirs } = &options.command {
        return match (table::Results::read(ours), table::Results::read(theirs)) {
            (Ok(ours), Ok(theirs)) => {
                print!("{}", table::render(&ours, &theirs));
                ExitCode::SUCCESS
            }
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("wamp-load: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match crate::tool::runtime("wamp-load") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(&options)) {
        Ok((json, human, clean)) => {
            println!("{json}");
            println!("{human}");
            if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(error) => {
            eprintln!("wamp-load: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the load scenario of `options` within its timeout: the JSON line,
/// the human line, and whether the run was clean.
async fn run(options: &Options) -> Result<(String, String, bool), LoadError> {
    let target = Arc::new(options.target.clone().ok_or(LoadError::Usage("no --url".into()))?);
    let serializer = target.serializer.subprotocol();
    let (pid, label) = (options.router_pid, options.label.as_str());
    let (concurrency, wait) = (options.connect_concurrency, options.wait);
    let work = async {
        Ok(match &options.command {
            Command::Events(plan) => {
                let o = events::run(target.clone(), pid, plan, concurrency, wait).await?;
                (o.json(label, serializer).to_string(), o.human(label), o.is_clean())
            }
            Command::Calls(plan) => {
                let o = calls::run(target.clone(), pid, plan, concurrency, wait).await?;
                (o.json(label, serializer).to_string(), o.human(label), o.is_clean())
            }
            Command::Idle(plan) => {
                let o = idle::run(target.clone(), pid, plan, concurrency, wait).await?;
                (o.json(label, serializer).to_string(), o.human(label), o.is_clean())
            }
            Command::Table { .. } => unreachable!("handled before the runtime"),
        })
    };
    conn::within(options.timeout, "the whole run (see --timeout)", work).await?
}
