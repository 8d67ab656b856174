//! Idle: N connections opened and held with pings; the server's resident
//! memory per connection, and the kernel's socket memory apart.

use serde::Serialize;

use super::document::{self, Common};
use super::{SETTLE, common_notes, lost};
use crate::loadgen::plan;
use crate::loadgen::report::{Report, mib, rate, thousands};
use crate::loadgen::session::{Context, Session};
use crate::loadgen::snapshot::Snapshot;
use crate::procfs;

/// What `--json` writes for an idle run.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The settings every scenario's document starts with.
    #[serde(flatten)]
    pub common: Common,
    /// Connections held.
    pub connections: usize,
    /// Time between two pings on one connection.
    pub ping_interval_seconds: f64,
    /// Time held.
    pub held_seconds: f64,
    /// Readings before any connection (descriptors counted).
    pub before: Snapshot,
    /// Once every connection was open (descriptors counted).
    pub open: Snapshot,
    /// After holding.
    pub held: Snapshot,
    /// After every connection closed (descriptors counted).
    pub closed: Snapshot,
    /// Server RSS growth ÷ connections, KiB, once open.
    pub server_rss_kib_per_conn_open: Option<f64>,
    /// The same after holding.
    pub server_rss_kib_per_conn_held: Option<f64>,
    /// Per server process (a cluster's nodes): its growth ÷ its connections.
    pub servers_rss_kib_per_conn_held: Vec<Option<f64>>,
    /// Per server process: its share of the connections.
    pub servers_connections: Vec<usize>,
    /// Each watched process's RSS, by name, in the order given.
    #[serde(serialize_with = "crate::pairs::as_object")]
    pub watched_rss_kib: Vec<(String, WatchedRss)>,
    /// The kernel's TCP buffer memory growth ÷ connections, KiB.
    pub kernel_tcp_mem_kib_per_conn: f64,
    /// The kernel's slab growth ÷ connections, KiB.
    pub kernel_slab_kib_per_conn: f64,
    /// Pings sent while holding, and pongs received.
    pub pings: Pings,
    /// Connections that ended before the run did.
    pub connections_lost: u64,
    /// Why the first of them ended.
    pub first_error: Option<String>,
}

/// A watched process's RSS, KiB.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct WatchedRss {
    /// Before any connection.
    pub before: Option<u64>,
    /// After holding.
    pub held: Option<u64>,
}

/// Pings while holding.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pings {
    /// Sent by the clients.
    pub sent: u64,
    /// Pongs received.
    pub pongs: u64,
}

