//! A clock that every process of a run reads alike, for timestamps that
//! one process writes into a payload and another reads back.
//!
//! `std::time::Instant` is CLOCK_MONOTONIC, which is system-wide, but its
//! value cannot be read out of an `Instant`; `SystemTime` (CLOCK_REALTIME)
//! can be, but may be stepped (NTP, `date -s`) at any moment. So each
//! process reads both clocks once, at its first use of this one, and from
//! then on counts with `Instant`: readings are nanoseconds since the Unix
//! epoch that never jump within a process. Two processes agree to within
//! how well their two anchor readings were paired (tens of nanoseconds,
//! the best of a few tries) plus any step of the real-time clock between
//! their starts (none, normally: they start within a second of each other).
//! Both clocks are slewed alike by NTP, so rates agree.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Tries at pairing the two clocks; the tightest pair is kept.
const PAIRING_TRIES: usize = 16;

/// The real-time clock read once, then advanced by the monotonic one.
#[derive(Debug, Clone, Copy)]
pub struct SharedClock {
    anchor: Instant,
    anchor_ns: u64,
}

impl SharedClock {
    /// Pairs a monotonic reading with a real-time one.
    pub fn calibrate() -> Self {
        let mut best: Option<(Duration, Instant, SystemTime)> = None;
        for _ in 0..PAIRING_TRIES {
            let before = Instant::now();
            let wall = SystemTime::now();
            let after = Instant::now();
            let spread = after - before;
            if best.is_none_or(|(s, ..)| spread < s) {
                best = Some((spread, before + spread / 2, wall));
            }
        }
        let (_, anchor, wall) = best.expect("tried at least once");
        let anchor_ns = wall.duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() as u64;
        Self { anchor, anchor_ns }
    }

    /// Nanoseconds since the Unix epoch.
    pub fn now_ns(&self) -> u64 {
        self.at(Instant::now())
    }

    /// Nanoseconds since the Unix epoch at `instant`.
    pub fn at(&self, instant: Instant) -> u64 {
        match instant.checked_duration_since(self.anchor) {
            Some(after) => self.anchor_ns + after.as_nanos() as u64,
            None => self.anchor_ns.saturating_sub((self.anchor - instant).as_nanos() as u64),
        }
    }
}

/// This process's shared clock, in nanoseconds since the Unix epoch.
pub fn now_ns() -> u64 {
    static CLOCK: OnceLock<SharedClock> = OnceLock::new();
    CLOCK.get_or_init(SharedClock::calibrate).now_ns()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_real_time_clock_and_never_goes_back() {
        let a = now_ns();
        let b = now_ns();
        assert!(b >= a);
        // The real-time clock read between two instants reads between the
        // shared clock at those instants (give or take the pairing error):
        // however long this thread is held up in between.
        let clock = SharedClock::calibrate();
        let before = Instant::now();
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
        let after = Instant::now();
        let slack = 1_000_000;
        assert!(
            (clock.at(before) - slack..=clock.at(after) + slack).contains(&wall),
            "real time {wall} outside [{}, {}]",
            clock.at(before),
            clock.at(after)
        );
        // Two calibrations (as two processes would make) agree closely, read
        // at the same instant.
        let (x, y) = (SharedClock::calibrate(), SharedClock::calibrate());
        let t = Instant::now();
        assert!(x.at(t).abs_diff(y.at(t)) < slack, "{} vs {}", x.at(t), y.at(t));
    }

    #[test]
    fn reads_before_and_after_the_anchor() {
        let clock = SharedClock::calibrate();
        let later = clock.anchor + Duration::from_millis(5);
        assert_eq!(clock.at(later) - clock.at(clock.anchor), 5_000_000);
        let earlier = clock.anchor - Duration::from_millis(5);
        assert_eq!(clock.at(clock.anchor) - clock.at(earlier), 5_000_000);
    }
}
