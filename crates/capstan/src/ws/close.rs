//! Close codes (RFC 6455 §7.4) and the body of a close frame (§5.5.1).

use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::error::ProtocolError;

/// A WebSocket close status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: normal closure.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page left).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present (never sent on the wire).
    pub const NO_STATUS: Self = Self(1005);
    /// 1006: closed without a close frame (never sent on the wire).
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: payload data inconsistent with the message type (bad UTF-8).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a policy was violated.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not accept.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting.
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (the server is overloaded).
    pub const TRY_AGAIN_LATER: Self = Self(1013);

    /// Whether an endpoint may put this code in a close frame (§7.4.1, §7.4.2
    /// and the IANA registry): 1000–1003, 1007–1014 and 3000–4999.
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

/// The body of a close frame: a code and a UTF-8 reason (at most 123 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, for humans.
    pub reason: String,
}

impl CloseFrame {
    /// The longest reason that fits a control frame next to the code.
    pub const MAX_REASON: usize = 123;

    /// A close body; a longer reason is cut at a character boundary.
    pub fn new(code: CloseCode, reason: &str) -> Self {
        let mut end = reason.len().min(Self::MAX_REASON);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        Self { code, reason: reason[..end].to_owned() }
    }

    /// Parses a received close body. `Ok(None)` is the empty body (no code).
    pub fn parse(body: &[u8]) -> Result<Option<Self>, ProtocolError> {
        match body.len() {
            0 => Ok(None),
            1 => Err(ProtocolError::CloseFrameOneByte),
            _ => {
                let code = CloseCode(u16::from_be_bytes([body[0], body[1]]));
                if !code.is_sendable() {
                    return Err(ProtocolError::InvalidCloseCode(code.0));
                }
                let reason = simdutf8::basic::from_utf8(&body[2..])
                    .map_err(|_| ProtocolError::InvalidCloseReason)?;
                Ok(Some(Self { code, reason: reason.to_owned() }))
            }
        }
    }

    /// The wire form of this body.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(2 + self.reason.len());
        out.put_u16(self.code.0);
        out.put_slice(self.reason.as_bytes());
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes_follow_the_registry() {
        for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014] {
            assert!(CloseCode(code).is_sendable(), "{code}");
        }
        for code in [3000, 3999, 4000, 4999] {
            assert!(CloseCode(code).is_sendable(), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assert!(!CloseCode(code).is_sendable(), "{code}");
        }
    }

    #[test]
    fn empty_body_has_no_code() {
        assert_eq!(CloseFrame::parse(&[]), Ok(None));
    }

    #[test]
    fn one_byte_body_is_a_protocol_error() {
        assert_eq!(CloseFrame::parse(&[3]), Err(ProtocolError::CloseFrameOneByte));
    }

    #[test]
    fn invalid_code_is_rejected_with_1002() {
        let err = CloseFrame::parse(&1005u16.to_be_bytes()).unwrap_err();
        assert_eq!(err, ProtocolError::InvalidCloseCode(1005));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }

    #[test]
    fn invalid_reason_is_rejected_with_1007() {
        let err = CloseFrame::parse(&[0x03, 0xe8, 0xff, 0xfe]).unwrap_err();
        assert_eq!(err, ProtocolError::InvalidCloseReason);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn round_trips_code_and_reason() {
        let frame = CloseFrame::new(CloseCode::GOING_AWAY, "bye ✓");
        assert_eq!(CloseFrame::parse(&frame.to_bytes()), Ok(Some(frame)));
    }

    #[test]
    fn long_reason_is_cut_on_a_char_boundary() {
        let reason = "é".repeat(100);
        let frame = CloseFrame::new(CloseCode::NORMAL, &reason);
        assert!(frame.reason.len() <= CloseFrame::MAX_REASON);
        assert_eq!(frame.reason.len(), 122);
    }
}
