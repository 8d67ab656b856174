//! Frames out: a header kept inline beside a shared payload, ready for a
//! vectored write.

use bytes::Bytes;

use super::close::CloseFrame;
use super::frame::FrameHeader;
use super::mask::apply_mask;
use super::message::Message;
use super::opcode::OpCode;

/// The longest unmasked header a server writes.
const MAX_SERVER_HEADER: usize = 10;

/// Room inline for the header and a one-byte payload prefix (a session-mode
/// data message's type byte), so that the payload itself stays shared.
const MAX_HEAD: usize = MAX_SERVER_HEADER + 1;

/// One outbound frame: its header inline (no allocation) and its payload as
/// a shared [`Bytes`]. A prepared frame carries header and payload together
/// in `payload` and an empty inline header.
#[derive(Debug, Clone)]
pub struct OutFrame {
    head: [u8; MAX_HEAD],
    head_len: u8,
    /// To be compressed by the connection's own compressor before writing
    /// (permessage-deflate with context takeover).
    compress_later: bool,
    payload: Bytes,
}

impl OutFrame {
    /// An unmasked (server) frame with `fin` set.
    pub fn new(opcode: OpCode, payload: Bytes) -> Self {
        Self::build(opcode, false, payload)
    }

    /// A frame whose payload is a compressed message (RSV1 set, RFC 7692).
    pub fn compressed(opcode: OpCode, payload: Bytes) -> Self {
        Self::build(opcode, true, payload)
    }

    /// An unmasked frame whose payload is `prefix` then `payload`: the
    /// prefix rides in the inline head, the payload is not copied.
    pub fn prefixed(opcode: OpCode, prefix: u8, payload: Bytes) -> Self {
        let mut frame = Self::framed(opcode, false, 1 + payload.len(), payload);
        frame.head[frame.head_len as usize] = prefix;
        frame.head_len += 1;
        frame
    }

    fn build(opcode: OpCode, rsv1: bool, payload: Bytes) -> Self {
        Self::framed(opcode, rsv1, payload.len(), payload)
    }

    fn framed(opcode: OpCode, rsv1: bool, payload_len: usize, payload: Bytes) -> Self {
        let header = FrameHeader {
            fin: true,
            rsv1,
            rsv23: false,
            opcode,
            mask: None,
            payload_len: payload_len as u64,
        };
        let mut head = [0u8; MAX_HEAD];
        let head_len = header.encoded_len();
        header.encode(&mut &mut head[..]);
        Self { head, head_len: head_len as u8, compress_later: false, payload }
    }

    /// Marks a data frame to be compressed by the connection's compressor.
    pub fn compress_later(mut self) -> Self {
        self.compress_later = true;
        self
    }

    /// Whether the frame waits for the connection's compressor; if so, its
    /// opcode and payload.
    pub fn pending_compression(&self) -> Option<(OpCode, &Bytes)> {
        if !self.compress_later {
            return None;
        }
        let opcode = OpCode::from_nibble(self.head[0] & 0x0f).ok()?;
        Some((opcode, &self.payload))
    }

    /// The frame for a data message.
    pub fn message(message: Message) -> Self {
        match message {
            Message::Text(text) => Self::new(OpCode::Text, text.into_bytes()),
            Message::Binary(data) => Self::new(OpCode::Binary, data),
        }
    }

    /// A close frame; `None` sends the empty body.
    pub fn close(frame: Option<&CloseFrame>) -> Self {
        Self::new(OpCode::Close, frame.map(CloseFrame::to_bytes).unwrap_or_default())
    }

    /// Bytes that are already a whole encoded frame (a prepared frame).
    pub fn encoded(frame: Bytes) -> Self {
        Self { head: [0; MAX_HEAD], head_len: 0, compress_later: false, payload: frame }
    }

