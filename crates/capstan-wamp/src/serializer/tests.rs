//! The three serializers carry every message, bytes included, and refuse
//! what is not theirs.

use super::*;
use crate::message::Payload;
use crate::value::Dict;

fn event_with_bytes() -> Message {
    Message::Event {
        subscription: crate::Id::new(4).unwrap(),
        publication: crate::Id::new(2).unwrap(),
        details: Dict::new(),
        payload: Payload::args(vec![
            Value::Bytes(bytes::Bytes::from_static(b"\x00\x01\xfe\xff")),
            Value::UInt(u64::MAX),
            Value::Int(-3),
            Value::Float(0.25),
            Value::from("text"),
        ]),
    }
}

#[test]
fn every_serializer_carries_every_message() {
    for serializer in Serializer::ALL {
        let mut messages = crate::message::tests::one_of_each();
        messages.push(event_with_bytes());
        for message in messages {
            let frame = serializer.encode(&message).unwrap();
            assert_eq!(frame.is_text(), !serializer.is_binary(), "{serializer:?}");
            let back = serializer.decode(&frame).unwrap();
            // Keyword arguments alone come back behind an empty list.
            assert_eq!(back.to_value(), message.to_value(), "{serializer:?}: {message:?}");
        }
    }
}

#[test]
fn json_writes_bytes_as_nul_and_base64() {
    let frame = Serializer::Json.encode(&event_with_bytes()).unwrap();
    let text = frame.as_text().unwrap();
    assert!(text.contains(r#""\u0000AAH+/w==""#), "{text}");
}

#[test]
fn subprotocols_name_their_serializers() {
    for serializer in Serializer::ALL {
        assert_eq!(Serializer::from_subprotocol(serializer.subprotocol()), Some(serializer));
    }
    assert_eq!(Serializer::from_subprotocol("wamp.2.json.batched"), None);
    assert_eq!(Serializer::from_subprotocol("wamp"), None);
}

#[track_caller]
fn malformed(result: Result<Message, DecodeError>) {
    assert!(matches!(result, Err(DecodeError::Malformed(_))), "{result:?}")
}

#[test]
fn garbage_and_the_wrong_frame_type_are_malformed() {
    malformed(Serializer::Json.decode(&capstan::Message::text("[1, \"realm1\"")));
    malformed(Serializer::Json.decode(&capstan::Message::binary(b"[1]".to_vec())));
    malformed(Serializer::MsgPack.decode(&capstan::Message::text("[]")));
    // An array of two with one element (rmpv reads the never-used byte
    // 0xc1 as nil: such a message is then refused as a message, not as
    // msgpack).
    malformed(Serializer::MsgPack.decode(&capstan::Message::binary(vec![0x92, 0x01])));
    malformed(Serializer::Cbor.decode(&capstan::Message::binary(vec![0x1c])));
    malformed(Serializer::Cbor.decode(&capstan::Message::binary(vec![0x82, 0x01])));
    // One value, then more bytes.
    let mut two = msgpack::to_bytes(&Value::List(vec![Value::Int(1)]));
    two.push(0x90);
    malformed(Serializer::MsgPack.decode(&capstan::Message::binary(two)));
}

#[test]
fn json_cannot_carry_nan() {
    let message = Message::Yield {
        request: crate::Id::new(1).unwrap(),
        options: Dict::new(),
        payload: Payload::args(vec![Value::Float(f64::NAN)]),
    };
    assert_eq!(Serializer::Json.encode(&message), Err(SerializeError::NonFiniteFloat));
    assert!(Serializer::MsgPack.encode(&message).is_ok());
}
