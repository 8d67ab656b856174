//! Every message read back as written, and what a broken one is told.

use super::*;
use crate::value::Value;

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

fn dict(pairs: &[(&str, Value)]) -> Dict {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

/// One message of every code, with payloads in every shape.
pub(crate) fn one_of_each() -> Vec<Message> {
    let details =
        dict(&[("roles", Value::Dict(dict(&[("subscriber", Value::Dict(Dict::new()))])))]);
    let both = Payload {
        args: Some(vec![Value::Int(1), Value::from("two")]),
        kwargs: Some(dict(&[("k", Value::Float(1.5))])),
    };
    let kwargs_only = Payload { args: None, kwargs: Some(dict(&[("only", Value::Null)])) };
    vec![
        Message::Hello { realm: "realm1".into(), details: details.clone() },
        Message::Welcome { session: id(9_007_199_254_740_992), details: Dict::new() },
        Message::Abort { details: Dict::new(), reason: "wamp.error.no_such_realm".into() },
        Message::Challenge { auth_method: "wampcra".into(), extra: Dict::new() },
        Message::Authenticate { signature: "sig".into(), extra: Dict::new() },
        Message::Goodbye { details: Dict::new(), reason: "wamp.close.close_realm".into() },
        Message::Error {
            request_type: 48,
            request: id(7),
            details: Dict::new(),
            error: "wamp.error.no_such_procedure".into(),
            payload: Payload::none(),
        },
        Message::Publish {
            request: id(1),
            options: dict(&[("acknowledge", Value::Bool(true))]),
            topic: "com.app.topic".into(),
            payload: both.clone(),
        },
        Message::Published { request: id(1), publication: id(2) },
        Message::Subscribe { request: id(3), options: Dict::new(), topic: "com.app".into() },
        Message::Subscribed { request: id(3), subscription: id(4) },
        Message::Unsubscribe { request: id(5), subscription: id(4) },
        Message::Unsubscribed { request: Some(id(5)), details: None },
        Message::Unsubscribed {
            request: None,
            details: Some(dict(&[
                ("subscription", Value::from_u64(4)),
                ("reason", Value::from("wamp.close.revoked")),
            ])),
        },
        Message::Event {
            subscription: id(4),
            publication: id(2),
            details: Dict::new(),
            payload: Payload::args(vec![Value::Bytes(bytes::Bytes::from_static(b"\x00\xff"))]),
        },
        Message::Call {
            request: id(6),
            options: Dict::new(),
            procedure: "com.app.add".into(),
            payload: kwargs_only.clone(),
        },
        Message::Cancel { request: id(6), options: dict(&[("mode", Value::from("kill"))]) },
        Message::Result { request: id(6), details: Dict::new(), payload: both.clone() },
        Message::Register { request: id(8), options: Dict::new(), procedure: "com.app.add".into() },
        Message::Registered { request: id(8), registration: id(10) },
        Message::Unregister { request: id(11), registration: id(10) },
        Message::Unregistered { request: Some(id(11)), details: None },
        Message::Unregistered {
            request: None,
            details: Some(dict(&[("registration", Value::from_u64(10))])),
        },
        Message::Invocation {
            request: id(12),
            registration: id(10),
            details: Dict::new(),
            payload: both,
        },
        Message::Interrupt { request: id(12), options: Dict::new() },
        Message::Yield { request: id(12), options: Dict::new(), payload: Payload::none() },
    ]
}

/// What a payload of keyword arguments only reads back as: an empty list
/// was written before them.
fn as_read_back(message: &Message) -> Message {
    let mut message = message.clone();
    if let Message::Call { payload, .. } = &mut message
        && payload.args.is_none()
        && payload.kwargs.is_some()
    {
        payload.args = Some(Vec::new());
    }
    message
}

#[test]
fn every_message_reads_back_as_written() {
    let messages = one_of_each();
    let codes: std::collections::HashSet<u64> =
        messages.iter().map(|m| m.code().number()).collect();
    assert_eq!(codes.len(), 24, "every code of WAMP v2 is covered");
    for message in messages {
        let value = message.to_value();
        assert_eq!(Message::from_value(value).as_ref(), Ok(&as_read_back(&message)));
    }
}

#[test]
fn the_list_form_is_the_specs() {
    let publish = Message::Publish {
        request: id(1),
        options: Dict::new(),
        topic: "t".into(),
        payload: Payload { args: None, kwargs: Some(dict(&[("a", Value::Int(1))])) },
    };
    let expected = list(vec![
        Value::Int(16),
        Value::Int(1),
        Value::Dict(Dict::new()),
        Value::from("t"),
        list(vec![]),
        Value::Dict(dict(&[("a", Value::Int(1))])),
    ]);
    assert_eq!(publish.to_value(), expected);
}

#[test]
fn broken_messages_are_named_precisely() {
    let cases: Vec<(Value, DecodeError)> = vec![
        (Value::Dict(Dict::new()), DecodeError::NotAList),
        (list(vec![]), DecodeError::NotAList),
        (list(vec![Value::Int(7), Value::Null]), DecodeError::UnknownCode("7".into())),
        (list(vec![Value::from("HELLO")]), DecodeError::UnknownCode("a string".into())),
        (
            list(vec![Value::Int(1), Value::from("realm1")]),
            DecodeError::Arity { message: "HELLO", len: 2 },
        ),
        (
            list(vec![Value::Int(1), Value::Int(5), Value::Dict(Dict::new())]),
            DecodeError::FieldType {
                message: "HELLO",
                field: "Realm",
                expected: "a string",
                found: "an integer",
            },
        ),
        (
            list(vec![Value::Int(32), Value::Int(0), Value::Dict(Dict::new()), Value::from("t")]),
            DecodeError::IdOutOfRange { message: "SUBSCRIBE", field: "Request" },
        ),
        (
            list(vec![
                Value::Int(32),
                Value::from_u64((1 << 53) + 1),
                Value::Dict(Dict::new()),
                Value::from("t"),
            ]),
            DecodeError::IdOutOfRange { message: "SUBSCRIBE", field: "Request" },
        ),
        (
            list(vec![
                Value::Int(16),
                Value::Int(1),
                Value::Dict(Dict::new()),
                Value::from("t"),
                Value::Dict(Dict::new()),
            ]),
            DecodeError::FieldType {
                message: "PUBLISH",
                field: "Arguments",
                expected: "a list",
                found: "a dictionary",
            },
        ),
        (
            list(vec![Value::Int(35), Value::Int(1), Value::Null]),
            DecodeError::FieldType {
                message: "UNSUBSCRIBED",
                field: "Details",
                expected: "a dictionary",
                found: "null",
            },
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(Message::from_value(value.clone()), Err(expected), "{value:?}");
    }
}
