//! Violations of RFC 6455, one variant per rule, each mapped to its close code.

use std::fmt;

use super::close::CloseCode;

/// A rule of RFC 6455 that the peer broke. Each variant names the rule; the
/// connection is failed with [`ProtocolError::close_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// §5.1: a client must mask every frame it sends.
    UnmaskedClientFrame,
    /// §5.1: a server must not mask the frames it sends (seen by clients).
    MaskedServerFrame,
    /// §5.2: RSV1–3 must be 0 unless an extension gives them a meaning.
    ReservedBitsSet,
    /// §5.2: opcodes 0x3–0x7 and 0xB–0xF are reserved.
    ReservedOpcode(u8),
    /// §5.2: the payload length must use the minimal number of bytes.
    NonMinimalLength,
    /// §5.2: the most significant bit of a 64-bit length must be 0.
    LengthOverflow,
    /// §5.5: a control frame carries at most 125 bytes of payload.
    ControlFrameTooLong,
    /// §5.5: a control frame must not be fragmented.
    FragmentedControlFrame,
    /// §5.4: a continuation frame needs a message in progress.
    ContinuationWithoutStart,
    /// §5.4: a new data frame cannot start while a message is in progress.
    DataFrameInsideFragmentedMessage,
    /// §5.5.1: a close frame's body is empty or at least the 2-byte code.
    CloseFrameOneByte,
    /// §7.4: the close code is not one an endpoint may send.
    InvalidCloseCode(u16),
    /// §5.5.1: the reason of a close frame must be UTF-8.
    InvalidCloseReason,
    /// §8.1: a text message must be valid UTF-8.
    InvalidUtf8,
    /// §10.4: a frame larger than the configured maximum.
    FrameTooLarge {
        /// The size the frame header announced.
        size: u64,
        /// The configured maximum.
        max: usize,
    },
    /// §10.4: a message larger than the configured maximum.
    MessageTooLarge {
        /// The size reached so far.
        size: u64,
        /// The configured maximum.
        max: usize,
    },
    /// §5.5: a data frame received after the peer's close frame.
    FrameAfterClose,
    /// RFC 7692 §8: a compressed message that does not decompress.
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code RFC 6455 §7.4.1 prescribes for this violation.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 | Self::InvalidCloseReason | Self::InvalidCompressedData => {
                CloseCode::INVALID_PAYLOAD
            }
            Self::FrameTooLarge { .. } | Self::MessageTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnmaskedClientFrame => f.write_str("client frame is not masked"),
            Self::MaskedServerFrame => f.write_str("server frame is masked"),
            Self::ReservedBitsSet => f.write_str("reserved bits set without an extension"),
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::NonMinimalLength => f.write_str("payload length not minimally encoded"),
            Self::LengthOverflow => f.write_str("64-bit payload length has its top bit set"),
            Self::ControlFrameTooLong => f.write_str("control frame payload over 125 bytes"),
            Self::FragmentedControlFrame => f.write_str("fragmented control frame"),
            Self::ContinuationWithoutStart => f.write_str("continuation frame without a message"),
            Self::DataFrameInsideFragmentedMessage => {
                f.write_str("new data frame inside a fragmented message")
            }
            Self::CloseFrameOneByte => f.write_str("close frame with a 1-byte body"),
            Self::InvalidCloseCode(code) => write!(f, "invalid close code {code}"),
            Self::InvalidCloseReason => f.write_str("close reason is not UTF-8"),
            Self::InvalidUtf8 => f.write_str("text message is not UTF-8"),
            Self::FrameTooLarge { size, max } => write!(f, "frame of {size} bytes over {max}"),
            Self::MessageTooLarge { size, max } => {
                write!(f, "message of {size}+ bytes over {max}")
            }
            Self::FrameAfterClose => f.write_str("data frame after the close frame"),
            Self::InvalidCompressedData => f.write_str("compressed message does not decompress"),
        }
    }
}

impl std::error::Error for ProtocolError {}
