//! Why a subscribe or publish hook said no, with the code and message an
//! application sends its client in its own protocol.

use std::fmt;

use super::error::HookError;

/// A hook's refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookDenied {
    /// The backend refused with an application error: send `code` and
    /// `message` to the client; the connection stays.
    Refused {
        /// The backend's code.
        code: u32,
        /// The backend's message.
        message: String,
    },
    /// The backend asked for the connection to be closed, with this code
    /// (a WebSocket close code, 4000–4999 by Centrifugo's convention) and
    /// reason.
    Disconnect {
        /// The close code.
        code: u32,
        /// The close reason.
        reason: String,
    },
    /// The backend failed and the hook's policy is
    /// [`FailurePolicy::Deny`](super::FailurePolicy::Deny): the client is
    /// told 100, "internal server error"; the cause is for logs.
    Unavailable(HookError),
}

impl HookDenied {
    /// Centrifugo's code for a server that failed.
    pub const INTERNAL: u32 = 100;

    /// The code for the client.
    pub fn code(&self) -> u32 {
        match self {
            Self::Refused { code, .. } | Self::Disconnect { code, .. } => *code,
            Self::Unavailable(_) => Self::INTERNAL,
        }
    }

    /// The message (or close reason) for the client; a backend's failure
    /// is not described to it.
    pub fn message(&self) -> &str {
        match self {
            Self::Refused { message, .. } => message,
            Self::Disconnect { reason, .. } => reason,
            Self::Unavailable(_) => "internal server error",
        }
    }

    /// Whether the connection is to be closed.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, Self::Disconnect { .. })
    }

    /// The WebSocket close code to close with: a disconnect's code when
    /// it is one an application may send (4000–4999), 4000 otherwise.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::Disconnect { code, .. } if (4000..5000).contains(code) => *code as u16,
            _ => 4000,
        }
    }
}

impl fmt::Display for HookDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused { code, message } => write!(f, "refused ({code}): {message}"),
            Self::Disconnect { code, reason } => write!(f, "disconnect ({code}): {reason}"),
            Self::Unavailable(cause) => write!(f, "unavailable: {cause}"),
        }
    }
}

impl std::error::Error for HookDenied {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_not_described_to_the_client() {
        let denied = HookDenied::Unavailable(HookError::StatusNotSuccess(500));
        assert_eq!((denied.code(), denied.message()), (100, "internal server error"));
        let refused = HookDenied::Refused { code: 1001, message: "no".into() };
        assert_eq!((refused.code(), refused.message()), (1001, "no"));
        assert!(!refused.is_disconnect());
        let disconnect = |code| HookDenied::Disconnect { code, reason: String::new() };
        assert!(disconnect(4000).is_disconnect());
        assert_eq!(disconnect(4501).close_code(), 4501);
        assert_eq!(disconnect(1000).close_code(), 4000, "not the backend's to send");
        assert_eq!(disconnect(70000).close_code(), 4000);
    }
}