/// Runs the scenario.
pub async fn run(ctx: &mut Context) -> Result<Report, String> {
    let o = ctx.options.clone();
    let n = o.connections;
    let workers = plan::workers_needed(n, o.procs);
    let before = ctx.snapshot_with_fds()?;
    let mut session = Session::start(&ctx.plans(n, workers, o.connect_concurrency))?;
    session.wait_ready(ctx, n).await?;
    tokio::time::sleep(SETTLE).await;
    let open_fds = ctx.snapshot_with_fds()?;
    let open = session.sample(ctx, "go").await?;
    let show = |p: &crate::loadgen::session::Sample, c: &crate::loadgen::session::Sample| {
        let seconds = c.seconds_since(p).max(1e-9);
        format!(
            "{} pings/s, {} pongs/s, {} connections lost",
            rate((c.totals.sent - p.totals.sent) as f64 / seconds),
            rate((c.totals.control - p.totals.control) as f64 / seconds),
            c.totals.ended
        )
    };
    let held = session.watch(ctx, &open, o.duration, "holding", |_| false, show).await?;
    session.workers.stop().await;
    tokio::time::sleep(SETTLE).await;
    let closed = ctx.snapshot_with_fds()?;

    let page = procfs::page_size();
    let per_conn_kib =
        |s: &Snapshot| Some((s.rss_kib()? as f64 - before.rss_kib()? as f64) / n as f64);
    let tcp_mem_kib_per_conn = |s: &Snapshot| {
        (s.sockstat.mem_pages as f64 - before.sockstat.mem_pages as f64) * page as f64
            / 1024.0
            / n as f64
    };
    let slab_kib_per_conn = |s: &Snapshot| (s.slab_kib as f64 - before.slab_kib as f64) / n as f64;
    let kib = |v: Option<f64>| v.map_or("–".into(), |v| format!("{v:.1} KiB"));
    let h = &held.snapshot;
    let row = vec![
        thousands(n as u64),
        mib(before.rss_kib()),
        mib(open.snapshot.rss_kib()),
        mib(h.rss_kib()),
        kib(per_conn_kib(&open.snapshot)),
        kib(per_conn_kib(h)),
        mib(closed.rss_kib()),
        format!("{} → {}", thousands(before.sockstat.inuse), thousands(h.sockstat.inuse)),
        kib(Some(tcp_mem_kib_per_conn(h))),
        kib(Some(slab_kib_per_conn(h))),
        format!("{} / {}", thousands(held.totals.sent), thousands(held.totals.control)),
        lost(held.totals.ended, &held.totals.error),
    ];
    // Several server processes (a cluster's nodes): each one's growth ÷
    // its share of the connections (connection i went to node i mod k);
    // watched processes (its Redis): their RSS before and held.
    let nodes = ctx.target.addrs.len();
    let share = |node: usize| n / nodes + usize::from(node < n % nodes);
    let node_kib: Vec<Option<f64>> = (0..before.servers.len())
        .map(|i| {
            let (b, h) = (before.servers.get(i)?, h.servers.get(i)?);
            Some((h.rss_kib as f64 - b.rss_kib as f64) / share(i).max(1) as f64)
        })
        .collect();
    let watched_rss: Vec<(String, Option<u64>, Option<u64>)> = ctx
        .target
        .watched
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let rss = |s: &Snapshot| s.watched.get(i).map(|w| w.1.rss_kib);
            (name.clone(), rss(&before), rss(h))
        })
        .collect();
    let mut notes = common_notes(ctx, workers);
    if before.servers.len() > 1 {
        let each: Vec<String> = (0..before.servers.len())
            .map(|i| {
                format!(
                    "node {} ({} connections): {} → {}, {}/conn",
                    i + 1,
                    thousands(share(i) as u64),
                    mib(before.servers.get(i).map(|s| s.rss_kib)),
                    mib(h.servers.get(i).map(|s| s.rss_kib)),
                    kib(node_kib[i])
                )
            })
            .collect();
        notes.push(format!("Server RSS per node, before → held: {}.", each.join("; ")));
    }
    for (name, was, held) in &watched_rss {
        notes.push(format!(
            "{name} RSS (watched, apart): {} before, {} held.",
            mib(*was),
            mib(*held)
        ));
    }
    notes.insert(
        0,
        format!(
            "{n} connections to `{}`, opened, left {} s to settle, then held {:.1} s with a ping every {:.1} s each.",
            o.path(),
            SETTLE.as_secs(),
            held.seconds_since(&open),
            o.ping_interval.as_secs_f64()
        ),
    );
    notes.push("Server RSS per connection: (VmRSS − VmRSS before any connection) ÷ N, once open and after holding.".into());
    notes.push(format!(
        "Kernel, apart (system-wide, so both ends of each loopback connection): TCP sockets in use (/proc/net/sockstat), \
         TCP buffer memory (sockstat `mem`, {page}-byte pages) and slab growth per connection."
    ));
    let json = document::Document::Idle(Document {
        common: Common::new(ctx, workers),
        connections: n,
        ping_interval_seconds: o.ping_interval.as_secs_f64(),
        held_seconds: held.seconds_since(&open),
        server_rss_kib_per_conn_open: per_conn_kib(&open.snapshot),
        server_rss_kib_per_conn_held: per_conn_kib(h),
        servers_rss_kib_per_conn_held: node_kib,
        servers_connections: (0..nodes).map(share).collect(),
        watched_rss_kib: watched_rss
            .into_iter()
            .map(|(name, before, held)| (name, WatchedRss { before, held }))
            .collect(),
        kernel_tcp_mem_kib_per_conn: tcp_mem_kib_per_conn(h),
        kernel_slab_kib_per_conn: slab_kib_per_conn(h),
        pings: Pings { sent: held.totals.sent, pongs: held.totals.control },
        connections_lost: held.totals.ended,
        first_error: held.totals.error.clone(),
        before,
        open: open_fds,
        held: held.snapshot,
        closed,
    });
    Ok(Report {
        title: format!("loadgen idle: {} connections held", thousands(n as u64)),
        notes,
        columns: [
            "connections",
            "server RSS before",
            "open",
            "held",
            "RSS/conn open",
            "RSS/conn held",
            "RSS after close",
            "kernel TCP sockets",
            "kernel TCP mem/conn",
            "kernel slab/conn",
            "pings / pongs",
            "connections lost",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: vec![row],
        json,
    })
}

/// The document's fields, names and nesting as loadgen wrote them before
/// serde (tests/fixtures/results/*.skeleton: the keys of a tiny run's file,
/// written by the hand-written JSON writer).
#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::loadgen::measure::document::samples;

    #[test]
    fn the_document_keeps_its_shape() {
        let document = document::Document::Idle(sample());
        let shape = include_str!("../../../tests/fixtures/results/idle.skeleton");
        assert_eq!(samples::skeleton(&document), shape);
    }

    /// An idle document with every reading there.
    pub fn sample() -> Document {
        Document {
            common: samples::common("idle"),
            connections: 20,
            ping_interval_seconds: 0.5,
            held_seconds: 1.5,
            server_rss_kib_per_conn_open: Some(10.5),
            server_rss_kib_per_conn_held: Some(11.5),
            servers_rss_kib_per_conn_held: vec![Some(11.5)],
            servers_connections: vec![20],
            watched_rss_kib: Vec::new(),
            kernel_tcp_mem_kib_per_conn: 0.5,
            kernel_slab_kib_per_conn: 2.5,
            pings: Pings { sent: 40, pongs: 40 },
            connections_lost: 0,
            first_error: None,
            before: samples::snapshot(),
            open: samples::snapshot(),
            held: samples::snapshot(),
            closed: samples::snapshot(),
        }
    }
}
