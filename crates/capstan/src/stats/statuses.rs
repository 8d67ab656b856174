//! Handshake rejections counted by HTTP status. Rare next to messages, so
//! one shared number per status is enough (no slot per thread).

use std::sync::atomic::{AtomicU64, Ordering};

/// Statuses counted apart: 0 to 599; any other counts as 0.
const STATUSES: usize = 600;

/// A count per HTTP status.
pub(crate) struct Statuses([AtomicU64; STATUSES]);

impl Statuses {
    /// Every status at zero.
    pub(crate) const fn new() -> Self {
        Self([const { AtomicU64::new(0) }; STATUSES])
    }

    /// Counts one answer with `status` (outside 100–599: counted as 0,
    /// no valid status).
    pub(crate) fn record(&self, status: u16) {
        let index = usize::from(status);
        let index = if (100..STATUSES).contains(&index) { index } else { 0 };
        self.0[index].fetch_add(1, Ordering::Relaxed);
    }

    /// The statuses counted at least once, ascending, with their counts.
    pub(crate) fn counted(&self) -> Vec<(u16, u64)> {
        (0..STATUSES)
            .filter_map(|status| {
                let count = self.0[status].load(Ordering::Relaxed);
                (count > 0).then_some((status as u16, count))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_status_and_lumps_invalid_ones_under_zero() {
        let statuses = Box::new(Statuses::new());
        statuses.record(404);
        statuses.record(400);
        statuses.record(404);
        statuses.record(99);
        statuses.record(600);
        assert_eq!(statuses.counted(), [(0, 2), (400, 1), (404, 2)]);
    }
}
