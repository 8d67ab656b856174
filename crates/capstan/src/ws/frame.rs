//! The frame header (RFC 6455 §5.2): parsing and encoding.

use bytes::BufMut;

use super::error::ProtocolError;
use super::opcode::OpCode;

/// The longest header: 2 bytes, 8 of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Last frame of the message.
    pub fin: bool,
    /// RSV1 (per-message compressed, with permessage-deflate).
    pub rsv1: bool,
    /// RSV2 and RSV3, which no extension we speak uses.
    pub rsv23: bool,
    /// What the frame carries.
    pub opcode: OpCode,
    /// The masking key, if masked.
    pub mask: Option<[u8; 4]>,
    /// Payload length in bytes.
    pub payload_len: u64,
}

impl FrameHeader {
    /// Parses a header from the front of `buf`. `Ok(None)`: not enough bytes
    /// yet. Otherwise the header and how many bytes it took.
    pub fn parse(buf: &[u8]) -> Result<Option<(Self, usize)>, ProtocolError> {
        if buf.len() < 2 {
            return Ok(None);
        }
        let (b0, b1) = (buf[0], buf[1]);
        let opcode = OpCode::from_nibble(b0 & 0x0f)?;
        let masked = b1 & 0x80 != 0;
        let (payload_len, mut pos) = match b1 & 0x7f {
            126 => {
                let Some(bytes) = buf.get(2..4) else {
                    return Ok(None);
                };
                let len = u16::from_be_bytes([bytes[0], bytes[1]]) as u64;
                if len < 126 {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (len, 4)
            }
            127 => {
                let Some(bytes) = buf.get(2..10) else {
                    return Ok(None);
                };
                let len = u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthOverflow);
                }
                if len <= u16::MAX as u64 {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (len, 10)
            }
            small => (small as u64, 2),
        };
        let mask = if masked {
            let Some(key) = buf.get(pos..pos + 4) else {
                return Ok(None);
            };
            pos += 4;
            Some(key.try_into().expect("4 bytes"))
        } else {
            None
        };
        let header = Self {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv23: b0 & 0x30 != 0,
            opcode,
            mask,
            payload_len,
        };
        Ok(Some((header, pos)))
    }

    /// Appends the wire form of this header to `out`.
    pub fn encode(&self, out: &mut impl BufMut) {
        let mut b0 = self.opcode.nibble();
        if self.fin {
            b0 |= 0x80;
        }
        if self.rsv1 {
            b0 |= 0x40;
        }
        if self.rsv23 {
            b0 |= 0x30;
        }
        out.put_u8(b0);
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        match self.payload_len {
            len @ 0..=125 => out.put_u8(mask_bit | len as u8),
            len @ 126..=0xffff => {
                out.put_u8(mask_bit | 126);
                out.put_u16(len as u16);
            }
            len => {
                out.put_u8(mask_bit | 127);
                out.put_u64(len);
            }
        }
        if let Some(key) = self.mask {
            out.put_slice(&key);
        }
    }

    /// How many bytes [`FrameHeader::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xffff => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader { fin: true, rsv1: false, rsv23: false, opcode, mask, payload_len: len }
    }

    #[test]
    fn encodes_and_parses_every_length_form() {
        for len in [0, 1, 125, 126, 127, 65535, 65536, 1 << 40] {
            for mask in [None, Some([9, 8, 7, 6])] {
                let h = header(OpCode::Binary, len, mask);
                let mut out = Vec::new();
                h.encode(&mut out);
                assert_eq!(out.len(), h.encoded_len());
                assert_eq!(FrameHeader::parse(&out), Ok(Some((h, out.len()))));
                for cut in 0..out.len() {
                    assert_eq!(FrameHeader::parse(&out[..cut]), Ok(None), "len {len} cut {cut}");
                }
            }
        }
    }

    #[test]
    fn rejects_non_minimal_16_bit_length() {
        let buf = [0x82, 0xfe, 0x00, 0x7d];
        assert_eq!(FrameHeader::parse(&buf), Err(ProtocolError::NonMinimalLength));
    }

    #[test]
    fn rejects_non_minimal_64_bit_length() {
        let mut buf = vec![0x82, 0xff];
        buf.extend_from_slice(&65535u64.to_be_bytes());
        assert_eq!(FrameHeader::parse(&buf), Err(ProtocolError::NonMinimalLength));
    }

    #[test]
    fn rejects_64_bit_length_with_top_bit() {
        let mut buf = vec![0x82, 0xff];
        buf.extend_from_slice(&(1u64 << 63).to_be_bytes());
        assert_eq!(FrameHeader::parse(&buf), Err(ProtocolError::LengthOverflow));
    }

    #[test]
    fn reads_reserved_bits() {
        let (h, _) = FrameHeader::parse(&[0xc1, 0x00]).unwrap().unwrap();
        assert!(h.rsv1 && !h.rsv23);
        let (h, _) = FrameHeader::parse(&[0xa1, 0x00]).unwrap().unwrap();
        assert!(!h.rsv1 && h.rsv23);
    }

    #[test]
    fn rejects_reserved_opcode() {
        assert_eq!(FrameHeader::parse(&[0x83, 0x00]), Err(ProtocolError::ReservedOpcode(3)));
    }
}
