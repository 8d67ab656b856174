//! Decompressing incoming messages, with the size limit applied to the
//! output as it grows: a small message cannot expand past the limit.

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};

use super::TRAILER;

/// Why a compressed message could not be decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InflateError {
    /// The decompressed message would pass the size limit (1009).
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// Not valid deflate data (1007).
    Corrupt,
}

/// A raw-deflate decompressor with the largest window, so it reads
/// whatever window the peer compressed with.
pub struct Inflater {
    decompress: Decompress,
    stream_ended: bool,
}

impl Default for Inflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Inflater {
    /// A decompressor with an empty window.
    pub fn new() -> Self {
        Self { decompress: Decompress::new_with_window_bits(false, 15), stream_ended: false }
    }

    /// Decompresses `input` onto the end of `out`, failing as soon as `out`
    /// would hold more than `max` bytes.
    pub fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), InflateError> {
        loop {
            if out.len() == out.capacity() {
                let room = max.saturating_sub(out.len()).saturating_add(1);
                let step = out.capacity().max(input.len().saturating_mul(2)).clamp(4096, 1 << 20);
                // Exactly: `reserve` may double the capacity, and the output
                // fills all of it before the limit is checked.
                out.reserve_exact(step.min(room));
            }
            if input.is_empty() && self.stream_ended {
                return Ok(());
            }
            let before = self.decompress.total_in();
            let status = self
                .decompress
                .decompress_vec(input, out, FlushDecompress::Sync)
                .map_err(|_| InflateError::Corrupt)?;
            input = &input[(self.decompress.total_in() - before) as usize..];
            if out.len() > max {
                return Err(InflateError::TooLarge { max });
            }
            if status == Status::StreamEnd {
                // A final block: whatever follows it is not deflate data.
                self.stream_ended = true;
                return if input.is_empty() { Ok(()) } else { Err(InflateError::Corrupt) };
            }
            // Done once all input is taken and output room was left over.
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(());
            }
            if status == Status::BufError && out.len() < out.capacity() {
                return Err(InflateError::Corrupt);
            }
        }
    }

    /// Ends a message: feeds the stripped trailer back (RFC 7692 §7.2.2).
    /// With `reset`, or after a final block, the next message starts with
    /// an empty window.
    pub fn finish_message(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
        reset: bool,
    ) -> Result<(), InflateError> {
        let result = if self.stream_ended { Ok(()) } else { self.inflate(&TRAILER, out, max) };
        if reset || self.stream_ended {
            self.decompress.reset(false);
            self.stream_ended = false;
        }
        result
    }
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater").field("total_in", &self.decompress.total_in()).finish()
    }
}

thread_local! {
    /// Spare decompressors of this thread, lent for one message at a time
    /// to connections without context takeover.
    static SPARE: RefCell<Vec<Inflater>> = const { RefCell::new(Vec::new()) };
}

/// Spare decompressors kept per thread.
const SPARES: usize = 8;

impl Inflater {
    /// A decompressor with an empty window, from this thread's spares.
    pub fn lend() -> Self {
        SPARE.with(|spare| spare.borrow_mut().pop()).unwrap_or_default()
    }

    /// Gives a decompressor back (reset) for another message.
    pub fn give_back(mut self) {
        self.decompress.reset(false);
        self.stream_ended = false;
        SPARE.with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARES {
                spare.push(self);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::compress::compress_shared;
    use super::*;

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let zeros = vec![0u8; 8 << 20];
        let bomb = compress_shared(&zeros, 9, 15);
        assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
        let mut out = Vec::new();
        let err = Inflater::new().inflate(&bomb, &mut out, 1 << 20).unwrap_err();
        assert_eq!(err, InflateError::TooLarge { max: 1 << 20 });
        assert!(out.capacity() <= (1 << 20) + 1 + (1 << 20), "capacity {}", out.capacity());
    }

    #[test]
    fn exactly_the_limit_is_accepted() {
        let data = vec![7u8; 10_000];
        let compressed = compress_shared(&data, 6, 15);
        let mut out = Vec::new();
        let mut inflater = Inflater::new();
        inflater.inflate(&compressed, &mut out, 10_000).unwrap();
        inflater.finish_message(&mut out, 10_000, true).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn garbage_is_corrupt() {
        let mut out = Vec::new();
        let err =
            Inflater::new().inflate(&[0xff, 0xff, 0xff, 0xff, 0xff], &mut out, 1000).unwrap_err();
        assert_eq!(err, InflateError::Corrupt);
    }

    #[test]
    fn input_in_pieces_decompresses_the_same() {
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 97) as u8).collect();
        let compressed = compress_shared(&data, 6, 15);
        let mut out = Vec::new();
        let mut inflater = Inflater::new();
        for piece in compressed.chunks(7) {
            inflater.inflate(piece, &mut out, usize::MAX).unwrap();
        }
        inflater.finish_message(&mut out, usize::MAX, true).unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn final_block_ends_the_stream_and_resets() {
        // A compressor that finished its stream (BFINAL) instead of a sync flush.
        let mut c = flate2::Compress::new(flate2::Compression::default(), false);
        let mut data = Vec::with_capacity(64);
        c.compress_vec(b"done", &mut data, flate2::FlushCompress::Finish).unwrap();
        let mut inflater = Inflater::new();
        let mut out = Vec::new();
        inflater.inflate(&data, &mut out, 100).unwrap();
        inflater.finish_message(&mut out, 100, false).unwrap();
        assert_eq!(out, b"done");
        // The next message starts a fresh stream.
        let next = compress_shared(b"again", 6, 15);
        let mut out = Vec::new();
        inflater.inflate(&next, &mut out, 100).unwrap();
        inflater.finish_message(&mut out, 100, false).unwrap();
        assert_eq!(out, b"again");
    }
}
