//! The frame decoder with permessage-deflate (RSV1 allowed), in two modes.
//!
//! Raw mode: arbitrary bytes (compressed payloads as they come), fed in
//! pieces and at once; the same invariants as `frame_decoder`, plus: an
//! inflated message never passes `max_message_size`, and without context
//! takeover no decompressor is held between messages. A decoder without
//! deflate must agree with the reference decoder (RSV1 is an error there).
//!
//! Round-trip mode: messages built from the input are compressed with
//! capstan's own compressor (`compress_shared` without context takeover, a
//! `Deflater` keeping its context otherwise), cut into masked fragments,
//! with pings between, and must come out of the decoder exactly as they went
//! in, or fail with MessageTooLarge exactly when one is over the limit.
//!
//! Input: `[flags][k][k chunk sizes][stream]`. flags bit 0: no deflate at all
//! (raw mode only); bit 1: the peer does not take over its context
//! (`with_deflate(true)`), else `with_deflate(false)`; bit 2: round-trip mode
//! (the stream is then the source of the messages); bit 3: tiny limits.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use capstan::ws::deflate::{Deflater, compress_shared};
use capstan::ws::{Decoder, Event, OpCode, Role};
use capstan::{Limits, Message, ProtocolError};
use capstan_fuzz::{
    Layout, SMALL_LIMITS, TINY_LIMITS, client_frame, compare_with_reference, drive,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Layout::parse(data);
    let limits = if input.flags & 8 != 0 { TINY_LIMITS } else { SMALL_LIMITS };
    let no_context = input.flags & 2 != 0;
    if input.flags & 4 != 0 {
        round_trip(input, no_context, limits);
        return;
    }
    let new_decoder = || {
        let decoder = Decoder::new(Role::Server, limits);
        if input.flags & 1 != 0 { decoder } else { decoder.with_deflate(no_context) }
    };
    let mut decoder = new_decoder();
    let split = drive(&mut decoder, input.stream, input.chunks, limits);
    let mut decoder = new_decoder();
    let whole = drive(&mut decoder, input.stream, &[], limits);
    assert_eq!(split.events, whole.events, "events depend on how the bytes were split");
    assert_eq!(split.error, whole.error, "the error depends on how the bytes were split");
    if input.flags & 1 != 0 {
        compare_with_reference(&whole, input.stream, Role::Server, limits);
    }
    if no_context && input.flags & 1 == 0 && !decoder.in_message() {
        // Between messages a decoder without context takeover holds none.
        if whole.error.is_none() {
            assert!(!decoder.holds_inflater(), "a decompressor kept between messages");
        }
    }
});

#[derive(Debug, Arbitrary)]
struct Msg {
    text: bool,
    compress: bool,
    body: Vec<u8>,
    /// The body is repeated this many times (up to 64): small inputs that
    /// inflate past the limits.
    repeat: u8,
    /// Fragment sizes of the (compressed) payload, cycled; 0 = the rest.
    cuts: Vec<u8>,
    /// A ping goes after the first fragment (of several).
    ping: bool,
    key: [u8; 4],
}

fn round_trip(input: Layout<'_>, no_context: bool, limits: Limits) {
    let mut u = Unstructured::new(input.stream);
    let Ok(level) = u.int_in_range(0..=9u32) else { return };
    let Ok(bits) = u.int_in_range(9..=15u8) else { return };
    let Ok(messages) = u.arbitrary_iter::<Msg>() else { return };
    let mut deflater = Deflater::new(level, bits);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    // Some(index): message `index` is over the limit: decoding stops there.
    let mut too_large = None;
    for (index, m) in messages.take(8).enumerate() {
        let Ok(m) = m else { break };
        let mut body: Vec<u8> = m.body.repeat(1 + (m.repeat % 64) as usize);
        if m.text {
            body = String::from_utf8_lossy(&body).into_owned().into_bytes();
        }
        let over = body.len() > limits.max_message_size;
        let payload = if !m.compress {
            body.clone()
        } else if no_context {
            compress_shared(&body, level, bits)
        } else {
            deflater.compress(&body, false)
        };
        let mut fragments = Vec::new();
        let mut rest = &payload[..];
        let mut i = 0;
        while !rest.is_empty() || fragments.is_empty() {
            let cut = m.cuts.get(i % m.cuts.len().max(1)).map_or(0, |&c| c as usize);
            let cut = if cut == 0 { rest.len() } else { cut.min(rest.len()) };
            fragments.push(&rest[..cut]);
            rest = &rest[cut..];
            i += 1;
        }
        if fragments.iter().any(|f| f.len() > limits.max_frame_size) {
            // Frames over the limit are not what this mode checks (raw mode
            // does): the stream ends before this message.
            break;
        }
        let count = fragments.len();
        // A ping between the first two fragments. None inside a message over
        // the limit: where exactly decoding stops in it is not this mode's
        // business.
        let ping = m.ping && !over && count > 1;
        for (n, fragment) in fragments.into_iter().enumerate() {
            let opcode = match (n, m.text) {
                (0, true) => OpCode::Text,
                (0, false) => OpCode::Binary,
                _ => OpCode::Continuation,
            };
            let rsv1 = n == 0 && m.compress;
            wire.extend(client_frame(opcode, n + 1 == count, rsv1, fragment, m.key));
            if n == 0 && ping {
                wire.extend(client_frame(OpCode::Ping, true, false, b"p", m.key));
                expected.push(Event::Ping(bytes::Bytes::from_static(b"p")));
            }
        }
        if over {
            too_large = Some(index);
            break;
        }
        let message = if m.text {
            Message::text(String::from_utf8(body).expect("made valid"))
        } else {
            Message::binary(body)
        };
        expected.push(Event::Message(message));
    }
    let mut decoder = Decoder::new(Role::Server, limits).with_deflate(no_context);
    let outcome = drive(&mut decoder, &wire, input.chunks, limits);
    match too_large {
        None => {
            assert_eq!(outcome.error, None, "a valid compressed stream was refused");
            assert_eq!(outcome.events.len(), expected.len());
            for (got, want) in outcome.events.iter().zip(&expected) {
                assert!(got == want, "decoded {got:?}\nexpected {want:?}");
            }
            assert_eq!(outcome.leftover, 0);
            if no_context {
                assert!(!decoder.holds_inflater(), "a decompressor kept between messages");
            }
        }
        Some(_) => {
            assert!(
                matches!(outcome.error, Some(ProtocolError::MessageTooLarge { .. })),
                "a message over the limit gave {:?}",
                outcome.error
            );
            assert_eq!(outcome.events, expected);
        }
    }
}
