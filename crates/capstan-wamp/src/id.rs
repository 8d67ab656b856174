//! WAMP IDs: integers from 1 to 2^53 (exactly representable in a double,
//! so every client language keeps them intact).

use std::fmt;

/// The largest ID: 2^53.
pub const MAX_ID: u64 = 1 << 53;

/// A session, publication, subscription, registration or request ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u64);

impl Id {
    /// `n` as an ID, if it is within 1..=2^53.
    pub fn new(n: u64) -> Option<Self> {
        (1..=MAX_ID).contains(&n).then_some(Self(n))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Id> for crate::value::Value {
    fn from(id: Id) -> Self {
        Self::from_u64(id.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_run_from_one_to_two_to_the_53() {
        assert_eq!(Id::new(0), None);
        assert_eq!(Id::new(1).map(Id::get), Some(1));
        assert_eq!(Id::new(MAX_ID).map(Id::get), Some(MAX_ID));
        assert_eq!(Id::new(MAX_ID + 1), None);
    }
}
