//! The server's data messages kept until the client acknowledges them,
//! numbered as they are committed (the n-th is number n), bounded in bytes
//! with the route's [`Overflow`] policy as a connection's queue is: at the
//! bound, `Close` refuses the message (the session is over), `DropOldest`
//! forgets the oldest kept messages to make room (a client resuming from
//! before them is told, never given a silent gap).

use std::fmt;

use super::kept::{Kept, KeptIter};
use crate::overflow::Overflow;
use crate::ws::Message;

/// The bound of what a session keeps unacknowledged, in bytes (prefixes
/// counted), and what passing it does (a route's, shared by its sessions:
/// a [`Retention`] keeps only what is its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionBound {
    /// The bound.
    pub limit: usize,
    /// Past it: refuse the message (`Close`), or forget the oldest
    /// (`DropOldest`).
    pub overflow: Overflow,
}

/// A message numbered and kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    /// Its number in the session.
    pub number: u64,
    /// Older messages forgotten to make room for it (`DropOldest`).
    pub dropped: u64,
}

/// The bound was passed under `Overflow::Close`: the message was not
/// committed and the session is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionFull {
    /// Bytes kept when the message came.
    pub kept_bytes: usize,
    /// The bound.
    pub limit: usize,
}

impl fmt::Display for RetentionFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes unacknowledged (bound {})", self.kept_bytes, self.limit)
    }
}

/// An `ack` that cannot be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckError {
    /// An ack names a message that was sent.
    BeyondSent {
        /// The ack.
        ack: u64,
        /// Messages sent.
        sent: u64,
    },
}

impl fmt::Display for AckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::BeyondSent { ack, sent } = self;
        write!(f, "ack_beyond_sent: ack {ack} but {sent} sent")
    }
}

/// Why a resume from `rx` cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeError {
    /// The client cannot have received more than was sent.
    RxBeyondSent {
        /// What the client said it received.
        rx: u64,
        /// Messages sent.
        sent: u64,
    },
    /// The client cannot have received less than it acknowledged.
    RxBehindAck {
        /// What the client said it received.
        rx: u64,
        /// What it acknowledged before.
        acked: u64,
    },
    /// The messages after `rx` are no longer all kept (dropped under
    /// `DropOldest`).
    NotKept {
        /// What the client said it received.
        rx: u64,
        /// The oldest message still kept (or the next to be sent).
        oldest: u64,
    },
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RxBeyondSent { rx, sent } => write!(f, "rx {rx} but {sent} sent"),
            Self::RxBehindAck { rx, acked } => {
                write!(f, "rx_behind_ack: rx {rx} but {acked} acknowledged")
            }
            Self::NotKept { rx, oldest } => {
                write!(f, "rx {rx} but the oldest message kept is {oldest}")
            }
        }
    }
}

/// Data messages sent and not yet acknowledged (stored as [`Kept`] says).
#[derive(Debug)]
pub struct Retention {
    kept: Kept,
    /// Messages committed: the last one's number.
    sent: u64,
    /// The client's highest acknowledgement.
    acked: u64,
    /// Bytes kept, each message counted with its prefix.
    bytes: usize,
    /// Messages forgotten unacknowledged (`DropOldest`).
    dropped: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self::new()
    }
}

impl Retention {
    /// Nothing sent yet.
    pub fn new() -> Self {
        Self { kept: Kept::default(), sent: 0, acked: 0, bytes: 0, dropped: 0 }
    }

    /// Forgets the oldest message kept; whether there was one.
    fn forget_oldest(&mut self) -> bool {
        let Some(len) = self.kept.pop() else { return false };
        self.bytes -= Self::weight(len);
        true
    }

    /// The weight against the bound of a message of `len` bytes: its
    /// bytes on the wire, prefix included (so that empty messages count
    /// too).
    fn weight(len: usize) -> usize {
        1 + len
    }

    /// Numbers `message` and keeps it (or a copy) until acknowledged,
    /// within `bound`.
    pub fn commit(
        &mut self,
        message: &Message,
        bound: RetentionBound,
    ) -> Result<Committed, RetentionFull> {
        let mut dropped = 0;
        match bound.overflow {
            Overflow::DropOldest => {
                while self.bytes >= bound.limit && self.forget_oldest() {
                    dropped += 1;
                }
                self.dropped += dropped;
            }
            _ if self.bytes >= bound.limit => {
                return Err(RetentionFull { kept_bytes: self.bytes, limit: bound.limit });
            }
            _ => {}
        }
        self.bytes += Self::weight(message.len());
        self.kept.push(message);
        self.sent += 1;
        Ok(Committed { number: self.sent, dropped })
    }

    /// The number of the oldest message kept (the next to be sent when
    /// none is).
    pub fn oldest(&self) -> u64 {
        self.sent + 1 - self.kept.len() as u64
    }

    /// The client received messages 1..=`ack`: forgets them. An ack at or
    /// below an earlier one changes nothing. Says how many were forgotten.
    pub fn ack(&mut self, ack: u64) -> Result<usize, AckError> {
        if ack > self.sent {
            return Err(AckError::BeyondSent { ack, sent: self.sent });
        }
        if ack <= self.acked {
            return Ok(0);
        }
        self.acked = ack;
        let mut released = 0;
        while self.oldest() <= ack {
            let forgot = self.forget_oldest();
            assert!(forgot, "oldest <= sent: kept");
            released += 1;
        }
        Ok(released)
    }

    /// The client resumes having received `rx` messages: acknowledges them
    /// and says how many it must be sent again ([`Retention::kept`]: numbers
    /// `rx + 1 ..= sent`).
    pub fn resume(&mut self, rx: u64) -> Result<usize, ResumeError> {
        if rx > self.sent {
            return Err(ResumeError::RxBeyondSent { rx, sent: self.sent });
        }
        if rx < self.acked {
            return Err(ResumeError::RxBehindAck { rx, acked: self.acked });
        }
        if rx + 1 < self.oldest() {
            return Err(ResumeError::NotKept { rx, oldest: self.oldest() });
        }
        self.ack(rx).expect("rx <= sent");
        Ok(self.kept.len())
    }

    /// The messages kept, oldest first (numbers [`Retention::oldest`] ..=
    /// [`Retention::sent`]).
    pub fn kept(&self) -> KeptIter<'_> {
        self.kept.iter()
    }

    /// Messages committed (the last one's number).
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// The client's highest acknowledgement.
    pub fn acked(&self) -> u64 {
        self.acked
    }

    /// Messages kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether every message sent was acknowledged (or forgotten).
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Bytes kept (prefixes included), against the bound.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Messages forgotten unacknowledged to make room (`DropOldest`).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests;
