//! What a worker has counted, sent to the coordinator as a `report` line,
//! and the sum of every worker's report.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use super::wire::Line;
use crate::histogram::Histogram;
use crate::progress::Progress;

/// A worker's counters, shared by its connection tasks.
#[derive(Debug)]
pub struct Tally {
    /// Messages, control frames and ended connections, per connection too.
    pub progress: Arc<Progress>,
    /// Connections open so far.
    pub opened: AtomicU64,
    /// All connections open.
    pub ready: AtomicBool,
    /// Messages (echo) or pings (idle) sent.
    pub sent: AtomicU64,
    /// Churn cycles completed.
    pub cycles: AtomicU64,
    /// Churn cycles failed.
    pub failures: AtomicU64,
    /// Churn has stopped starting cycles and every cycle has ended.
    pub finished: AtomicBool,
    /// From go to finished (churn), ms.
    pub busy_ms: AtomicU64,
    first_failure: Mutex<Option<String>>,
    latency: Mutex<Histogram>,
}

impl Tally {
    /// Counters for `connections` connections.
    pub fn new(connections: usize) -> Self {
        Self {
            progress: Arc::new(Progress::new(connections)),
            opened: AtomicU64::new(0),
            ready: AtomicBool::new(false),
            sent: AtomicU64::new(0),
            cycles: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            busy_ms: AtomicU64::new(0),
            first_failure: Mutex::new(None),
            latency: Mutex::new(Histogram::default()),
        }
    }

    /// Counts a latency, ns.
    pub fn record_latency(&self, ns: u64) {
        self.latency.lock().unwrap_or_else(|p| p.into_inner()).record(ns);
    }

    /// Forgets the latencies counted so far (the window starts).
    pub fn reset_latency(&self) {
        self.latency.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Counts a failed churn cycle.
    pub fn fail(&self, why: String) {
        self.failures.fetch_add(1, Relaxed);
        self.first_failure.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(why);
    }

    /// The counters as a `report` line.
    pub fn report(&self) -> Line {
        let totals = self.progress.totals();
        let (min, max) = self.progress.per_conn_range();
        let error = self
            .progress
            .first_end()
            .or_else(|| self.first_failure.lock().unwrap_or_else(|p| p.into_inner()).clone());
        let latency = self.latency.lock().unwrap_or_else(|p| p.into_inner()).to_text();
        Line::new("report")
            .with("opened", self.opened.load(Relaxed))
            .with("ready", u8::from(self.ready.load(Relaxed)))
            .with("messages", totals.messages)
            .with("bytes", totals.wire_bytes)
            .with("control", totals.control_frames)
            .with("ended", totals.ended)
            .with("min_per_conn", min)
            .with("max_per_conn", max)
            .with("reached", self.progress.conns_with_at_least(1))
            .with("sent", self.sent.load(Relaxed))
            .with("cycles", self.cycles.load(Relaxed))
            .with("failures", self.failures.load(Relaxed))
            .with("finished", u8::from(self.finished.load(Relaxed)))
            .with("busy_ms", self.busy_ms.load(Relaxed))
            .with("error", error.unwrap_or_default())
            .with("latency", latency)
    }
}

/// Every worker's report, added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Connections open.
    pub opened: u64,
    /// Workers with all their connections open.
    pub ready: usize,
    /// Data messages received.
    pub messages: u64,
    /// Their frames' bytes.
    pub bytes: u64,
    /// Control frames received (pongs).
    pub control: u64,
    /// Connections that ended.
    pub ended: u64,
    /// Fewest messages any connection received.
    pub min_per_conn: u64,
    /// Most messages any connection received.
    pub max_per_conn: u64,
    /// Connections that received at least one message.
    pub reached: u64,
    /// Messages or pings sent.
    pub sent: u64,
    /// Churn cycles completed.
    pub cycles: u64,
    /// Churn cycles failed.
    pub failures: u64,
    /// Workers done with churn.
    pub finished: usize,
    /// The longest any worker took from go to finished (churn), ms.
    pub busy_ms: u64,
    /// The first problem any worker saw.
    pub error: Option<String>,
    /// Latencies since the last reset, ns.
    pub latency: Histogram,
}

impl Totals {
    /// Adds up `reports`.
    pub fn sum(reports: &[Line]) -> Result<Self, String> {
        let mut t = Totals { min_per_conn: u64::MAX, ..Totals::default() };
        for r in reports {
            let n = |key: &str| r.parse_field::<u64>(key);
            t.opened += n("opened")?;
            t.ready += usize::from(n("ready")? == 1);
            t.messages += n("messages")?;
            t.bytes += n("bytes")?;
            t.control += n("control")?;
            t.ended += n("ended")?;
            t.min_per_conn = t.min_per_conn.min(n("min_per_conn")?);
            t.max_per_conn = t.max_per_conn.max(n("max_per_conn")?);
            t.reached += n("reached")?;
            t.sent += n("sent")?;
            t.cycles += n("cycles")?;
            t.failures += n("failures")?;
            t.finished += usize::from(n("finished")? == 1);
            t.busy_ms = t.busy_ms.max(n("busy_ms")?);
            if t.error.is_none() {
                t.error = r.get("error").filter(|e| !e.is_empty()).map(String::from);
            }
            t.latency.merge(&Histogram::from_text(r.get("latency").unwrap_or("-"))?);
        }
        if reports.is_empty() {
            t.min_per_conn = 0;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_add_up() {
        let (a, b) = (Tally::new(2), Tally::new(1));
        a.progress.on_message(0, false, 10);
        a.progress.on_message(0, false, 10);
        a.progress.on_message(1, false, 10);
        a.record_latency(1000);
        b.progress.on_message(0, false, 5);
        b.progress.on_end(0, "closed by the server".into());
        b.record_latency(3000);
        b.fail("ignored: an end came first".into());
        let t = Totals::sum(&[a.report(), b.report()]).unwrap();
        assert_eq!((t.messages, t.bytes, t.ended, t.failures), (4, 35, 1, 1));
        assert_eq!((t.min_per_conn, t.max_per_conn, t.reached), (1, 2, 3));
        assert_eq!(t.error.as_deref(), Some("connection 0: closed by the server"));
        assert_eq!(t.latency.count(), 2);
        a.reset_latency();
        let line = Line::parse(&a.report().to_text()).unwrap();
        assert_eq!(Totals::sum(&[line]).unwrap().latency.count(), 0);
        assert_eq!(Totals::sum(&[]).unwrap().min_per_conn, 0);
    }
}