    /// Whether this is a data frame (text, binary or continuation).
    pub fn is_data(&self) -> bool {
        let first = if self.head_len > 0 {
            self.head[0]
        } else {
            self.payload.first().copied().unwrap_or(0)
        };
        first & 0x0f < 0x8
    }

    /// The header bytes (empty for a prepared frame).
    pub fn head(&self) -> &[u8] {
        &self.head[..self.head_len as usize]
    }

    /// The payload bytes (the whole frame, for a prepared frame).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// Bytes on the wire.
    pub fn wire_len(&self) -> usize {
        self.head_len as usize + self.payload.len()
    }

    /// The whole frame in one buffer (a prepared frame, to share).
    pub fn to_bytes(&self) -> Bytes {
        if self.head_len == 0 {
            return self.payload.clone();
        }
        let mut out = Vec::with_capacity(self.wire_len());
        out.extend_from_slice(self.head());
        out.extend_from_slice(&self.payload);
        Bytes::from(out)
    }
}

/// Encodes a masked (client) frame into one buffer: what a client sends.
/// Used by load generators and tests that play the client.
pub fn encode_client_frame(opcode: OpCode, fin: bool, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let header = FrameHeader {
        fin,
        rsv1: false,
        rsv23: false,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    encode_frame(header, payload)
}

/// Encodes any frame: `header` as given (its length is taken from
/// `payload`), the payload masked when the header has a key.
pub fn encode_frame(mut header: FrameHeader, payload: &[u8]) -> Vec<u8> {
    header.payload_len = payload.len() as u64;
    let mut out = Vec::with_capacity(header.encoded_len() + payload.len());
    header.encode(&mut out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = header.mask {
        apply_mask(&mut out[start..], key, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_text_frame_has_a_two_byte_header() {
        let frame = OutFrame::message(Message::text("Hello"));
        assert_eq!(frame.head(), &[0x81, 0x05]);
        assert_eq!(&frame.to_bytes()[..], b"\x81\x05Hello");
    }

    #[test]
    fn large_binary_frame_uses_the_64_bit_length() {
        let frame = OutFrame::message(Message::binary(vec![0u8; 70_000]));
        assert_eq!(frame.head()[..2], [0x82, 127]);
        assert_eq!(frame.wire_len(), 10 + 70_000);
    }

    #[test]
    fn a_prefixed_frame_counts_its_prefix_and_shares_its_payload() {
        for len in [0usize, 124, 125, 126, 65_535, 65_536] {
            let payload = Bytes::from(vec![b'x'; len]);
            let frame = OutFrame::prefixed(OpCode::Text, b'm', payload.clone());
            assert_eq!(frame.payload().as_ptr(), payload.as_ptr(), "not copied");
            assert_eq!(frame.head().last(), Some(&b'm'));
            let mut expected = vec![b'm'];
            expected.extend_from_slice(&payload);
            assert_eq!(frame.to_bytes(), OutFrame::new(OpCode::Text, expected.into()).to_bytes());
            assert!(frame.is_data());
        }
    }

    #[test]
    fn prepared_frame_is_shared_not_copied() {
        let bytes = OutFrame::message(Message::text("hi")).to_bytes();
        let prepared = OutFrame::encoded(bytes.clone());
        assert!(prepared.head().is_empty());
        assert_eq!(prepared.payload().as_ptr(), bytes.as_ptr());
    }

    #[test]
    fn compressed_frame_sets_rsv1() {
        let frame = OutFrame::compressed(OpCode::Text, Bytes::from_static(&[0xf2, 0x48]));
        assert_eq!(frame.head(), &[0xc1, 0x02]);
        assert!(frame.pending_compression().is_none());
        let later = OutFrame::message(Message::text("x")).compress_later();
        assert_eq!(later.pending_compression().map(|(op, _)| op), Some(OpCode::Text));
    }

    #[test]
    fn client_frame_is_masked() {
        let frame = encode_client_frame(OpCode::Text, true, b"Hello", [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(frame, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
