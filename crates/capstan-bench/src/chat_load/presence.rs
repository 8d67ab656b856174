//! Users joining `general` one after another: what each member receives
//! per join, and what a join costs the server, as the room grows.

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use serde_json::json;

use super::conn::{ChatConn, Keep, is_type};
use crate::procfs;

/// Longest wait for one user's `add_user` answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// One measured step: the joins from `from` to `to` members.
#[derive(Debug, Clone)]
pub struct Step {
    /// Members before the step.
    pub from: usize,
    /// Members after it.
    pub to: usize,
    /// Bytes each observer received per join, on average over observers.
    pub bytes_per_join: f64,
    /// Server CPU time per join, µs.
    pub cpu_us_per_join: f64,
    /// Wall time of the step, s.
    pub seconds: f64,
    /// The server's RSS after the step, KiB.
    pub rss_kib: u64,
}

/// Joins `users` users one after another; measures every `step` joins.
pub async fn run(
    addr: SocketAddr,
    pid: u32,
    users: usize,
    step: usize,
    observers: usize,
) -> Result<Vec<Step>, String> {
    let mut conns: Vec<ChatConn> = Vec::with_capacity(users);
    let mut steps = Vec::new();
    let mut mark = Mark::take(pid, &conns, observers)?;
    for n in 0..users {
        let mut conn = ChatConn::connect(addr, n, Keep::UntilNamed).await?;
        conn.send("add_user", json!({ "username": format!("user{n:05}") })).await?;
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, conn.next())
            .await
            .map_err(|_| format!("user {n}: no answer to add_user in {ANSWER_TIMEOUT:?}"))?
            .ok_or_else(|| format!("user {n}: closed before its answer"))?;
        if !is_type(&answer, "add_user") {
            return Err(format!("user {n} refused: {}", String::from_utf8_lossy(&answer)));
        }
        conns.push(conn);
        // Measured from when the observers are in.
        if conns.len() == observers {
            mark = Mark::take(pid, &conns, observers)?;
        } else if conns.len() > observers
            && (conns.len().is_multiple_of(step) || conns.len() == users)
        {
            let now = Mark::take(pid, &conns, observers)?;
            steps.push(now.since(&mark));
            eprintln!("{} members", conns.len());
            mark = now;
        }
    }
    Ok(steps)
}

/// Readings at one moment.
struct Mark {
    members: usize,
    observed_bytes: u64,
    observers: usize,
    cpu_ns: u64,
    at: Instant,
    rss_kib: u64,
}

impl Mark {
    fn take(pid: u32, conns: &[ChatConn], observers: usize) -> Result<Self, String> {
        let watched = &conns[..observers.min(conns.len())];
        Ok(Self {
            members: conns.len(),
            observed_bytes: watched.iter().map(|c| c.received.load(Relaxed)).sum(),
            observers: watched.len(),
            cpu_ns: procfs::cpu_ns(pid)?,
            at: Instant::now(),
            rss_kib: procfs::rss_kib(pid)?,
        })
    }

    fn since(&self, earlier: &Mark) -> Step {
        let joins = (self.members - earlier.members).max(1) as f64;
        let bytes = self.observed_bytes.saturating_sub(earlier.observed_bytes) as f64;
        Step {
            from: earlier.members,
            to: self.members,
            bytes_per_join: bytes / self.observers.max(1) as f64 / joins,
            cpu_us_per_join: self.cpu_ns.saturating_sub(earlier.cpu_ns) as f64 / 1000.0 / joins,
            seconds: self.at.duration_since(earlier.at).as_secs_f64(),
            rss_kib: self.rss_kib,
        }
    }
}

/// The steps as a Markdown table.
pub fn table(steps: &[Step]) -> String {
    let mut out = String::from(
        "| members | bytes per join, each observer | server CPU per join (µs) | step (s) | server RSS (MiB) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for s in steps {
        out.push_str(&format!(
            "| {}–{} | {:.1} | {:.0} | {:.2} | {:.1} |\n",
            s.from,
            s.to,
            s.bytes_per_join,
            s.cpu_us_per_join,
            s.seconds,
            s.rss_kib as f64 / 1024.0
        ));
    }
    out
}
