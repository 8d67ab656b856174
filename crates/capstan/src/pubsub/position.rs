//! Where a publication stands in a topic's stream: an offset, and the epoch
//! of the stream that gave it (a stream that was lost and began again has
//! a new epoch, so old offsets are not mistaken for new ones).

use std::fmt;

/// A publication's place in its topic's stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1 for a stream's first publication, then one more each; 0 before
    /// the first.
    pub offset: u64,
    /// The stream's identity; offsets of different epochs do not compare.
    pub epoch: String,
}

impl Position {
    /// The place `offset` in the stream of `epoch`.
    pub fn new(offset: u64, epoch: impl Into<String>) -> Self {
        Self { offset, epoch: epoch.into() }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.offset, self.epoch)
    }
}
