//! The least frame handling the loadgen protocol needs: a client frame's
//! header read (masked, lengths 7/16/64 bits), its payload unmasked in
//! place, and a server frame's header written. Nothing is validated that
//! the protocol does not need: no RSV check, no UTF-8 check, no control
//! frame rules — the floor is a measure, not a WebSocket implementation.

/// The largest payload taken: the loadgen protocol's 64 MiB.
pub const MAX_PAYLOAD: u64 = crate::MAX_MESSAGE_SIZE as u64;

/// Opcodes the floor acts on.
pub mod opcode {
    /// A continuation frame.
    pub const CONTINUATION: u8 = 0x0;
    /// A text frame.
    pub const TEXT: u8 = 0x1;
    /// A binary frame.
    pub const BINARY: u8 = 0x2;
    /// A close frame.
    pub const CLOSE: u8 = 0x8;
    /// A ping.
    pub const PING: u8 = 0x9;
    /// A pong.
    pub const PONG: u8 = 0xA;
}

/// The head of a client frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The FIN bit.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// Bytes of header, mask key included.
    pub header_len: usize,
    /// Bytes of payload.
    pub payload_len: usize,
    /// The mask key.
    pub mask: [u8; 4],
}

/// What the start of a buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Not yet a whole header.
    Incomplete,
    /// A header (the payload may not all be there yet).
    Head(Head),
    /// A frame the floor refuses: unmasked, or larger than [`MAX_PAYLOAD`].
    Refused,
}

/// Reads the header at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
    let [first, second, ..] = *buf else { return Parsed::Incomplete };
    if second & 0x80 == 0 {
        return Parsed::Refused;
    }
    let (len, at) = match second & 0x7F {
        126 if buf.len() >= 4 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => (u64::from_be_bytes(buf[2..10].try_into().unwrap()), 10),
        126 | 127 => return Parsed::Incomplete,
        short => (u64::from(short), 2),
    };
    if len > MAX_PAYLOAD {
        return Parsed::Refused;
    }
    let Some(mask) = buf.get(at..at + 4) else { return Parsed::Incomplete };
    Parsed::Head(Head {
        fin: first & 0x80 != 0,
        opcode: first & 0x0F,
        header_len: at + 4,
        payload_len: len as usize,
        mask: mask.try_into().unwrap(),
    })
}

/// Unmasks `payload` in place, eight bytes at a time.
pub fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes((&*chunk).try_into().unwrap()) ^ wide;
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= key;
    }
}

/// Appends a server frame (unmasked) of `payload` to `out`.
pub fn write(out: &mut Vec<u8>, fin: bool, opcode: u8, payload: &[u8]) {
    out.push(if fin { 0x80 } else { 0 } | opcode);
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_frame(opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, true, opcode, payload);
        out[1] |= 0x80;
        let at = out.len() - payload.len();
        out.splice(at..at, mask);
        let at = at + 4;
        unmask(&mut out[at..], mask);
        out
    }

    #[test]
    fn reads_what_a_client_writes_at_every_length_encoding() {
        for len in [0, 5, 125, 126, 300, 0xFFFF, 0x10000] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut frame = client_frame(opcode::BINARY, &payload, [1, 2, 3, 250]);
            let Parsed::Head(head) = parse(&frame) else { panic!("{len}") };
            assert_eq!((head.fin, head.opcode, head.payload_len), (true, opcode::BINARY, len));
            assert_eq!(head.header_len + len, frame.len());
            let body = &mut frame[head.header_len..];
            unmask(body, head.mask);
            assert_eq!(body, &payload[..], "{len}");
            for cut in [0, 1, head.header_len - 1] {
                assert_eq!(parse(&frame[..cut]), Parsed::Incomplete, "{len} cut at {cut}");
            }
        }
    }

    #[test]
    fn refuses_unmasked_and_oversized_frames() {
        assert_eq!(parse(&[0x81, 0x05, b'h']), Parsed::Refused);
        let mut huge = vec![0x82, 0xFF];
        huge.extend_from_slice(&(MAX_PAYLOAD + 1).to_be_bytes());
        assert_eq!(parse(&huge), Parsed::Refused);
    }

    #[test]
    fn unmasking_by_words_is_the_byte_rule() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let original: Vec<u8> = (0..37).map(|i| (i * 7) as u8).collect();
        let mut fast = original.clone();
        unmask(&mut fast, mask);
        let slow: Vec<u8> = original.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
        assert_eq!(fast, slow);
    }
}
