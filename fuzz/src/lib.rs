//! Shared pieces of the fuzz targets: the input layout, a driver that feeds
//! a [`Decoder`] in fuzzer-chosen pieces and checks every event, a small
//! reference decoder (RFC 6455 without extensions, written from the RFC, not
//! from capstan's code) and helpers to build masked frames for seeds.
#![forbid(unsafe_code)]

use bytes::BytesMut;
use capstan::ws::CloseFrame;
use capstan::ws::mask::apply_mask;
use capstan::ws::{Decoder, Event, FrameHeader, OpCode, Role};
use capstan::{Limits, Message, ProtocolError};

/// The limits every decoder target uses: small, so that the fuzzer can
/// reach them with inputs of a few KiB.
pub const SMALL_LIMITS: Limits = Limits { max_frame_size: 64 << 10, max_message_size: 64 << 10 };

/// Tighter limits, picked by a flag, so that the size checks are hit by
/// short inputs too (a 1 KiB message, a 600-byte frame).
pub const TINY_LIMITS: Limits = Limits { max_frame_size: 600, max_message_size: 1024 };

/// The decoder targets' input: `[flags][k][k chunk sizes][stream...]`.
///
/// The stream is fed to the decoder `chunks[0]` bytes at a time, then
/// `chunks[1]`, ... cycling; a chunk size of 0 is a decode call with no new
/// bytes (a spurious wake-up). `k == 0` (or all sizes 0) feeds the stream at
/// once.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    pub flags: u8,
    pub chunks: &'a [u8],
    pub stream: &'a [u8],
}

impl<'a> Layout<'a> {
    pub fn parse(data: &'a [u8]) -> Self {
        let flags = data.first().copied().unwrap_or(0);
        let k = data.get(1).map_or(0, |&k| (k % 17) as usize);
        let rest = data.get(2..).unwrap_or(&[]);
        let k = k.min(rest.len());
        let (chunks, stream) = rest.split_at(k);
        Self { flags, chunks, stream }
    }

    /// The bytes of this layout (for seeds).
    pub fn to_bytes(flags: u8, chunks: &[u8], stream: &[u8]) -> Vec<u8> {
        assert!(chunks.len() <= 16);
        let mut out = vec![flags, chunks.len() as u8];
        out.extend_from_slice(chunks);
        out.extend_from_slice(stream);
        out
    }
}

/// What feeding a stream produced: the events, in order, and the error
/// that stopped decoding, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub error: Option<ProtocolError>,
    /// Bytes left in the buffer at the end (a frame still incomplete).
    pub leftover: usize,
}

/// Whether [`drive`] also checks that a decoder which returned an error
/// gives no event if it is called again (a "fused" decoder). Off: the
/// connection driver never calls `decode` after an error, and today's
/// `Decoder` does not promise it (after `InvalidUtf8` a second call unmasks
/// the payload again and returns it as a Text message; after
/// `InvalidCompressedData` it goes on with the next frame). See README.md.
pub const CHECK_FUSED: bool = true;

/// Feeds `stream` to `decoder` in pieces (see [`Layout`]), decoding after
/// each piece until `Ok(None)`, and stopping at the first error, as the
/// connection driver does. Every event is checked with [`check_event`].
pub fn drive(decoder: &mut Decoder, stream: &[u8], chunks: &[u8], limits: Limits) -> Outcome {
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut closed = false;
    let whole = chunks.iter().all(|&c| c == 0);
    let mut pos = 0;
    let mut i = 0;
    loop {
        let take = if whole { stream.len() - pos } else { chunks[i % chunks.len()] as usize };
        i += 1;
        let end = (pos + take).min(stream.len());
        buf.extend_from_slice(&stream[pos..end]);
        pos = end;
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(event)) => {
                    assert!(!closed, "an event after the peer's close frame: {event:?}");
                    check_event(decoder, &event, limits, buf.len());
                    if matches!(event, Event::Close(_)) {
                        closed = true;
                    }
                    events.push(event);
                }
                Ok(None) => {
                    // Needing more bytes: whatever is buffered is a prefix
                    // of one frame, and nothing that was there is lost.
                    assert!(buf.len() <= before);
                    break;
                }
                Err(error) => {
                    check_error(&error, limits);
                    if CHECK_FUSED {
                        let mut again = buf.clone();
                        again.extend_from_slice(&stream[pos..]);
                        for _ in 0..4 {
                            if let Ok(Some(event)) = decoder.decode(&mut again) {
                                panic!("an event after the error {error:?}: {event:?}");
                            }
                        }
                    }
                    return Outcome { events, error: Some(error), leftover: buf.len() };
                }
            }
        }
        if pos == stream.len() {
            return Outcome { events, error: None, leftover: buf.len() };
        }
    }
}

