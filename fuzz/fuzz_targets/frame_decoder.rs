//! The frame decoder without extensions: arbitrary bytes, fed in
//! fuzzer-chosen pieces, must give the same events as when fed at once, as a
//! reference decoder written from RFC 6455, and every event must be sound
//! (text is UTF-8, sizes within limits, nothing after the close frame).
//!
//! Input: `[flags][k][k chunk sizes][stream]` (see `capstan_fuzz::Layout`).
//! flags bit 0: client role (unmasked frames) instead of server role;
//! bit 1: tiny limits (600-byte frames, 1 KiB messages) instead of 64 KiB.
#![no_main]

use capstan::ws::{Decoder, Role};
use capstan_fuzz::{Layout, SMALL_LIMITS, TINY_LIMITS, compare_with_reference, drive};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Layout::parse(data);
    let role = if input.flags & 1 != 0 { Role::Client } else { Role::Server };
    let limits = if input.flags & 2 != 0 { TINY_LIMITS } else { SMALL_LIMITS };

    let mut decoder = Decoder::new(role, limits);
    let split = drive(&mut decoder, input.stream, input.chunks, limits);

    // Pieces or all at once: the same events and the same error.
    let mut decoder = Decoder::new(role, limits);
    let whole = drive(&mut decoder, input.stream, &[], limits);
    assert_eq!(split.events, whole.events, "events depend on how the bytes were split");
    assert_eq!(split.error, whole.error, "the error depends on how the bytes were split");
    if split.error.is_none() {
        assert_eq!(split.leftover, whole.leftover);
    }

    compare_with_reference(&whole, input.stream, role, limits);
});
