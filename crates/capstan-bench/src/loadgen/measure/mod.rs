//! The coordinator's side of each scenario: drive the workers through
//! its phases, read the server around the measured window, and report.

pub mod broadcast;
pub mod churn;
pub mod document;
pub mod echo;
pub mod idle;

use std::time::Duration;

use super::report::thousands;
use super::scenario::Scenario;
use super::session::Context;
use super::transport::{ACK_EVERY, Transport};

/// What the "other load" column means.
pub const OTHER_LOAD: &str = "Other load: CPU the rest of the machine used over the window (/proc/stat busy time − server − watched processes − load generator), in % of one CPU: noise from other processes.";

/// Pause for the server to settle before reading its memory.
pub const SETTLE: Duration = Duration::from_secs(2);

/// The notes every report starts with.
pub fn common_notes(ctx: &Context, workers: usize) -> Vec<String> {
    let mut notes = vec![
        format!("Server: {}.", ctx.target.description),
        format!("Pinning: {}.", ctx.pinning.description),
        format!(
            "Load generator: {workers} worker process(es) and a coordinator, {} source address(es), loopback.",
            ctx.sources
        ),
    ];
    if ctx.options.transport.is_session() {
        notes.push(format!(
            "Session mode (docs/SESSIONS.md) over {}: data messages prefixed `m`, an `ack` at least every {} echoes received{}.",
            if ctx.options.transport == Transport::Sse {
                "the HTTP fallback (Server-Sent Events down, one batch POST at a time up, each on a new connection)"
            } else {
                "WebSocket"
            },
            ACK_EVERY,
            if ctx.options.scenario == Scenario::Idle { "; a connection counts as open once welcomed" } else { "" }
        ));
    }
    notes.extend(ctx.options.notes.iter().map(|n| format!("Note: {n}")));
    notes
}

/// Connections lost, with the first reason.
pub fn lost(ended: u64, error: &Option<String>) -> String {
    match (ended, error) {
        (0, _) => "0".into(),
        (n, Some(why)) => format!("{} ({why})", thousands(n)),
        (n, None) => thousands(n),
    }
}
