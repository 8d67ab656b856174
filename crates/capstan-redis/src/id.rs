//! Random names made by a node: its own id (so it knows its publications
//! when they come back) and the epoch of a stream it begins.

/// 64 random bits from the OS, in 16 hex digits.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness (never seen on the platforms served): the time
        // and a counter keep names apart on one machine at least.
        use std::sync::atomic::{AtomicU64, Ordering};
        static MADE: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        bytes = (nanos ^ MADE.fetch_add(1, Ordering::Relaxed).rotate_left(48)).to_be_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_hex_and_differ() {
        let (a, b) = (super::random_hex(), super::random_hex());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
