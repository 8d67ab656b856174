//! The presence seam: who is on each topic, across the nodes of a
//! deployment. Each node adds the members it serves and takes them out
//! when they leave; an entry lives for the engine's time-to-live unless the
//! node refreshes it, so the members of a node that died disappear within
//! that time instead of staying forever.

use std::fmt;

use super::history::BoxFuture;

/// Keeps each topic's members, with a little information on each.
pub trait Presence: Send + Sync + 'static {
    /// Adds `member` (unique across nodes: a connection's or a user's key)
    /// to `topic` with `info`, or refreshes it; it lasts the engine's
    /// time-to-live from now.
    fn add(
        &self,
        topic: &str,
        member: &str,
        info: &str,
    ) -> BoxFuture<'_, Result<(), PresenceError>>;

    /// Takes `member` out of `topic`.
    fn remove(&self, topic: &str, member: &str) -> BoxFuture<'_, Result<(), PresenceError>>;

    /// The live members of `topic` (expired ones are dropped), in member
    /// order.
    fn list(&self, topic: &str) -> BoxFuture<'_, Result<Vec<Present>, PresenceError>>;

    /// How many live members `topic` has.
    fn count(&self, topic: &str) -> BoxFuture<'_, Result<usize, PresenceError>>;
}

/// A member of a topic, as [`Presence::list`] gives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Present {
    /// Its key.
    pub member: String,
    /// What its node said of it.
    pub info: String,
}

/// Why a presence engine could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresenceError {
    /// The engine could not be reached or failed.
    Unavailable(String),
}

impl fmt::Display for PresenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "presence unavailable: {why}"),
        }
    }
}

impl std::error::Error for PresenceError {}
