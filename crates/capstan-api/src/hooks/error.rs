//! Why a hook's call got no usable answer from the backend: one variant
//! per rule the backend must keep.

use std::fmt;
use std::time::Duration;

/// A backend that did not keep a hook's rules. The hook's
/// [`FailurePolicy`](super::FailurePolicy) decides what follows; the
/// error itself is logged, never shown to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookError {
    /// The backend must accept the hook's connection: connecting failed
    /// (refused, no route, name not resolved).
    Unreachable(String),
    /// The backend must send a whole answer: the connection failed after
    /// it was made, before the answer was complete.
    NoAnswer(String),
    /// The backend must answer within the hook's timeout.
    TimedOut(Duration),
    /// The backend must answer with a 2xx status.
    StatusNotSuccess(u16),
    /// The answer must fit within the hook's size limit (bytes).
    AnswerTooLarge(usize),
    /// The answer must be JSON of the hook's shape: exactly one of
    /// `result`, `error` or `disconnect`, each with its fields.
    MalformedAnswer(String),
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(why) => write!(f, "backend unreachable: {why}"),
            Self::NoAnswer(why) => write!(f, "backend gave no whole answer: {why}"),
            Self::TimedOut(after) => write!(f, "backend did not answer within {after:?}"),
            Self::StatusNotSuccess(status) => write!(f, "backend answered status {status}"),
            Self::AnswerTooLarge(limit) => write!(f, "backend's answer is over {limit} bytes"),
            Self::MalformedAnswer(why) => write!(f, "backend's answer is malformed: {why}"),
        }
    }
}

impl std::error::Error for HookError {}
