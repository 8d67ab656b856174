//! The arithmetic of the results: rates over a window, CPU time per
//! operation and per core, memory per session. Pure functions of the
//! readings, so that they are tested apart from any socket.

use std::time::Duration;

use super::probe::Snapshot;

/// CPU time over a measured window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuWindow {
    /// Wall time.
    pub wall: Duration,
    /// The router's CPU time, clock ticks.
    pub router_ticks: u64,
    /// The load generator's CPU time, clock ticks.
    pub own_ticks: u64,
    /// The machine's busy time, all CPUs, clock ticks.
    pub busy_ticks: u64,
    /// Clock ticks per second.
    pub ticks_per_second: u64,
}

impl CpuWindow {
    /// The window from `start` to `end`.
    pub fn between(start: &Snapshot, end: &Snapshot, ticks_per_second: u64) -> Self {
        Self {
            wall: end.at.saturating_duration_since(start.at),
            router_ticks: end.router_ticks.saturating_sub(start.router_ticks),
            own_ticks: end.own_ticks.saturating_sub(start.own_ticks),
            busy_ticks: end.busy_ticks.saturating_sub(start.busy_ticks),
            ticks_per_second: ticks_per_second.max(1),
        }
    }

    fn seconds(&self, ticks: u64) -> f64 {
        ticks as f64 / self.ticks_per_second as f64
    }

    /// The router's CPU time, seconds.
    pub fn router_seconds(&self) -> f64 {
        self.seconds(self.router_ticks)
    }

    /// Cores the router kept busy on average (1.0: one core all along).
    pub fn router_cores(&self) -> f64 {
        share(self.router_seconds(), self.wall)
    }

    /// Cores the load generator kept busy on average.
    pub fn own_cores(&self) -> f64 {
        share(self.seconds(self.own_ticks), self.wall)
    }

    /// Cores kept busy by everything else: other processes, and the
    /// kernel's softirq time (loopback TCP's receive path, largely), which
    /// it charges to no process.
    pub fn other_cores(&self) -> f64 {
        let other = self.busy_ticks.saturating_sub(self.router_ticks + self.own_ticks);
        share(self.seconds(other), self.wall)
    }

    /// The router's CPU time per operation, µs; `None` without operations.
    pub fn router_us_per(&self, operations: u64) -> Option<f64> {
        (operations > 0).then(|| self.router_seconds() * 1e6 / operations as f64)
    }

    /// Operations per second of router CPU time: the rate one core of the
    /// router would sustain at this cost; `None` if no CPU time was seen.
    pub fn per_core_rate(&self, operations: u64) -> Option<f64> {
        (self.router_ticks > 0).then(|| operations as f64 / self.router_seconds())
    }
}

/// `seconds` of CPU as a share of `wall`.
fn share(seconds: f64, wall: Duration) -> f64 {
    if wall.is_zero() { 0.0 } else { seconds / wall.as_secs_f64() }
}

/// Operations per second over `wall`.
pub fn rate(operations: u64, wall: Duration) -> f64 {
    if wall.is_zero() { 0.0 } else { operations as f64 / wall.as_secs_f64() }
}

/// The growth of resident memory per session, KiB (negative if it shrank);
/// `None` without sessions.
pub fn kib_per_session(before_kib: u64, after_kib: u64, sessions: u64) -> Option<f64> {
    (sessions > 0).then(|| (after_kib as f64 - before_kib as f64) / sessions as f64)
}

/// Deliveries missing: expected ones not received (never negative; a
/// surplus is reported apart, see [`surplus`]).
pub fn lost(expected: u64, received: u64) -> u64 {
    expected.saturating_sub(received)
}

/// Deliveries beyond those expected (duplicates), if any.
pub fn surplus(expected: u64, received: u64) -> u64 {
    received.saturating_sub(expected)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn window() -> CpuWindow {
        CpuWindow {
            wall: Duration::from_secs(10),
            router_ticks: 800,
            own_ticks: 950,
            busy_ticks: 1900,
            ticks_per_second: 100,
        }
    }

    #[test]
    fn cpu_per_operation_and_per_core() {
        let w = window();
        assert_eq!(w.router_seconds(), 8.0);
        assert!((w.router_cores() - 0.8).abs() < 1e-12);
        assert!((w.own_cores() - 0.95).abs() < 1e-12);
        assert!((w.other_cores() - 0.15).abs() < 1e-12);
        // 4,000,000 deliveries in 8 s of router CPU: 2 µs each, 500,000/s per core.
        assert!((w.router_us_per(4_000_000).unwrap() - 2.0).abs() < 1e-12);
        assert!((w.per_core_rate(4_000_000).unwrap() - 500_000.0).abs() < 1e-6);
        assert_eq!(w.router_us_per(0), None);
        let idle = CpuWindow { router_ticks: 0, ..w };
        assert_eq!(idle.per_core_rate(10), None);
    }

    #[test]
    fn windows_from_snapshots() {
        let start =
            Snapshot { at: Instant::now(), router_ticks: 100, own_ticks: 10, busy_ticks: 500 };
        let end = Snapshot {
            at: start.at + Duration::from_millis(2500),
            router_ticks: 350,
            own_ticks: 60,
            busy_ticks: 900,
        };
        let w = CpuWindow::between(&start, &end, 100);
        assert_eq!(w.wall, Duration::from_millis(2500));
        assert_eq!((w.router_ticks, w.own_ticks, w.busy_ticks), (250, 50, 400));
        assert!((w.router_cores() - 1.0).abs() < 1e-12);
        // Counters that went backwards (a restarted process) give zero, not a wrap.
        let w = CpuWindow::between(&end, &start, 0);
        assert_eq!((w.router_ticks, w.wall, w.ticks_per_second), (0, Duration::ZERO, 1));
        assert_eq!(w.router_cores(), 0.0);
    }

    #[test]
    fn rates_memory_and_losses() {
        assert_eq!(rate(1000, Duration::from_millis(500)), 2000.0);
        assert_eq!(rate(1000, Duration::ZERO), 0.0);
        assert_eq!(kib_per_session(10_000, 30_000, 5000), Some(4.0));
        assert_eq!(kib_per_session(10_000, 9_000, 1000), Some(-1.0));
        assert_eq!(kib_per_session(1, 2, 0), None);
        assert_eq!((lost(100, 97), surplus(100, 97)), (3, 0));
        assert_eq!((lost(100, 101), surplus(100, 101)), (0, 1));
    }
}
