//! Compressing outgoing messages: one compressor per connection when the
//! server keeps its context, otherwise one per thread, reset after each
//! message (so idle connections hold none).

use std::cell::RefCell;

use flate2::{Compress, Compression, FlushCompress};

use super::TRAILER;

/// A raw-deflate compressor for whole messages.
pub struct Deflater {
    compress: Compress,
    level: u32,
    window_bits: u8,
}

impl Deflater {
    /// A compressor at `level` (0–9) with a window of `window_bits` (9–15).
    pub fn new(level: u32, window_bits: u8) -> Self {
        let window_bits = window_bits.clamp(9, 15);
        let compress =
            Compress::new_with_window_bits(Compression::new(level.min(9)), false, window_bits);
        Self { compress, level, window_bits }
    }

    /// Compresses one message: the deflate data with the sync flush's
    /// trailing `00 00 ff ff` removed (RFC 7692 §7.2.1). With
    /// `reset_after`, the next message starts with an empty window.
    pub fn compress(&mut self, input: &[u8], reset_after: bool) -> Vec<u8> {
        if input.is_empty() {
            // RFC 7692 §7.2.3.6: an empty stored block. (A second sync flush
            // with no input would write nothing at all, which is not a
            // message.) The compressor's state is untouched.
            if reset_after {
                self.compress.reset();
            }
            return vec![0x00];
        }
        let mut out = Vec::with_capacity(input.len() / 2 + 64);
        let mut consumed = 0;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            let before = self.compress.total_in();
            self.compress
                .compress_vec(&input[consumed..], &mut out, FlushCompress::Sync)
                .expect("deflate accepts any input");
            consumed += (self.compress.total_in() - before) as usize;
            // The flush is complete once input is used up and output room is left.
            if consumed == input.len() && out.len() < out.capacity() {
                break;
            }
        }
        debug_assert!(out.ends_with(&TRAILER));
        if out.ends_with(&TRAILER) {
            out.truncate(out.len() - TRAILER.len());
        }
        if reset_after {
            self.compress.reset();
        }
        out
    }
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("level", &self.level)
            .field("window_bits", &self.window_bits)
            .finish()
    }
}

thread_local! {
    /// This thread's compressors for messages compressed without context,
    /// by (level, window bits).
    static SHARED: RefCell<Vec<Deflater>> = const { RefCell::new(Vec::new()) };
}

/// Compresses a message with no context taken over (a fresh window), using
/// this thread's compressor for `level` and `window_bits`.
pub fn compress_shared(input: &[u8], level: u32, window_bits: u8) -> Vec<u8> {
    let window_bits = window_bits.clamp(9, 15);
    SHARED.with(|shared| {
        let mut shared = shared.borrow_mut();
        let index =
            match shared.iter().position(|d| d.level == level && d.window_bits == window_bits) {
                Some(index) => index,
                None => {
                    shared.push(Deflater::new(level, window_bits));
                    shared.len() - 1
                }
            };
        shared[index].compress(input, true)
    })
}

#[cfg(test)]
mod tests {
    use super::super::inflate::Inflater;
    use super::*;

    fn round_trip(compressed: &[u8], inflater: &mut Inflater) -> Vec<u8> {
        let mut out = Vec::new();
        inflater.inflate(compressed, &mut out, usize::MAX).unwrap();
        inflater.finish_message(&mut out, usize::MAX, false).unwrap();
        out
    }

    #[test]
    fn compresses_and_strips_the_trailer() {
        let text = "Hello Hello Hello Hello".as_bytes();
        let compressed = Deflater::new(6, 15).compress(text, true);
        assert!(!compressed.ends_with(&TRAILER));
        assert!(compressed.len() < text.len());
        assert_eq!(round_trip(&compressed, &mut Inflater::new()), text);
    }

    #[test]
    fn rfc_7692_example_hello() {
        // §7.2.3.1: "Hello" compressed without context.
        let compressed = Deflater::new(6, 15).compress(b"Hello", true);
        assert_eq!(round_trip(&compressed, &mut Inflater::new()), b"Hello");
        let mut out = Vec::new();
        let mut inflater = Inflater::new();
        inflater.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100).unwrap();
        inflater.finish_message(&mut out, 100, false).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn context_takeover_makes_repeats_smaller() {
        let message = b"a fairly long message that repeats itself, a fairly long message";
        let mut keep = Deflater::new(6, 15);
        let first = keep.compress(message, false);
        let second = keep.compress(message, false);
        assert!(second.len() < first.len(), "{} vs {}", second.len(), first.len());
        // The receiver must keep its context too.
        let mut inflater = Inflater::new();
        assert_eq!(round_trip(&first, &mut inflater), message);
        assert_eq!(round_trip(&second, &mut inflater), message);
    }

    #[test]
    fn no_context_takeover_compresses_each_message_alone() {
        let message = b"same message, same message, same message";
        let a = compress_shared(message, 6, 15);
        let b = compress_shared(message, 6, 15);
        assert_eq!(a, b);
        assert_eq!(round_trip(&b, &mut Inflater::new()), message);
    }

    #[test]
    fn every_window_size_round_trips() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for bits in 9..=15 {
            let compressed = compress_shared(&data, 6, bits);
            assert_eq!(round_trip(&compressed, &mut Inflater::new()), data, "window {bits}");
        }
    }

    #[test]
    fn empty_message_between_others_with_context_takeover() {
        let mut keep = Deflater::new(6, 15);
        let mut inflater = Inflater::new();
        for message in [&b"first"[..], b"", b"", b"after the empty ones"] {
            let compressed = keep.compress(message, false);
            assert!(!compressed.is_empty());
            assert_eq!(round_trip(&compressed, &mut inflater), message);
        }
    }

    #[test]
    fn empty_message() {
        let compressed = compress_shared(b"", 6, 15);
        assert_eq!(round_trip(&compressed, &mut Inflater::new()), b"");
    }
}
