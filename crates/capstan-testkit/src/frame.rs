//! Frames as a client writes them (masked, with whatever header bits a
//! test wants, RSV1 included) and as a server sent them (split off the
//! stream whole, header, payload and bytes, nothing decoded or copied).

use bytes::{Bytes, BytesMut};
use capstan::ws::{FrameHeader, OpCode, encode_frame};

/// The mask key of the frames the raw client's `send_frame` writes.
pub const MASK: [u8; 4] = [1, 2, 3, 4];

/// A client frame: `opcode`, FIN and RSV1 as given (RSV2 and RSV3 clear),
/// `payload` masked with `mask`.
pub fn client_frame(
    opcode: OpCode,
    fin: bool,
    rsv1: bool,
    payload: &[u8],
    mask: [u8; 4],
) -> Vec<u8> {
    let header = FrameHeader { fin, rsv1, rsv23: false, opcode, mask: Some(mask), payload_len: 0 };
    encode_frame(header, payload)
}

/// A close frame's payload: `code` (big-endian), then `reason`.
pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut out = code.to_be_bytes().to_vec();
    out.extend_from_slice(reason);
    out
}

/// One frame a server sent, as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Its header.
    pub header: FrameHeader,
    /// Its payload (a server's is not masked): a part of `raw`.
    pub payload: Bytes,
    /// The whole frame, header and payload, as received.
    pub raw: Bytes,
}

impl Frame {
    /// Splits the first frame off `buf` once all of it is there (`Ok(None)`
    /// before), without copying it. Fails on a header no server may send:
    /// malformed, masked, or with RSV2 or RSV3 set (no extension defines
    /// them).
    pub fn split(buf: &mut BytesMut) -> Result<Option<Frame>, String> {
        let parsed = FrameHeader::parse(buf).map_err(|e| format!("bad frame header: {e}"))?;
        let Some((header, len)) = parsed else { return Ok(None) };
        if header.mask.is_some() {
            return Err("a masked server frame".into());
        }
        if header.rsv23 {
            return Err("RSV2 or RSV3 set on a server frame".into());
        }
        let total = len + header.payload_len as usize;
        if buf.len() < total {
            return Ok(None);
        }
        let raw = buf.split_to(total).freeze();
        Ok(Some(Frame { header, payload: raw.slice(len..), raw }))
    }

    /// The code of a close frame's payload, if it has one.
    pub fn close_code(&self) -> Option<u16> {
        (self.payload.len() >= 2).then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

#[cfg(test)]
mod tests {
    use capstan::Message;
    use capstan::ws::OutFrame;

    use super::*;

    #[test]
    fn client_frames_are_masked_and_carry_rsv1() {
        let frame = client_frame(OpCode::Text, false, true, b"abc", [1, 2, 3, 4]);
        assert_eq!(frame, [0x41, 0x83, 1, 2, 3, 4, b'a' ^ 1, b'b' ^ 2, b'c' ^ 3]);
        assert_eq!(close_payload(1000, b"ok"), [0x03, 0xe8, b'o', b'k']);
    }

    #[test]
    fn splits_whole_server_frames_only() {
        let bytes = OutFrame::message(Message::text("hello")).to_bytes();
        let mut buf = BytesMut::from(&bytes[..4]);
        assert_eq!(Frame::split(&mut buf), Ok(None));
        buf.extend_from_slice(&bytes[4..]);
        buf.extend_from_slice(&[0x88, 2, 0x03, 0xe9]);
        let text = Frame::split(&mut buf).unwrap().unwrap();
        assert_eq!((text.header.opcode, &text.payload[..]), (OpCode::Text, &b"hello"[..]));
        assert_eq!(text.raw, bytes);
        assert_eq!(Frame::split(&mut buf).unwrap().unwrap().close_code(), Some(1001));
        assert!(buf.is_empty());
        let mut masked = BytesMut::from(&client_frame(OpCode::Text, true, false, b"x", MASK)[..]);
        assert!(Frame::split(&mut masked).is_err());
    }
}
