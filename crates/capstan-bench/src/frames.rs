//! Counting a server's frames in a byte stream: headers parsed, payloads
//! skipped, nothing decompressed or kept.

use capstan::ws::frame::MAX_HEADER_LEN;
use capstan::ws::{FrameHeader, ProtocolError};

/// A frame whose last byte has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// Its header.
    pub header: FrameHeader,
    /// Header and payload bytes.
    pub wire_len: u64,
}

/// Splits a byte stream into frames, a piece at a time.
#[derive(Debug, Default)]
pub struct FrameCounter {
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    current: Option<Frame>,
    remaining: u64,
}

impl FrameCounter {
    /// Takes the next bytes of the stream; calls `on_frame` for each frame
    /// that ends in them.
    pub fn feed(
        &mut self,
        mut data: &[u8],
        mut on_frame: impl FnMut(Frame),
    ) -> Result<(), ProtocolError> {
        loop {
            if let Some(frame) = self.current {
                let take = self.remaining.min(data.len() as u64);
                self.remaining -= take;
                data = &data[take as usize..];
                if self.remaining > 0 {
                    return Ok(());
                }
                self.current = None;
                on_frame(frame);
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
                    self.current =
                        Some(Frame { header, wire_len: used as u64 + header.payload_len });
                    self.remaining = header.payload_len;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use capstan::ws::{Message, OpCode, OutFrame};

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
