//! Idle: N connections opened and held with pings; the server's resident
//! memory per connection, and the kernel's socket memory apart.

use super::{SETTLE, common_json, common_notes, document, lost};
use crate::json::{Value, object};
use crate::loadgen::plan;
use crate::loadgen::report::{Report, mib, rate, thousands};
use crate::loadgen::session::{Context, Session};
use crate::loadgen::snapshot::Snapshot;
use crate::procfs;

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
    let json = document(
        common_json(ctx, workers),
        vec![
            ("connections", n.into()),
            ("ping_interval_seconds", o.ping_interval.as_secs_f64().into()),
            ("held_seconds", held.seconds_since(&open).into()),
            ("before", before.json()),
            ("open", open_fds.json()),
            ("held", h.json()),
            ("closed", closed.json()),
            ("server_rss_kib_per_conn_open", per_conn_kib(&open.snapshot).into()),
            ("server_rss_kib_per_conn_held", per_conn_kib(h).into()),
            (
                "servers_rss_kib_per_conn_held",
                Value::Array(node_kib.iter().map(|&v| v.into()).collect()),
            ),
            ("servers_connections", Value::Array((0..nodes).map(|i| share(i).into()).collect())),
            (
                "watched_rss_kib",
                Value::Object(
                    watched_rss
                        .iter()
                        .map(|(name, was, held)| {
                            let v = object([("before", (*was).into()), ("held", (*held).into())]);
                            (name.clone(), v)
                        })
                        .collect(),
                ),
            ),
            ("kernel_tcp_mem_kib_per_conn", tcp_mem_kib_per_conn(h).into()),
            ("kernel_slab_kib_per_conn", slab_kib_per_conn(h).into()),
            (
                "pings",
                object([("sent", held.totals.sent.into()), ("pongs", held.totals.control.into())]),
            ),
            ("connections_lost", held.totals.ended.into()),
            ("first_error", held.totals.error.clone().into()),
        ],
    );
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
