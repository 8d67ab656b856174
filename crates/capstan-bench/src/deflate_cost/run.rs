//! One mode measured end to end: start the server, connect the clients,
//! read memory idle and active, time a broadcast, tear down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::control::Control;
use super::fleet::Fleet;
use super::mode::Mode;
use super::payload;
use super::report::{Broadcast, Echo, ModeResult, Snapshot};
use crate::child::ServerProcess;
use crate::client::text_frame;
use crate::deadline::Deadline;
use crate::procfs;
use crate::progress::Progress;

/// Pause before reading memory, for the server to finish what it was doing.
const SETTLE: Duration = Duration::from_secs(1);
/// Pause after the last broadcast frame before reading CPU again.
const TAIL: Duration = Duration::from_millis(250);
/// Tries to see every connection subscribed.
const SUBSCRIBE_POLLS: usize = 200;

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Client connections.
    pub connections: usize,
    /// Broadcast messages.
    pub messages: usize,
    /// The CPU to pin the server to.
    pub server_cpu: Option<usize>,
}

fn snapshot(pid: u32) -> Result<Snapshot, String> {
    Ok(Snapshot {
        rss_kib: procfs::rss_kib(pid)?,
        sockstat: procfs::sockstat()?,
        slab_kib: procfs::slab_kib()?,
    })
}

/// Measures `mode`.
pub async fn measure(mode: Mode, plan: Plan, deadline: &Deadline) -> Result<ModeResult, String> {
    let label = mode.name();
    let (n, m) = (plan.connections, plan.messages);
    let server = spawn_server(mode, plan.server_cpu)?;
    let pid = server.pid;
    eprintln!("[{label}] server pid {pid} on port {}: {}", server.port, server.command_line);
    let mut control =
        deadline.run("connecting the controller", Control::connect(server.addr())).await?;
    tokio::time::sleep(SETTLE).await;
    let baseline = snapshot(pid)?;

    eprintln!("[{label}] opening {n} connections");
    let progress = Arc::new(Progress::new(n));
    let mut fleet = deadline
        .run("opening connections", Fleet::open(server.addr(), mode, n, &progress, label))
        .await?;
    deadline.run("waiting for subscriptions", subscribed(&mut control, n)).await?;
    tokio::time::sleep(SETTLE).await;
    let idle = snapshot(pid)?;

    eprintln!("[{label}] active: one message each way per connection");
    let before = progress.totals();
    let text_bytes = (0..n).map(|i| payload::echo(i).len() as u64).sum();
    progress.expect(before.messages + n as u64);
    let sent_bytes = deadline
        .run("sending", fleet.send_each(|i| text_frame(&payload::echo(i), mode.compresses(), i)))
        .await?;
    deadline.run("waiting for the echoes", progress.wait(label)).await?;
    let echo = Echo { text_bytes, sent_bytes, received: progress.totals().since(before) };
    check_each(&progress, 1, "echo")?;
    tokio::time::sleep(SETTLE).await;
    let active = snapshot(pid)?;

    eprintln!("[{label}] broadcast: {m} messages to {n} subscribers");
    let before = progress.totals();
    let deliveries = (n * m) as u64;
    progress.expect(before.messages + deliveries);
    let (ticks_before, cpu_before) = (procfs::cpu_ticks(pid)?, procfs::cpu_ns(pid)?);
    let start = Instant::now();
    control.send(&format!("publish {m}")).await?;
    deadline.run("waiting for the broadcast", progress.wait(label)).await?;
    let wall = start.elapsed();
    let cpu_at_last_frame = procfs::cpu_ns(pid)?;
    tokio::time::sleep(TAIL).await;
    let (ticks_after, cpu_after) = (procfs::cpu_ticks(pid)?, procfs::cpu_ns(pid)?);
    let reply = deadline.run("reading the publish reply", control.reply()).await?;
    let expected = format!("published {m} queued {deliveries} refused 0");
    if reply != expected {
        return Err(format!("[{label}] server answered {reply:?}, expected {expected:?}"));
    }
    let received = progress.totals().since(before);
    check_each(&progress, 1 + m as u32, "broadcast")?;
    let broadcast = Broadcast {
        text_bytes: (0..m as u64).map(|seq| payload::broadcast(seq).len() as u64).sum(),
        received,
        cpu_ns_at_last_frame: cpu_at_last_frame.saturating_sub(cpu_before),
        cpu_ns: cpu_after.saturating_sub(cpu_before),
        cpu_ticks: ticks_after.since(ticks_before),
        wall,
        reply,
    };
    tokio::time::sleep(SETTLE).await;
    let after_broadcast = snapshot(pid)?;
    let server_threads = procfs::threads(pid)?;
    check_compression(mode, &echo, &broadcast)?;

    let result = ModeResult {
        mode,
        extensions: fleet.extensions.clone(),
        server_command: server.command_line.clone(),
        server_threads,
        baseline,
        idle,
        active,
        after_broadcast,
        echo,
        broadcast,
    };
    eprintln!(
        "[{label}] done: {:.1} KiB/conn idle, {:.1} KiB/conn active, {:.2} µs CPU/delivery",
        result.rss_per_conn(&result.idle, n) / 1024.0,
        result.rss_per_conn(&result.active, n) / 1024.0,
        result.cpu_ns_per_delivery() / 1000.0
    );
    drop(server);
    fleet.close();
    Ok(result)
}

/// Waits until the server has all `n` connections in its topic.
async fn subscribed(control: &mut Control, n: usize) -> Result<(), String> {
    let expected = format!("subscribers {n}");
    let mut last = String::new();
    for _ in 0..SUBSCRIBE_POLLS {
        last = control.command("subscribers").await?;
        if last == expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("the server reports {last:?}, expected {expected:?}"))
}

/// Checks that every connection received exactly `count` messages so far.
fn check_each(progress: &Progress, count: u32, phase: &str) -> Result<(), String> {
    match progress.per_conn_range() {
        (lo, hi) if lo == count && hi == count => Ok(()),
        (lo, hi) => Err(format!(
            "after the {phase}: connections hold {lo}..={hi} messages, expected {count} each"
        )),
    }
}

/// Checks that messages were compressed exactly when the mode says so.
fn check_compression(mode: Mode, echo: &Echo, broadcast: &Broadcast) -> Result<(), String> {
    for (what, totals) in [("echo", &echo.received), ("broadcast", &broadcast.received)] {
        let expected = if mode.compresses() { totals.messages } else { 0 };
        if totals.compressed != expected {
            return Err(format!(
                "{} mode: {} of {} {what} messages compressed, expected {expected}",
                mode.name(),
                totals.compressed,
                totals.messages
            ));
        }
    }
    Ok(())
}

/// Starts this binary with `--serve MODE` (the `deflate_cost` server),
/// under `taskset -c CPU` if `cpu` is given, and waits for its port. Its
/// stdin is a pipe: it exits when this process does.
fn spawn_server(mode: Mode, cpu: Option<usize>) -> Result<ServerProcess, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own executable: {e}"))?;
    let argv = [exe.display().to_string(), "--serve".into(), mode.name().into()];
    ServerProcess::spawn_command(&argv, cpu, std::process::Stdio::piped())
}
