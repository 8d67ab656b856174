//! What can stop a `wamp-load` run, each with what it was doing.

use std::fmt;
use std::time::Duration;

/// Why a run (or one of its sessions) failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// The command line is wrong.
    Usage(String),
    /// The TCP connection or the WebSocket handshake of session `index`
    /// failed.
    Connect {
        /// Which session.
        index: usize,
        /// What went wrong.
        why: String,
    },
    /// Opening a batch of sessions failed (the first failure, with the
    /// session's index).
    Open(String),
    /// The router agreed to no subprotocol, or to another than asked.
    Subprotocol {
        /// The one asked for.
        wanted: &'static str,
        /// The one agreed to, if any.
        got: Option<String>,
    },
    /// The router sent something a WAMP client cannot accept here (a
    /// message that does not decode, one out of place, a fragmented or
    /// malformed frame).
    Protocol(String),
    /// The router ended a session: ABORT, GOODBYE, a close frame, or the
    /// TCP connection closed.
    Ended(String),
    /// Reading or writing a socket failed.
    Io(String),
    /// A bounded wait ran out.
    Timeout {
        /// What was awaited.
        what: String,
        /// How long it was awaited.
        after: Duration,
    },
    /// Reading the router's /proc entries failed.
    Proc(String),
    /// The run could not be set up (runtime, descriptors, a task that
    /// panicked).
    Setup(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(why) => write!(f, "usage: {why}"),
            Self::Connect { index, why } => write!(f, "session {index}: connect: {why}"),
            Self::Open(why) => write!(f, "opening sessions: {why}"),
            Self::Subprotocol { wanted, got: None } => {
                write!(f, "the router agreed to no subprotocol (asked for {wanted})")
            }
            Self::Subprotocol { wanted, got: Some(got) } => {
                write!(f, "the router agreed to subprotocol {got:?}, not {wanted}")
            }
            Self::Protocol(why) => write!(f, "protocol: {why}"),
            Self::Ended(why) => write!(f, "session ended by the router: {why}"),
            Self::Io(why) => write!(f, "i/o: {why}"),
            Self::Timeout { what, after } => {
                write!(f, "timed out after {:.1} s: {what}", after.as_secs_f64())
            }
            Self::Proc(why) => write!(f, "/proc: {why}"),
            Self::Setup(why) => write!(f, "setup: {why}"),
        }
    }
}

impl std::error::Error for LoadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_happened() {
        let e = LoadError::Subprotocol { wanted: "wamp.2.json", got: None };
        assert_eq!(e.to_string(), "the router agreed to no subprotocol (asked for wamp.2.json)");
        let e = LoadError::Timeout { what: "WELCOME".into(), after: Duration::from_millis(1500) };
        assert_eq!(e.to_string(), "timed out after 1.5 s: WELCOME");
        let e = LoadError::Connect { index: 7, why: "refused".into() };
        assert_eq!(e.to_string(), "session 7: connect: refused");
    }
}
