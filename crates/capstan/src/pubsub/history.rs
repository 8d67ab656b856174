//! The history seam: each topic's recent publications, kept so that a
//! client that lost its connection can get exactly what it missed. An
//! engine appends each publication and gives it a [`Position`]; a client
//! that comes back with the last position it saw gets what followed, or is
//! told plainly that it cannot (the history no longer holds it, or the
//! stream began again under a new epoch) — never a silent gap.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use super::position::Position;
use crate::ws::Message;

/// A future a seam's engine returns (boxed: engines are chosen at run time).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Keeps each topic's recent publications, in order, with their positions.
pub trait History: Send + Sync + 'static {
    /// Appends `message` to `topic`'s stream: its position. With an
    /// `idempotency_key` the stream still holds, nothing is appended: the
    /// answer is the first one's position, marked duplicate.
    fn append(
        &self,
        topic: &str,
        message: Message,
        idempotency_key: Option<&str>,
    ) -> BoxFuture<'_, Result<Appended, HistoryError>>;

    /// What `topic` got after `since`, in order: all of it, or
    /// [`Recovery::NotRecovered`] if some of it is gone.
    fn since(&self, topic: &str, since: Position) -> BoxFuture<'_, Result<Recovery, HistoryError>>;

    /// The position of `topic`'s latest publication (offset 0 if none).
    fn latest(&self, topic: &str) -> BoxFuture<'_, Result<Position, HistoryError>>;

    /// A page of what `topic` keeps, oldest first: at most `limit` of the
    /// latest publications, or of those before or after an offset (of the
    /// current epoch). For reading back, not for recovery: a page says
    /// nothing of what is gone.
    fn page(
        &self,
        topic: &str,
        range: PageRange,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Stored>, HistoryError>>;
}

/// Which publications a [`History::page`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRange {
    /// The latest ones.
    Latest,
    /// The latest of those with an offset below this one.
    Before(u64),
    /// The first of those with an offset above this one.
    After(u64),
}

/// The answer to [`History::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The publication's place in the stream.
    pub position: Position,
    /// Its idempotency key was kept already: nothing was appended, and
    /// `position` is the first one's.
    pub duplicate: bool,
}

/// A publication kept in a topic's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its place in the stream.
    pub position: Position,
    /// The message.
    pub message: Message,
}

/// The answer to [`History::since`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Every publication after the position asked for, in order (none if
    /// nothing followed).
    Recovered(Vec<Stored>),
    /// Some of what followed is gone (trimmed, expired), or the position
    /// is of another epoch: the client must reload its state. `latest` is
    /// where the stream is now.
    NotRecovered {
        /// The stream's latest position.
        latest: Position,
    },
}

/// Why a history engine could not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HistoryError {
    /// The engine could not be reached or failed.
    Unavailable(String),
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(why) => write!(f, "history unavailable: {why}"),
        }
    }
}

impl std::error::Error for HistoryError {}
