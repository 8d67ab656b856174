//! Writing a message in its list form.

use super::{Message, Payload};
use crate::id::Id;
use crate::value::{Dict, Value};

/// `message` as `[CODE, field, …]`.
pub(super) fn message(message: &Message) -> Value {
    let mut out = vec![Value::from_u64(message.code().number())];
    match message {
        Message::Hello { realm, details } => out.extend([str(realm), dict(details)]),
        Message::Welcome { session, details } => out.extend([id(*session), dict(details)]),
        Message::Abort { details, reason } | Message::Goodbye { details, reason } => {
            out.extend([dict(details), str(reason)])
        }
        Message::Challenge { auth_method, extra } => out.extend([str(auth_method), dict(extra)]),
        Message::Authenticate { signature, extra } => out.extend([str(signature), dict(extra)]),
        Message::Error { request_type, request, details, error, payload } => {
            out.extend([Value::from_u64(*request_type), id(*request), dict(details), str(error)]);
            push_payload(&mut out, payload);
        }
        Message::Publish { request, options, topic, payload } => {
            out.extend([id(*request), dict(options), str(topic)]);
            push_payload(&mut out, payload);
        }
        Message::Published { request, publication } => out.extend([id(*request), id(*publication)]),
        Message::Subscribe { request, options, topic } => {
            out.extend([id(*request), dict(options), str(topic)])
        }
        Message::Subscribed { request, subscription } => {
            out.extend([id(*request), id(*subscription)])
        }
        Message::Unsubscribe { request, subscription } => {
            out.extend([id(*request), id(*subscription)])
        }
        Message::Unsubscribed { request, details } | Message::Unregistered { request, details } => {
            out.push(Value::from_u64(request.map_or(0, Id::get)));
            if let Some(details) = details {
                out.push(dict(details));
            }
        }
        Message::Event { subscription, publication, details, payload } => {
            out.extend([id(*subscription), id(*publication), dict(details)]);
            push_payload(&mut out, payload);
        }
        Message::Call { request, options, procedure, payload } => {
            out.extend([id(*request), dict(options), str(procedure)]);
            push_payload(&mut out, payload);
        }
        Message::Cancel { request, options } | Message::Interrupt { request, options } => {
            out.extend([id(*request), dict(options)])
        }
        Message::Result { request, details, payload } => {
            out.extend([id(*request), dict(details)]);
            push_payload(&mut out, payload);
        }
        Message::Register { request, options, procedure } => {
            out.extend([id(*request), dict(options), str(procedure)])
        }
        Message::Registered { request, registration } => {
            out.extend([id(*request), id(*registration)])
        }
        Message::Unregister { request, registration } => {
            out.extend([id(*request), id(*registration)])
        }
        Message::Invocation { request, registration, details, payload } => {
            out.extend([id(*request), id(*registration), dict(details)]);
            push_payload(&mut out, payload);
        }
        Message::Yield { request, options, payload } => {
            out.extend([id(*request), dict(options)]);
            push_payload(&mut out, payload);
        }
    }
    Value::List(out)
}

fn id(id: Id) -> Value {
    Value::from_u64(id.get())
}

fn str(text: &str) -> Value {
    Value::Str(text.to_owned())
}

fn dict(dict: &Dict) -> Value {
    Value::Dict(dict.clone())
}

/// Arguments, then ArgumentsKw: a list is written (empty) whenever keyword
/// arguments follow, as the spec requires.
fn push_payload(out: &mut Vec<Value>, payload: &Payload) {
    match (&payload.args, &payload.kwargs) {
        (None, None) => {}
        (Some(args), None) => out.push(Value::List(args.clone())),
        (args, Some(kwargs)) => {
            out.push(Value::List(args.clone().unwrap_or_default()));
            out.push(Value::Dict(kwargs.clone()));
        }
    }
}
