//! Reading a message from its list form, field by field.

use super::{Code, DecodeError, Message, Payload};
use crate::id::Id;
use crate::value::{Dict, Value};

/// Reads `value` as a message.
pub(super) fn message(value: Value) -> Result<Message, DecodeError> {
    let Value::List(items) = value else { return Err(DecodeError::NotAList) };
    let Some(first) = items.first() else { return Err(DecodeError::NotAList) };
    let code = match first.as_u64().and_then(Code::from_number) {
        Some(code) => code,
        None => {
            let shown = match first {
                Value::Int(n) => n.to_string(),
                Value::UInt(n) => n.to_string(),
                other => other.kind().to_owned(),
            };
            return Err(DecodeError::UnknownCode(shown));
        }
    };
    let (least, most) = arity(code);
    if !(least..=most).contains(&items.len()) {
        return Err(DecodeError::Arity { message: code.name(), len: items.len() });
    }
    let mut f = Fields { message: code.name(), items: items.into_iter().skip(1) };
    Ok(match code {
        Code::Hello => Message::Hello { realm: f.string("Realm")?, details: f.dict("Details")? },
        Code::Welcome => {
            Message::Welcome { session: f.id("Session")?, details: f.dict("Details")? }
        }
        Code::Abort => Message::Abort { details: f.dict("Details")?, reason: f.string("Reason")? },
        Code::Challenge => {
            Message::Challenge { auth_method: f.string("AuthMethod")?, extra: f.dict("Extra")? }
        }
        Code::Authenticate => {
            Message::Authenticate { signature: f.string("Signature")?, extra: f.dict("Extra")? }
        }
        Code::Goodbye => {
            Message::Goodbye { details: f.dict("Details")?, reason: f.string("Reason")? }
        }
        Code::Error => Message::Error {
            request_type: f.uint("REQUEST.Type")?,
            request: f.id("REQUEST.Request")?,
            details: f.dict("Details")?,
            error: f.string("Error")?,
            payload: f.payload()?,
        },
        Code::Publish => Message::Publish {
            request: f.id("Request")?,
            options: f.dict("Options")?,
            topic: f.string("Topic")?,
            payload: f.payload()?,
        },
        Code::Published => Message::Published {
            request: f.id("PUBLISH.Request")?,
            publication: f.id("Publication")?,
        },
        Code::Subscribe => Message::Subscribe {
            request: f.id("Request")?,
            options: f.dict("Options")?,
            topic: f.string("Topic")?,
        },
        Code::Subscribed => Message::Subscribed {
            request: f.id("SUBSCRIBE.Request")?,
            subscription: f.id("Subscription")?,
        },
        Code::Unsubscribe => Message::Unsubscribe {
            request: f.id("Request")?,
            subscription: f.id("SUBSCRIBED.Subscription")?,
        },
        Code::Unsubscribed => Message::Unsubscribed {
            request: f.id_or_zero("UNSUBSCRIBE.Request")?,
            details: f.optional_dict("Details")?,
        },
        Code::Event => Message::Event {
            subscription: f.id("SUBSCRIBED.Subscription")?,
            publication: f.id("PUBLISHED.Publication")?,
            details: f.dict("Details")?,
            payload: f.payload()?,
        },
        Code::Call => Message::Call {
            request: f.id("Request")?,
            options: f.dict("Options")?,
            procedure: f.string("Procedure")?,
            payload: f.payload()?,
        },
        Code::Cancel => {
            Message::Cancel { request: f.id("CALL.Request")?, options: f.dict("Options")? }
        }
        Code::Result => Message::Result {
            request: f.id("CALL.Request")?,
            details: f.dict("Details")?,
            payload: f.payload()?,
        },
        Code::Register => Message::Register {
            request: f.id("Request")?,
            options: f.dict("Options")?,
            procedure: f.string("Procedure")?,
        },
        Code::Registered => Message::Registered {
            request: f.id("REGISTER.Request")?,
            registration: f.id("Registration")?,
        },
        Code::Unregister => Message::Unregister {
            request: f.id("Request")?,
            registration: f.id("REGISTERED.Registration")?,
        },
        Code::Unregistered => Message::Unregistered {
            request: f.id_or_zero("UNREGISTER.Request")?,
            details: f.optional_dict("Details")?,
        },
        Code::Invocation => Message::Invocation {
            request: f.id("Request")?,
            registration: f.id("REGISTERED.Registration")?,
            details: f.dict("Details")?,
            payload: f.payload()?,
        },
        Code::Interrupt => {
            Message::Interrupt { request: f.id("INVOCATION.Request")?, options: f.dict("Options")? }
        }
        Code::Yield => Message::Yield {
            request: f.id("INVOCATION.Request")?,
            options: f.dict("Options")?,
            payload: f.payload()?,
        },
    })
}

