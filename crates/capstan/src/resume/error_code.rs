//! The codes of the `error` control and the close codes that go with them
//! (docs/SESSIONS.md §6).

use std::fmt;

use crate::ws::CloseCode;

/// Why the server ends a session-mode transport (or the session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// A rule of the protocol was broken (4400).
    ProtocolViolation,
    /// No such session: never made, expired, ended, or someone else's (4404).
    UnknownSession,
    /// A newer transport resumed the session (4409; close only).
    Replaced,
    /// The client resumes from before the oldest message still kept (4410).
    MessagesLost,
    /// The client says it received more than the server sent (4416).
    RxBeyondSent,
    /// `hello` names a version the server does not speak (4426).
    VersionNotSupported,
    /// The client acknowledged too little: the kept messages passed their
    /// bound (4429).
    RetentionFull,
}

impl ErrorCode {
    /// Every code, in the order of the table.
    pub const ALL: [ErrorCode; 7] = [
        Self::ProtocolViolation,
        Self::UnknownSession,
        Self::Replaced,
        Self::MessagesLost,
        Self::RxBeyondSent,
        Self::VersionNotSupported,
        Self::RetentionFull,
    ];

    /// The code as `error.code` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProtocolViolation => "protocol_violation",
            Self::UnknownSession => "unknown_session",
            Self::Replaced => "replaced",
            Self::MessagesLost => "messages_lost",
            Self::RxBeyondSent => "rx_beyond_sent",
            Self::VersionNotSupported => "version_not_supported",
            Self::RetentionFull => "retention_full",
        }
    }

    /// The code named `text`, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == text)
    }

    /// The WebSocket close code that follows the `error` control.
    pub fn close_code(self) -> CloseCode {
        CloseCode(match self {
            Self::ProtocolViolation => 4400,
            Self::UnknownSession => 4404,
            Self::Replaced => 4409,
            Self::MessagesLost => 4410,
            Self::RxBeyondSent => 4416,
            Self::VersionNotSupported => 4426,
            Self::RetentionFull => 4429,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn each_code_reads_back_and_closes_with_its_own_44xx() {
        let mut closes: Vec<u16> = ErrorCode::ALL.iter().map(|c| c.close_code().0).collect();
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!((4400..4500).contains(&code.close_code().0), "{code}");
            assert!(code.close_code().is_sendable());
        }
        closes.dedup();
        assert_eq!(closes.len(), ErrorCode::ALL.len());
        assert_eq!(ErrorCode::parse("Unknown_Session"), None);
    }
}
