//! The JSON document `--json` writes: the settings every scenario's
//! starts with, a latency summary, and the four scenarios' documents as
//! one type. Field order is the file's order.

use std::net::SocketAddr;

use serde::Serialize;

use super::{broadcast, churn, echo, idle};
use crate::histogram::Histogram;
use crate::loadgen::session::Context;

/// The settings every document starts with.
#[derive(Debug, Clone, Serialize)]
pub struct Common {
    /// The scenario's name.
    pub scenario: &'static str,
    /// How the server was started or found.
    pub server: String,
    /// The first server's process id, if known.
    pub server_pid: Option<u32>,
    /// The first server's address.
    pub server_addr: SocketAddr,
    /// Every server's process id (several: a cluster's nodes).
    pub server_pids: Vec<u32>,
    /// Every server's address.
    pub server_addrs: Vec<SocketAddr>,
    /// Processes read apart (`--watch-pid`), by name, in the order given.
    #[serde(serialize_with = "crate::pairs::as_object")]
    pub watched_pids: Vec<(String, u32)>,
    /// The request path.
    pub path: String,
    /// Plain WebSocket or a session mode.
    pub transport: &'static str,
    /// Where things ran.
    pub pinning: String,
    /// Worker processes.
    pub worker_processes: usize,
    /// Source addresses.
    pub source_addresses: usize,
    /// `--note`s.
    pub notes: Vec<String>,
}

impl Common {
    /// The settings of the run in `ctx`, with `workers` worker processes.
    pub fn new(ctx: &Context, workers: usize) -> Self {
        let o = &ctx.options;
        Self {
            scenario: o.scenario.name(),
            server: ctx.target.description.clone(),
            server_pid: ctx.target.pids.first().copied(),
            server_addr: ctx.target.addr(),
            server_pids: ctx.target.pids.clone(),
            server_addrs: ctx.target.addrs.clone(),
            watched_pids: ctx.target.watched.clone(),
            path: o.path(),
            transport: o.transport.name(),
            pinning: ctx.pinning.description.clone(),
            worker_processes: workers,
            source_addresses: ctx.sources,
            notes: o.notes.clone(),
        }
    }
}

/// A latency histogram's summary, ns (`None`: no sample).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Their mean.
    pub mean_ns: Option<f64>,
    /// Quantiles.
    pub p50_ns: Option<u64>,
    /// 90th percentile.
    pub p90_ns: Option<u64>,
    /// 99th percentile.
    pub p99_ns: Option<u64>,
    /// 99.9th percentile.
    pub p999_ns: Option<u64>,
    /// The largest.
    pub max_ns: Option<u64>,
}

impl Latency {
    /// The summary of `histogram`.
    pub fn of(histogram: &Histogram) -> Self {
        Self {
            count: histogram.count(),
            mean_ns: histogram.mean(),
            p50_ns: histogram.quantile(0.5),
            p90_ns: histogram.quantile(0.9),
            p99_ns: histogram.quantile(0.99),
            p999_ns: histogram.quantile(0.999),
            max_ns: histogram.max(),
        }
    }
}

/// One scenario's document.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Document {
    /// An echo run.
    Echo(echo::Document),
    /// A broadcast run.
    Broadcast(broadcast::Document),
    /// An idle run.
    Idle(idle::Document),
    /// A churn run.
    Churn(churn::Document),
}

impl Document {
    /// The text of the file.
    pub fn pretty(&self) -> String {
        crate::results_file::pretty(self)
    }
}

/// Parts of documents for tests: every optional reading there, one server
/// process, nothing watched (as a run against one spawned server).
#[cfg(test)]
pub mod samples {
    use std::time::Instant;

    use super::*;
    use crate::loadgen::snapshot::{ServerReading, Snapshot};
    use crate::procfs::{Sockstat, UserSystem};

    /// The settings.
    pub fn common(scenario: &'static str) -> Common {
        let addr: SocketAddr = "127.0.0.1:9001".parse().unwrap();
        Common {
            scenario,
            server: "`capstan-bench-server` (pid 42)".into(),
            server_pid: Some(42),
            server_addr: addr,
            server_pids: vec![42],
            server_addrs: vec![addr],
            watched_pids: Vec::new(),
            path: "/echo".into(),
            transport: "plain",
            pinning: "not pinned".into(),
            worker_processes: 1,
            source_addresses: 1,
            notes: vec!["a note".into()],
        }
    }

    /// Readings of one server process.
    pub fn snapshot() -> Snapshot {
        let server = ServerReading {
            rss_kib: 12_000,
            cpu_ns: 5_000_000,
            cpu_ticks: UserSystem { user: 1, system: 2 },
            fds: Some(20),
            threads: 2,
        };
        Snapshot {
            at: Instant::now(),
            server: Some(server),
            servers: vec![server],
            watched: Vec::new(),
            sockstat: Sockstat { inuse: 10, tw: 0, mem_pages: 233 },
            slab_kib: 917_292,
            system_busy_ticks: 8_090_756,
        }
    }

    /// A latency summary.
    pub fn latency() -> Latency {
        Latency {
            count: 3,
            mean_ns: Some(1500.5),
            p50_ns: Some(1000),
            p90_ns: Some(2000),
            p99_ns: Some(2000),
            p999_ns: Some(2000),
            max_ns: Some(2001),
        }
    }

    /// The shape of a document's text: its keys, indented by depth.
    pub fn skeleton(document: &Document) -> String {
        crate::results_file::skeleton(&document.pretty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary() {
        let empty = Latency::of(&Histogram::default());
        let text = crate::results_file::pretty(&empty);
        assert_eq!(
            text,
            "{\n  \"count\": 0,\n  \"mean_ns\": null,\n  \"p50_ns\": null,\n  \"p90_ns\": null,\n  \
             \"p99_ns\": null,\n  \"p999_ns\": null,\n  \"max_ns\": null\n}\n"
        );
        let mut h = Histogram::default();
        for ns in [1_000, 2_000, 40_000] {
            h.record(ns);
        }
        let l = Latency::of(&h);
        assert_eq!((l.count, l.p50_ns, l.max_ns), (3, h.quantile(0.5), h.max()));
        assert!(l.p50_ns.is_some() && l.p999_ns.is_some() && l.mean_ns.is_some());
    }
}
