//! What the reader tasks have counted, shared with the measuring code,
//! and waiting for a count to reach a target.
//!
//! Written here, not with a progress crate (indicatif): what it holds is
//! the readers' counters, bumped once per received message (a million and
//! more a second in a broadcast run) with relaxed atomics and one per
//! connection, which no progress-bar crate offers; its only output is one
//! `eprintln!` line a second while a wait lasts, which goes to the scripts'
//! and CI's logs, where stderr is not a terminal and indicatif draws
//! nothing by default.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use tokio::sync::Notify;

/// Counters of every connection's reader.
#[derive(Debug)]
pub struct Progress {
    messages: AtomicU64,
    compressed: AtomicU64,
    wire_bytes: AtomicU64,
    control_frames: AtomicU64,
    ended: AtomicU64,
    first_end: Mutex<Option<String>>,
    per_conn: Box<[AtomicU32]>,
    target: AtomicU64,
    reached: Notify,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Data messages received, all connections.
    pub messages: u64,
    /// Of those, compressed ones (RSV1).
    pub compressed: u64,
    /// Bytes of those messages' frames, headers included.
    pub wire_bytes: u64,
    /// Ping, pong and close frames.
    pub control_frames: u64,
    /// Connections whose stream ended (closed or failed).
    pub ended: u64,
}

impl Totals {
    /// What was counted since `earlier`.
    pub fn since(self, earlier: Totals) -> Totals {
        Totals {
            messages: self.messages - earlier.messages,
            compressed: self.compressed - earlier.compressed,
            wire_bytes: self.wire_bytes - earlier.wire_bytes,
            control_frames: self.control_frames - earlier.control_frames,
            ended: self.ended - earlier.ended,
        }
    }
}

impl Progress {
    /// Counters for `connections` connections.
    pub fn new(connections: usize) -> Self {
        Self {
            messages: AtomicU64::new(0),
            compressed: AtomicU64::new(0),
            wire_bytes: AtomicU64::new(0),
            control_frames: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            first_end: Mutex::new(None),
            per_conn: (0..connections).map(|_| AtomicU32::new(0)).collect(),
            target: AtomicU64::new(u64::MAX),
            reached: Notify::new(),
        }
    }

    /// Connection `conn` received a whole data message.
    pub fn on_message(&self, conn: usize, compressed: bool, wire_len: u64) {
        self.per_conn[conn].fetch_add(1, Relaxed);
        self.wire_bytes.fetch_add(wire_len, Relaxed);
        if compressed {
            self.compressed.fetch_add(1, Relaxed);
        }
        let total = self.messages.fetch_add(1, Relaxed) + 1;
        if total == self.target.load(Relaxed) {
            self.reached.notify_waiters();
        }
    }

    /// A control frame arrived.
    pub fn on_control(&self) {
        self.control_frames.fetch_add(1, Relaxed);
    }

    /// Connection `conn`'s stream ended, for `why`.
    pub fn on_end(&self, conn: usize, why: String) {
        self.ended.fetch_add(1, Relaxed);
        let mut first = self.first_end.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| format!("connection {conn}: {why}"));
        drop(first);
        self.reached.notify_waiters();
    }

    /// The counters now.
    pub fn totals(&self) -> Totals {
        Totals {
            messages: self.messages.load(Relaxed),
            compressed: self.compressed.load(Relaxed),
            wire_bytes: self.wire_bytes.load(Relaxed),
            control_frames: self.control_frames.load(Relaxed),
            ended: self.ended.load(Relaxed),
        }
    }

    /// Why the first connection to end ended, if one did.
    pub fn first_end(&self) -> Option<String> {
        self.first_end.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The fewest and most messages any one connection received.
    /// (`(0, 0)` for no connection.)
    pub fn per_conn_range(&self) -> (u32, u32) {
        let counts = self.per_conn.iter().map(|c| c.load(Relaxed));
        match counts.fold((u32::MAX, 0), |(lo, hi), c| (lo.min(c), hi.max(c))) {
            (u32::MAX, 0) => (0, 0),
            range => range,
        }
    }

    /// Connections that received at least `count` messages.
    pub fn conns_with_at_least(&self, count: u32) -> usize {
        self.per_conn.iter().filter(|c| c.load(Relaxed) >= count).count()
    }

    /// Sets the total of messages to wait for (call before triggering them).
    pub fn expect(&self, total: u64) {
        self.target.store(total, Relaxed);
    }

    /// Waits until the total set by [`expect`](Self::expect) is reached,
    /// reporting on stderr each second. Fails if a connection ends.
    pub async fn wait(&self, label: &str) -> Result<(), String> {
        let target = self.target.load(Relaxed);
        loop {
            let reached = self.reached.notified();
            let totals = self.totals();
            if totals.ended > 0 {
                return Err(format!(
                    "{label}: {} connection(s) ended unexpectedly, first: {}",
                    totals.ended,
                    self.first_end().unwrap_or_default()
                ));
            }
            if totals.messages >= target {
                return Ok(());
            }
            if tokio::time::timeout(Duration::from_secs(1), reached).await.is_err() {
                eprintln!("  {label}: {}/{target} messages", self.totals().messages);
            }
        }
    }
}
