//! Counting a server's frames in a byte stream, as a load generator does:
//! headers parsed, payloads skipped but for their first [`PREFIX_LEN`]
//! bytes (where a timestamp may be), nothing copied, allocated or
//! decompressed.

use capstan::ProtocolError;
use capstan::ws::FrameHeader;
use capstan::ws::MAX_HEADER_LEN;

/// Payload bytes kept from the front of each frame.
pub const PREFIX_LEN: usize = 32;

/// A frame whose last byte has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    /// Its header.
    pub header: FrameHeader,
    /// Header and payload bytes.
    pub wire_len: u64,
    prefix: [u8; PREFIX_LEN],
    prefix_len: usize,
}

impl Counted {
    /// The first payload bytes (all of them, up to [`PREFIX_LEN`]), as sent
    /// (the server's frames are not masked).
    pub fn prefix(&self) -> &[u8] {
        &self.prefix[..self.prefix_len]
    }
}

/// Splits a byte stream into frames, a piece at a time.
#[derive(Debug, Default)]
pub struct FrameCounter {
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    current: Option<Counted>,
    remaining: u64,
}

impl FrameCounter {
    /// Takes the next bytes of the stream; calls `on_frame` for each frame
    /// that ends in them.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        mut on_frame: impl FnMut(Counted),
    ) -> Result<(), ProtocolError> {
        loop {
            if let Some(frame) = &mut self.current {
                let keep = (frame.header.payload_len.min(PREFIX_LEN as u64) as usize)
                    .saturating_sub(frame.prefix_len)
                    .min(data.len());
                frame.prefix[frame.prefix_len..frame.prefix_len + keep]
                    .copy_from_slice(&data[..keep]);
                frame.prefix_len += keep;
                let take = self.remaining.min(data.len() as u64);
                self.remaining -= take;
                data = &data[take as usize..];
                if self.remaining > 0 {
                    return Ok(());
                }
                on_frame(self.current.take().expect("a frame in progress"));
            }
            if data.is_empty() {
                return Ok(());
            }
            let before = self.head_len;
            let copy = (MAX_HEADER_LEN - before).min(data.len());
            self.head[before..before + copy].copy_from_slice(&data[..copy]);
            self.head_len += copy;
            match FrameHeader::parse(&self.head[..self.head_len])? {
                // Too short: every byte was kept in `head`.
                None => data = &data[copy..],
                Some((header, used)) => {
                    data = &data[used - before..];
                    self.head_len = 0;
                    self.current = Some(Counted {
                        header,
                        wire_len: used as u64 + header.payload_len,
                        prefix: [0; PREFIX_LEN],
                        prefix_len: 0,
                    });
                    self.remaining = header.payload_len;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use capstan::Message;
    use capstan::ws::{OpCode, OutFrame};

    use super::*;

    fn stream() -> Vec<u8> {
        let mut bytes = Vec::new();
        for len in [0, 5, 125, 126, 300, 70_000] {
            bytes.extend_from_slice(&OutFrame::message(Message::binary(vec![7u8; len])).to_bytes());
        }
        bytes.extend_from_slice(&OutFrame::new(OpCode::Ping, Default::default()).to_bytes());
        bytes
    }

    fn count(pieces: usize) -> Vec<(OpCode, u64)> {
        let bytes = stream();
        let mut counter = FrameCounter::default();
        let mut frames = Vec::new();
        for piece in bytes.chunks(pieces) {
            counter.feed(piece, |f| frames.push((f.header.opcode, f.wire_len))).unwrap();
        }
        frames
    }

    #[test]
    fn keeps_the_front_of_each_payload() {
        let texts = ["", "short", "a payload longer than the thirty-two bytes kept"];
        let mut bytes = Vec::new();
        for text in texts {
            bytes.extend_from_slice(&OutFrame::message(Message::text(text)).to_bytes());
        }
        for pieces in [1, 3, 7, 1000] {
            let mut counter = FrameCounter::default();
            let mut prefixes = Vec::new();
            for piece in bytes.chunks(pieces) {
                counter.feed(piece, |f| prefixes.push(f.prefix().to_vec())).unwrap();
            }
            let expected: Vec<Vec<u8>> =
                texts.iter().map(|t| t.as_bytes()[..t.len().min(PREFIX_LEN)].to_vec()).collect();
            assert_eq!(prefixes, expected, "pieces of {pieces}");
        }
    }

    #[test]
    fn counts_whole_frames_however_the_bytes_arrive() {
        let expected = vec![
            (OpCode::Binary, 2),
            (OpCode::Binary, 7),
            (OpCode::Binary, 127),
            (OpCode::Binary, 130),
            (OpCode::Binary, 304),
            (OpCode::Binary, 70_010),
            (OpCode::Ping, 2),
        ];
        for pieces in [1, 2, 3, 13, 14, 1000, 1 << 20] {
            assert_eq!(count(pieces), expected, "pieces of {pieces}");
        }
    }
}
