//! What can stop a soak run, each with what it was doing.

use std::fmt;
use std::time::Duration;

/// Why a soak run (or one of its workers) failed before it could report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoakError {
    /// A worker's command line is wrong.
    Plan(String),
    /// A connection could not be opened, or ended during its setup.
    Connect(String),
    /// The server refused a request of a connection's setup (`add_user`,
    /// `join`, `leave`), with this error code.
    Refused {
        /// The request.
        request: String,
        /// The server's code.
        code: String,
    },
    /// Opening the connections failed (the first failure, with its
    /// connection's number).
    Open(String),
    /// A bounded wait ran out.
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
    },
    /// A worker process failed, ended early or said something unreadable.
    Worker {
        /// Which worker.
        index: usize,
        /// What happened.
        why: String,
    },
    /// Reading the server's /proc entries failed.
    Proc(String),
    /// The run could not be set up (runtime, processes, files).
    Setup(String),
}

impl fmt::Display for SoakError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plan(why) => write!(f, "worker plan: {why}"),
            Self::Connect(why) => write!(f, "connect: {why}"),
            Self::Refused { request, code } => write!(f, "{request} refused: {code}"),
            Self::Open(why) => write!(f, "opening connections: {why}"),
            Self::Timeout { what, after } => {
                write!(f, "timed out after {} s while {what}", after.as_secs())
            }
            Self::Worker { index, why } => write!(f, "worker {index}: {why}"),
            Self::Proc(why) => write!(f, "the server's /proc: {why}"),
            Self::Setup(why) => write!(f, "setup: {why}"),
        }
    }
}

impl std::error::Error for SoakError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_it_was_doing() {
        let e = SoakError::Refused { request: "join".into(), code: "room_limit".into() };
        assert_eq!(e.to_string(), "join refused: room_limit");
        let e = SoakError::Timeout { what: "connecting".into(), after: Duration::from_secs(300) };
        assert_eq!(e.to_string(), "timed out after 300 s while connecting");
    }
}
