//! A gauge of the connections that wait for input while holding a read
//! buffer: the promise that an idle connection keeps no read buffer, made
//! checkable. A connection holds one while it waits only with part of a
//! frame received; one with nothing pending gives its buffer back first.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

static WAITING_WITH_BUFFER: AtomicUsize = AtomicUsize::new(0);

/// Connections of this process waiting for input while holding a read
/// buffer (allocated capacity), at this moment.
pub fn waiting_with_read_buffer() -> usize {
    WAITING_WITH_BUFFER.load(Relaxed)
}

/// Counts one connection in a gauge while it lives, if it holds a buffer
/// (dropped when the wait ends, or with the connection's task).
pub(crate) struct Waiting(Option<&'static AtomicUsize>);

impl Waiting {
    /// A wait with a buffer of `capacity` bytes, counted in the process's
    /// gauge.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self::counted_in(&WAITING_WITH_BUFFER, capacity)
    }

    fn counted_in(gauge: &'static AtomicUsize, capacity: usize) -> Self {
        if capacity == 0 {
            return Self(None);
        }
        gauge.fetch_add(1, Relaxed);
        Self(Some(gauge))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Some(gauge) = self.0 {
            gauge.fetch_sub(1, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_waits_that_hold_a_buffer_while_they_last() {
        static GAUGE: AtomicUsize = AtomicUsize::new(0);
        let empty = Waiting::counted_in(&GAUGE, 0);
        assert_eq!(GAUGE.load(Relaxed), 0);
        let holding = Waiting::counted_in(&GAUGE, 4096);
        let another = Waiting::counted_in(&GAUGE, 1);
        assert_eq!(GAUGE.load(Relaxed), 2);
        drop(holding);
        drop(empty);
        assert_eq!(GAUGE.load(Relaxed), 1);
        drop(another);
        assert_eq!(GAUGE.load(Relaxed), 0);
    }
}
