//! Frame opcodes (RFC 6455 §5.2).

use super::error::ProtocolError;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    /// 0x0: the next fragment of a message.
    Continuation,
    /// 0x1: the first frame of a text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// Decodes the low nibble of the first header byte.
    pub fn from_nibble(nibble: u8) -> Result<Self, ProtocolError> {
        match nibble {
            0x0 => Ok(Self::Continuation),
            0x1 => Ok(Self::Text),
            0x2 => Ok(Self::Binary),
            0x8 => Ok(Self::Close),
            0x9 => Ok(Self::Ping),
            0xA => Ok(Self::Pong),
            other => Err(ProtocolError::ReservedOpcode(other)),
        }
    }

    /// The wire value.
    pub fn nibble(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Close, ping and pong are control frames.
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_opcode_is_rejected() {
        for nibble in (0x3..=0x7).chain(0xB..=0xF) {
            assert_eq!(OpCode::from_nibble(nibble), Err(ProtocolError::ReservedOpcode(nibble)));
        }
    }

    #[test]
    fn known_opcodes_round_trip() {
        for nibble in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
            assert_eq!(OpCode::from_nibble(nibble).unwrap().nibble(), nibble);
        }
    }
}