/// What must hold of every event the decoder hands out.
pub fn check_event(decoder: &Decoder, event: &Event, limits: Limits, buffered: usize) {
    // An event completes a frame: the decoder is between frames.
    assert_eq!(decoder.bytes_wanted(buffered), 0, "bytes wanted right after an event");
    match event {
        Event::Message(message) => {
            assert!(!decoder.in_message(), "a message completed but one is still in progress");
            assert!(
                message.len() <= limits.max_message_size,
                "a message of {} bytes passed the limit of {}",
                message.len(),
                limits.max_message_size
            );
            if let Message::Text(text) = message {
                let bytes = text.as_bytes();
                let checked = std::str::from_utf8(bytes).expect("a Text message is not UTF-8");
                assert_eq!(checked, text.as_str());
            }
        }
        Event::Ping(payload) | Event::Pong(payload) => {
            assert!(payload.len() <= 125, "a control frame of {} bytes", payload.len());
        }
        Event::Close(Some(frame)) => {
            assert!(frame.code.is_sendable(), "close code {} let through", frame.code);
            assert!(frame.reason.len() <= CloseFrame::MAX_REASON);
            // The body round-trips.
            assert_eq!(CloseFrame::parse(&frame.to_bytes()), Ok(Some(frame.clone())));
        }
        Event::Close(None) => {}
    }
}

/// What must hold of every error.
pub fn check_error(error: &ProtocolError, limits: Limits) {
    let code = error.close_code().0;
    assert!(matches!(code, 1002 | 1007 | 1009), "close code {code} for {error:?}");
    assert!(!error.to_string().is_empty());
    match *error {
        ProtocolError::FrameTooLarge { size, max } => {
            assert_eq!(max, limits.max_frame_size);
            assert!(size > max as u64, "{error:?}");
        }
        ProtocolError::MessageTooLarge { size, max } => {
            assert_eq!(max, limits.max_message_size);
            assert!(size > max as u64, "{error:?}");
        }
        _ => {}
    }
}

/// How the reference decoder ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefEnd {
    /// Every byte used, between messages.
    Clean,
    /// A frame or a fragmented message is incomplete.
    Pending,
    /// The stream breaks a rule.
    Error,
}

