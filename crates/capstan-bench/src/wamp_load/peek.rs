//! A look at a server frame that costs almost nothing: is it an EVENT,
//! and is it the end marker? The subscribers of the `events` scenario
//! count up to a million events a second on one core, more than a full
//! decode allows; every other message is decoded in full
//! ([`Codec::read`](super::codec::Codec::read)).
//!
//! The load generator publishes its events with positional arguments only,
//! `[SEQ]` or `[SEQ, PADDING]` (PADDING all `x`), and its end marker with
//! `[MARKER]`; an EVENT's list ends with its arguments, so the marker is
//! recognised by the frame's last bytes.

use capstan_wamp::Serializer;

/// The marker's only argument.
pub const MARKER: &str = "capstan-bench-end";

/// What a frame is, as far as the events scenario cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peek {
    /// An EVENT of the load.
    Event,
    /// An EVENT carrying [`MARKER`]: its publisher has published all.
    Marker,
    /// Any other message: decode it.
    Other,
}

/// WAMP's code of EVENT.
const EVENT: u8 = 36;

/// Looks at `payload`, a whole message of `serializer`.
pub fn peek(serializer: Serializer, payload: &[u8]) -> Peek {
    let (is_event, is_marker) = match serializer {
        Serializer::Json => (json_is_event(payload), json_ends_with_marker(payload)),
        Serializer::MsgPack => (msgpack_is_event(payload), msgpack_ends_with_marker(payload)),
        _ => return Peek::Other,
    };
    match (is_event, is_marker) {
        (false, _) => Peek::Other,
        (true, false) => Peek::Event,
        (true, true) => Peek::Marker,
    }
}

/// `[36,` with any JSON whitespace between the tokens.
fn json_is_event(payload: &[u8]) -> bool {
    let mut rest = payload.iter().copied().filter(|b| !b.is_ascii_whitespace());
    rest.next() == Some(b'[')
        && rest.next() == Some(b'3')
        && rest.next() == Some(b'6')
        && rest.next() == Some(b',')
}

/// `["capstan-bench-end"]]` at the end, whitespace aside.
fn json_ends_with_marker(payload: &[u8]) -> bool {
    let expected = format!("[\"{MARKER}\"]]");
    let tail = &payload[payload.len().saturating_sub(expected.len() + 16)..];
    let compact: Vec<u8> = tail.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    compact.ends_with(expected.as_bytes())
}

/// A fixarray of 4 to 6 elements whose first is the positive fixint 36.
fn msgpack_is_event(payload: &[u8]) -> bool {
    matches!(payload, [0x94..=0x96, EVENT, ..])
}

/// A fixarray of one fixstr, the marker, at the end.
fn msgpack_ends_with_marker(payload: &[u8]) -> bool {
    let mut expected = vec![0x91, 0xa0 | MARKER.len() as u8];
    expected.extend_from_slice(MARKER.as_bytes());
    payload.ends_with(&expected)
}

#[cfg(test)]
mod tests {
    use capstan_wamp::{Dict, Id, Message, Payload, Value};

    use super::*;

    fn event(args: Vec<Value>, details: Dict) -> Message {
        Message::Event {
            subscription: Id::new(5_000_000_123).unwrap(),
            publication: Id::new(1 << 52).unwrap(),
            details,
            payload: Payload::args(args),
        }
    }

    fn bytes(serializer: Serializer, message: &Message) -> Vec<u8> {
        serializer.encode(message).unwrap().as_bytes().to_vec()
    }

    #[test]
    fn events_and_markers_in_both_serializers() {
        let mut details = Dict::new();
        details.insert("topic".into(), Value::Str("bench.events".into()));
        for serializer in [Serializer::Json, Serializer::MsgPack] {
            for details in [Dict::new(), details.clone()] {
                let plain = event(vec![Value::Int(17)], details.clone());
                assert_eq!(peek(serializer, &bytes(serializer, &plain)), Peek::Event);
                let padded =
                    event(vec![Value::Int(17), Value::Str("x".repeat(100))], details.clone());
                assert_eq!(peek(serializer, &bytes(serializer, &padded)), Peek::Event);
                let marker = event(vec![Value::Str(MARKER.into())], details.clone());
                assert_eq!(peek(serializer, &bytes(serializer, &marker)), Peek::Marker);
            }
            let published = Message::Published {
                request: Id::new(36).unwrap(),
                publication: Id::new(36).unwrap(),
            };
            assert_eq!(peek(serializer, &bytes(serializer, &published)), Peek::Other);
        }
    }

    #[test]
    fn json_whitespace_as_other_routers_may_write_it() {
        let spaced = format!("[ 36, 1, 2, {{}}, [ \"{MARKER}\" ] ]\n");
        assert_eq!(peek(Serializer::Json, spaced.as_bytes()), Peek::Marker);
        assert_eq!(peek(Serializer::Json, b"[36 ,1,2,{},[1]]"), Peek::Event);
        // Code 3 (ABORT) and 360 are not 36.
        assert_eq!(peek(Serializer::Json, b"[3,{},\"x\"]"), Peek::Other);
        assert_eq!(peek(Serializer::Json, b"[360,1]"), Peek::Other);
        assert_eq!(peek(Serializer::Json, b""), Peek::Other);
        // The marker word inside another argument is no marker.
        let inside = format!("[36,1,2,{{}},[\"a {MARKER}\"]]");
        assert_eq!(peek(Serializer::Json, inside.as_bytes()), Peek::Event);
    }

    #[test]
    fn cbor_is_never_peeked() {
        let marker = event(vec![Value::Str(MARKER.into())], Dict::new());
        assert_eq!(peek(Serializer::Cbor, &bytes(Serializer::Cbor, &marker)), Peek::Other);
    }
}
