//! The coordinator's side of each scenario: drive the workers through
//! its phases, read the server around the measured window, and report.

pub mod broadcast;
pub mod churn;
pub mod echo;
pub mod idle;

use std::time::Duration;

use super::report::thousands;
use super::scenario::Scenario;
use super::session::Context;
use super::transport::{ACK_EVERY, Transport};
use crate::json::Value;

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

/// The settings every JSON document holds.
pub fn common_json(ctx: &Context, workers: usize) -> Vec<(String, Value)> {
    let o = &ctx.options;
    [
        ("scenario", o.scenario.name().into()),
        ("server", ctx.target.description.clone().into()),
        ("server_pid", ctx.target.pids.first().map(|&p| u64::from(p)).into()),
        ("server_addr", ctx.target.addr().to_string().into()),
        (
            "server_pids",
            Value::Array(ctx.target.pids.iter().map(|&p| u64::from(p).into()).collect()),
        ),
        (
            "server_addrs",
            Value::Array(ctx.target.addrs.iter().map(|a| a.to_string().into()).collect()),
        ),
        (
            "watched_pids",
            Value::Object(
                ctx.target.watched.iter().map(|(n, p)| (n.clone(), u64::from(*p).into())).collect(),
            ),
        ),
        ("path", o.path().into()),
        ("transport", o.transport.name().into()),
        ("pinning", ctx.pinning.description.clone().into()),
        ("worker_processes", workers.into()),
        ("source_addresses", ctx.sources.into()),
        ("notes", Value::Array(o.notes.iter().map(|n| n.as_str().into()).collect())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// A JSON object from common fields and more.
pub fn document(mut fields: Vec<(String, Value)>, more: Vec<(&str, Value)>) -> Value {
    fields.extend(more.into_iter().map(|(k, v)| (k.to_owned(), v)));
    Value::Object(fields)
}

/// Connections lost, with the first reason.
pub fn lost(ended: u64, error: &Option<String>) -> String {
    match (ended, error) {
        (0, _) => "0".into(),
        (n, Some(why)) => format!("{} ({why})", thousands(n)),
        (n, None) => thousands(n),
    }
}

/// A latency histogram's summary as JSON, ns.
pub fn latency_json(histogram: &crate::histogram::Histogram) -> Value {
    let q = |q: f64| Value::from(histogram.quantile(q));
    crate::json::object([
        ("count", histogram.count().into()),
        ("mean_ns", histogram.mean().into()),
        ("p50_ns", q(0.5)),
        ("p90_ns", q(0.9)),
        ("p99_ns", q(0.99)),
        ("p999_ns", q(0.999)),
        ("max_ns", histogram.max().into()),
    ])
}
