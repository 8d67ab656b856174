//! When a publish may write to its subscribers' sockets at once. Writing
//! from the publisher (`conn::direct_write`) spares each delivery a task
//! switch, but costs one `send` per subscriber per message; queueing lets
//! each connection's task write what piled up in one call. So a topic
//! writes at once only while its publishes come far enough apart: the time
//! since the last publish began must be at least twice what the last
//! direct fan-out cost per subscriber, times the subscribers. At a few
//! messages a second (chat rooms, notifications) every publish goes out at
//! once; under a flood, messages queue and batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How far apart publishes must be, in direct fan-outs: at most half the
/// time is spent writing to sockets from the publisher.
const SPACING: u64 = 2;

/// A topic's record of its recent publishes.
#[derive(Debug)]
pub(crate) struct Pacing {
    epoch: Instant,
    /// When the last publish began, ns after `epoch` (0: never).
    last_start_ns: AtomicU64,
    /// What the last direct fan-out cost per subscriber, ns.
    direct_cost_ns: AtomicU64,
}

/// One publish under way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fanout {
    start_ns: u64,
    /// Whether subscribers' sockets may be written at once.
    pub at_once: bool,
}

impl Pacing {
    /// A topic that has not published yet.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            last_start_ns: AtomicU64::new(0),
            direct_cost_ns: AtomicU64::new(0),
        }
    }

    fn now_ns(&self) -> u64 {
        // At least 1: 0 means "never".
        (self.epoch.elapsed().as_nanos() as u64).max(1)
    }

    /// Starts a publish to `subscribers`.
    pub fn begin(&self, subscribers: usize) -> Fanout {
        self.begin_at(self.now_ns(), subscribers)
    }

    /// Ends `fanout`, which wrote to `written` sockets at once (the cost
    /// is charged to those: queueing the others is cheap beside a `send`).
    pub fn end(&self, fanout: Fanout, written: usize) {
        self.end_at(fanout, self.now_ns(), written);
    }

    fn begin_at(&self, now_ns: u64, subscribers: usize) -> Fanout {
        let last = self.last_start_ns.swap(now_ns, Ordering::Relaxed);
        let direct_ns =
            self.direct_cost_ns.load(Ordering::Relaxed).saturating_mul(subscribers as u64);
        let at_once = last == 0 || now_ns.saturating_sub(last) >= direct_ns.saturating_mul(SPACING);
        Fanout { start_ns: now_ns, at_once }
    }

    fn end_at(&self, fanout: Fanout, now_ns: u64, written: usize) {
        if fanout.at_once && written > 0 {
            let cost = now_ns.saturating_sub(fanout.start_ns) / written as u64;
            self.direct_cost_ns.store(cost, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn publishes_far_apart_go_out_at_once_and_a_flood_queues() {
        let pacing = Pacing::new();
        // The first publish: nothing known, at once. 10,000 subscribers at
        // 10 µs each: a 100 ms fan-out.
        let first = pacing.begin_at(1_000 * MS, 10_000);
        assert!(first.at_once);
        pacing.end_at(first, 1_100 * MS, 10_000);
        // 500 ms later (20,000 deliveries/s): far enough apart.
        let slow = pacing.begin_at(1_500 * MS, 10_000);
        assert!(slow.at_once);
        pacing.end_at(slow, 1_600 * MS, 10_000);
        // 150 ms later: a direct fan-out would take most of the time.
        let fast = pacing.begin_at(1_650 * MS, 10_000);
        assert!(!fast.at_once);
        // A queued fan-out teaches nothing about the cost of a direct one.
        pacing.end_at(fast, 1_651 * MS, 10_000);
        assert!(!pacing.begin_at(1_700 * MS, 10_000).at_once);
        // Few subscribers: even close publishes go out at once.
        assert!(pacing.begin_at(1_701 * MS, 10).at_once);
        // Once the flood stops, at once again.
        assert!(pacing.begin_at(2_000 * MS, 10_000).at_once);
    }
}