/// The fewest and most elements a message has, its code included.
fn arity(code: Code) -> (usize, usize) {
    match code {
        Code::Subscribe | Code::Register => (4, 4),
        Code::Unsubscribed | Code::Unregistered => (2, 3),
        Code::Error => (5, 7),
        Code::Publish | Code::Event | Code::Call | Code::Invocation => (4, 6),
        Code::Result | Code::Yield => (3, 5),
        _ => (3, 3),
    }
}

/// The fields after the code, taken in order.
struct Fields {
    message: &'static str,
    items: std::iter::Skip<std::vec::IntoIter<Value>>,
}

impl Fields {
    fn next(&mut self) -> Value {
        // The arity was checked: a required field is always there.
        self.items.next().unwrap_or(Value::Null)
    }

    fn wrong(&self, field: &'static str, expected: &'static str, found: &Value) -> DecodeError {
        DecodeError::FieldType { message: self.message, field, expected, found: found.kind() }
    }

    fn id(&mut self, field: &'static str) -> Result<Id, DecodeError> {
        let value = self.next();
        let n = value.as_u64().ok_or_else(|| self.wrong(field, "an integer", &value))?;
        Id::new(n).ok_or(DecodeError::IdOutOfRange { message: self.message, field })
    }

    /// An ID, or 0 (`None`): where the router answers no request.
    fn id_or_zero(&mut self, field: &'static str) -> Result<Option<Id>, DecodeError> {
        let value = self.next();
        match value.as_u64() {
            Some(0) => Ok(None),
            Some(n) => Id::new(n)
                .map(Some)
                .ok_or(DecodeError::IdOutOfRange { message: self.message, field }),
            None => Err(self.wrong(field, "an integer", &value)),
        }
    }

    fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let value = self.next();
        value.as_u64().ok_or_else(|| self.wrong(field, "a non-negative integer", &value))
    }

    fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        match self.next() {
            Value::Str(text) => Ok(text),
            other => Err(self.wrong(field, "a string", &other)),
        }
    }

    fn dict(&mut self, field: &'static str) -> Result<Dict, DecodeError> {
        match self.next() {
            Value::Dict(dict) => Ok(dict),
            other => Err(self.wrong(field, "a dictionary", &other)),
        }
    }

    fn optional_dict(&mut self, field: &'static str) -> Result<Option<Dict>, DecodeError> {
        match self.items.next() {
            None => Ok(None),
            Some(Value::Dict(dict)) => Ok(Some(dict)),
            Some(other) => Err(self.wrong(field, "a dictionary", &other)),
        }
    }

    /// Arguments|list and ArgumentsKw|dict, each if present.
    fn payload(&mut self) -> Result<Payload, DecodeError> {
        let args = match self.items.next() {
            None => None,
            Some(Value::List(args)) => Some(args),
            Some(other) => return Err(self.wrong("Arguments", "a list", &other)),
        };
        let kwargs = match self.items.next() {
            None => None,
            Some(Value::Dict(kwargs)) => Some(kwargs),
            Some(other) => return Err(self.wrong("ArgumentsKw", "a dictionary", &other)),
        };
        Ok(Payload { args, kwargs })
    }
}
