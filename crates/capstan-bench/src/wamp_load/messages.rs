//! The WAMP messages the load generator sends, built with capstan-wamp's
//! [`Message`]: HELLO with the four client roles, and the requests of
//! each scenario.

use capstan_wamp::{Dict, Id, Message, Payload, Value};

use super::peek::MARKER;

/// The topic of the `events` scenario.
pub const TOPIC: &str = "capstan.bench.events";
/// The procedure of the `calls` scenario.
pub const PROCEDURE: &str = "capstan.bench.echo";

/// Request ID `n` (counted from 1 by each session).
pub fn request(n: u64) -> Id {
    Id::new(n.clamp(1, capstan_wamp::id::MAX_ID)).expect("clamped into 1..=2^53")
}

fn dict<const N: usize>(entries: [(&str, Value); N]) -> Dict {
    entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// HELLO to `realm`, announcing the four client roles (the callee with
/// shared registrations, for several callees on one procedure).
pub fn hello(realm: &str) -> Message {
    let callee =
        dict([("features", Value::Dict(dict([("shared_registration", Value::Bool(true))])))]);
    let roles = dict([
        ("publisher", Value::Dict(Dict::new())),
        ("subscriber", Value::Dict(Dict::new())),
        ("caller", Value::Dict(Dict::new())),
        ("callee", Value::Dict(callee)),
    ]);
    Message::Hello { realm: realm.to_owned(), details: dict([("roles", Value::Dict(roles))]) }
}

/// SUBSCRIBE to [`TOPIC`].
pub fn subscribe(n: u64) -> Message {
    Message::Subscribe { request: request(n), options: Dict::new(), topic: TOPIC.into() }
}

/// PUBLISH event `seq` to [`TOPIC`], unacknowledged, its arguments `[seq]`
/// or `[seq, "x"…]` with `padding` bytes of `x`.
pub fn publish(n: u64, seq: u64, padding: usize) -> Message {
    let mut args = vec![Value::from_u64(seq)];
    if padding > 0 {
        args.push(Value::Str("x".repeat(padding)));
    }
    Message::Publish {
        request: request(n),
        options: Dict::new(),
        topic: TOPIC.into(),
        payload: Payload::args(args),
    }
}

/// PUBLISH the end marker to [`TOPIC`], acknowledged.
pub fn publish_marker(n: u64) -> Message {
    Message::Publish {
        request: request(n),
        options: dict([("acknowledge", Value::Bool(true))]),
        topic: TOPIC.into(),
        payload: Payload::args(vec![Value::Str(MARKER.into())]),
    }
}

/// REGISTER [`PROCEDURE`]; shared round-robin when `shared`.
pub fn register(n: u64, shared: bool) -> Message {
    let options =
        if shared { dict([("invoke", Value::Str("roundrobin".into()))]) } else { Dict::new() };
    Message::Register { request: request(n), options, procedure: PROCEDURE.into() }
}

/// CALL [`PROCEDURE`] with `[seq]` or `[seq, "x"…]`.
pub fn call(n: u64, seq: u64, padding: usize) -> Message {
    let mut args = vec![Value::from_u64(seq)];
    if padding > 0 {
        args.push(Value::Str("x".repeat(padding)));
    }
    Message::Call {
        request: request(n),
        options: Dict::new(),
        procedure: PROCEDURE.into(),
        payload: Payload::args(args),
    }
}

/// YIELD to invocation `request`, echoing `payload`.
pub fn echo(request: Id, payload: Payload) -> Message {
    Message::Yield { request, options: Dict::new(), payload }
}

/// GOODBYE, as a client leaving normally.
pub fn goodbye() -> Message {
    Message::Goodbye { details: Dict::new(), reason: "wamp.close.close_realm".into() }
}

#[cfg(test)]
mod tests {
    use capstan_wamp::Serializer;

    use super::*;

    fn json(message: &Message) -> String {
        Serializer::Json.encode(message).unwrap().as_text().unwrap().to_owned()
    }

    #[test]
    fn the_wire_form_of_each_request() {
        assert_eq!(
            json(&hello("realm1")),
            r#"[1,"realm1",{"roles":{"callee":{"features":{"shared_registration":true}},"caller":{},"publisher":{},"subscriber":{}}}]"#
        );
        assert_eq!(json(&subscribe(1)), r#"[32,1,{},"capstan.bench.events"]"#);
        assert_eq!(json(&publish(2, 9, 0)), r#"[16,2,{},"capstan.bench.events",[9]]"#);
        assert_eq!(json(&publish(2, 9, 3)), r#"[16,2,{},"capstan.bench.events",[9,"xxx"]]"#);
        assert_eq!(
            json(&publish_marker(3)),
            r#"[16,3,{"acknowledge":true},"capstan.bench.events",["capstan-bench-end"]]"#
        );
        assert_eq!(json(&register(4, false)), r#"[64,4,{},"capstan.bench.echo"]"#);
        assert_eq!(
            json(&register(4, true)),
            r#"[64,4,{"invoke":"roundrobin"},"capstan.bench.echo"]"#
        );
        assert_eq!(json(&call(5, 1, 0)), r#"[48,5,{},"capstan.bench.echo",[1]]"#);
        assert_eq!(json(&echo(request(6), Payload::args(vec![Value::Int(1)]))), r#"[70,6,{},[1]]"#);
    }

    #[test]
    fn request_ids_stay_in_range() {
        assert_eq!(request(0).get(), 1);
        assert_eq!(request(u64::MAX).get(), capstan_wamp::id::MAX_ID);
    }
}