/// RFC 6455 without extensions, the simple way: whole frames only, UTF-8
/// checked once per message. Used as an oracle for the real decoder.
pub fn reference_decode(stream: &[u8], role: Role, limits: Limits) -> (Vec<Event>, RefEnd) {
    let mut events = Vec::new();
    let mut pos = 0;
    // (is_text, bytes so far) of a fragmented message.
    let mut message: Option<(bool, Vec<u8>)> = None;
    let mut closed = false;
    loop {
        let rest = &stream[pos..];
        if rest.is_empty() {
            let end = if message.is_some() { RefEnd::Pending } else { RefEnd::Clean };
            return (events, end);
        }
        macro_rules! need {
            ($n:expr) => {
                if rest.len() < $n {
                    return (events, RefEnd::Pending);
                }
            };
        }
        macro_rules! fail {
            () => {
                return (events, RefEnd::Error)
            };
        }
        need!(2);
        let fin = rest[0] & 0x80 != 0;
        let rsv = rest[0] & 0x70;
        let opcode = rest[0] & 0x0f;
        if !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
            fail!();
        }
        let masked = rest[1] & 0x80 != 0;
        let mut header = 2;
        let len: u64 = match rest[1] & 0x7f {
            126 => {
                need!(4);
                header = 4;
                let len = u16::from_be_bytes([rest[2], rest[3]]) as u64;
                if len < 126 {
                    fail!();
                }
                len
            }
            127 => {
                need!(10);
                header = 10;
                let len = u64::from_be_bytes(rest[2..10].try_into().unwrap());
                if len > i64::MAX as u64 || len < 65536 {
                    fail!();
                }
                len
            }
            n => n as u64,
        };
        let mut key = [0u8; 4];
        if masked {
            need!(header + 4);
            key.copy_from_slice(&rest[header..header + 4]);
            header += 4;
        }
        if closed || rsv != 0 || masked != (role == Role::Server) {
            fail!();
        }
        let control = opcode >= 8;
        if control && (!fin || len > 125) {
            fail!();
        }
        if !control {
            match (opcode, &message) {
                (0, None) => fail!(),
                (1 | 2, Some(_)) => fail!(),
                _ => {}
            }
            if len > limits.max_frame_size as u64 {
                fail!();
            }
            let so_far = message.as_ref().map_or(0, |(_, m)| m.len()) as u64;
            if so_far + len > limits.max_message_size as u64 {
                fail!();
            }
        }
        let len = len as usize;
        need!(header + len);
        let mut payload = rest[header..header + len].to_vec();
        if masked {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        pos += header + len;
        match opcode {
            8 => {
                closed = true;
                let body = match payload.len() {
                    0 => None,
                    1 => fail!(),
                    _ => {
                        let code = u16::from_be_bytes([payload[0], payload[1]]);
                        let sendable = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
                        let Ok(reason) = std::str::from_utf8(&payload[2..]) else { fail!() };
                        if !sendable {
                            fail!();
                        }
                        Some(CloseFrame { code: code.into(), reason: reason.to_owned() })
                    }
                };
                events.push(Event::Close(body));
            }
            9 => events.push(Event::Ping(payload.into())),
            10 => events.push(Event::Pong(payload.into())),
            _ => {
                let (text, mut data) = match message.take() {
                    Some(m) => m,
                    None => (opcode == 1, Vec::new()),
                };
                data.extend_from_slice(&payload);
                if !fin {
                    message = Some((text, data));
                    continue;
                }
                let event = if text {
                    let Ok(text) = String::from_utf8(data) else { fail!() };
                    Message::text(text)
                } else {
                    Message::binary(data)
                };
                events.push(Event::Message(event));
            }
        }
    }
}

/// Compares the real decoder's outcome with the reference decoder's.
pub fn compare_with_reference(real: &Outcome, stream: &[u8], role: Role, limits: Limits) {
    let (expected, end) = reference_decode(stream, role, limits);
    match &real.error {
        None => {
            assert_ne!(end, RefEnd::Error, "the decoder accepted a stream the RFC rejects");
            assert_eq!(real.events, expected, "events differ from the reference decoder");
        }
        Some(ProtocolError::InvalidUtf8) => {
            // Text is checked as it arrives, so the decoder may fail before
            // the reference (which checks whole messages) sees the end.
            assert!(
                expected.starts_with(&real.events),
                "events before a UTF-8 error differ from the reference decoder"
            );
            assert_ne!(end, RefEnd::Clean, "InvalidUtf8 on a stream the reference accepts");
        }
        Some(error) => {
            assert_eq!(real.events, expected, "events before {error:?} differ from the reference");
            assert_eq!(end, RefEnd::Error, "{error:?} on a stream the reference does not reject");
        }
    }
}

/// A masked client frame, RSV1 as given (the encoder in capstan only
/// writes RSV1 = 0 for client frames).
pub fn client_frame(
    opcode: OpCode,
    fin: bool,
    rsv1: bool,
    payload: &[u8],
    key: [u8; 4],
) -> Vec<u8> {
    let header = FrameHeader {
        fin,
        rsv1,
        rsv23: false,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut out = Vec::with_capacity(header.encoded_len() + payload.len());
    header.encode(&mut out);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
    out
}
