//! `chat-load`: load for the capstan-chat server, the measurements
//! docs/chat-server.md quotes: users joining a room one after another
//! ([`presence`]: bytes per member and server CPU per join as the room
//! grows) and a flood of room creation and name registration ([`flood`]:
//! the server's memory and database stay bounded), and a soak ([`soak`]:
//! thousands of connections in rooms, pinging, a steady publish rate for
//! minutes; nothing lost, RSS flat). Loopback only; every run is bounded
//! in count and time.

pub mod args;
pub mod conn;
pub mod flood;
pub mod presence;
pub mod soak;

use std::process::ExitCode;
use std::sync::atomic::Ordering::Relaxed;

use args::{Options, Scenario};

/// Runs `chat-load` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    // The soak's worker processes, started by the soak itself.
    if args.first().map(String::as_str) == Some("soak-worker") {
        return soak::worker::main(&args[1..]);
    }
    let options = args::parse(&args).unwrap_or_else(|e| e.exit());
    let runtime = match crate::tool::runtime("chat-load") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(options)) {
        Ok((report, passed)) => {
            print!("{report}");
            if passed { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(message) => {
            eprintln!("chat-load: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the scenario: its report, and whether it passed (only a soak can fail
/// without an error).
async fn run(options: Options) -> Result<(String, bool), String> {
    match options.scenario {
        Scenario::Presence { users, step, observers } => {
            let steps =
                presence::run(options.addr, options.server_pid, users, step, observers).await?;
            Ok((presence::table(&steps), true))
        }
        Scenario::Flood { connections, duration, rate, db } => {
            let (samples, tally) =
                flood::run(options.addr, options.server_pid, connections, duration, rate, db)
                    .await?;
            let mut report = flood::table(&samples);
            report.push_str(&format!(
                "\nmessages stored {}, refused rate_limited {}, other refusals {}\n",
                tally.acked.load(Relaxed),
                tally.rate_limited.load(Relaxed),
                tally.other_errors.load(Relaxed)
            ));
            Ok((report, true))
        }
        Scenario::Soak(settings) => {
            let outcome = soak::run(options.addr, options.server_pid, &settings)
                .await
                .map_err(|e| e.to_string())?;
            Ok((outcome.report, outcome.passed))
        }
    }
}
