//! Reading a WAMP v1 message from its list form, field by field.

use super::error::DecodeError;
use super::message::{Exclude, Message, MessageType};
use crate::value::Value;

/// What a list of session IDs must be.
const SESSION_IDS: &str = "a list of session IDs (strings)";

/// Reads `value` as a message.
pub(super) fn message(value: Value) -> Result<Message, DecodeError> {
    let Value::List(items) = value else { return Err(DecodeError::NotAList) };
    let Some(first) = items.first() else { return Err(DecodeError::NotAList) };
    let Some(kind) = first.as_u64().and_then(MessageType::from_number) else {
        return Err(DecodeError::UnknownType(shown(first)));
    };
    let (least, most) = arity(kind);
    if !(least..=most).contains(&items.len()) {
        return Err(DecodeError::Arity { message: kind.name(), len: items.len() });
    }
    let mut f = Fields { message: kind.name(), items: items.into_iter().skip(1) };
    Ok(match kind {
        MessageType::Welcome => Message::Welcome {
            session_id: f.string("sessionId")?,
            protocol_version: f.uint("protocolVersion")?,
            server_ident: f.string("serverIdent")?,
        },
        MessageType::Prefix => {
            Message::Prefix { prefix: f.string("prefix")?, uri: f.string("URI")? }
        }
        MessageType::Call => Message::Call {
            call_id: f.string("callID")?,
            proc_uri: f.string("procURI")?,
            args: f.items.collect(),
        },
        MessageType::CallResult => {
            Message::CallResult { call_id: f.string("callID")?, result: f.any() }
        }
        MessageType::CallError => Message::CallError {
            call_id: f.string("callID")?,
            error_uri: f.string("errorURI")?,
            error_desc: f.string("errorDesc")?,
            error_details: f.items.next(),
        },
        MessageType::Subscribe => Message::Subscribe { topic_uri: f.string("topicURI")? },
        MessageType::Unsubscribe => Message::Unsubscribe { topic_uri: f.string("topicURI")? },
        MessageType::Publish => Message::Publish {
            topic_uri: f.string("topicURI")?,
            event: f.any(),
            exclude: f.exclude()?,
            eligible: f.items.next().map(|v| f.session_ids("eligible", v)).transpose()?,
        },
        MessageType::Event => Message::Event { topic_uri: f.string("topicURI")?, event: f.any() },
    })
}

/// How many elements each message may have, its type included.
fn arity(kind: MessageType) -> (usize, usize) {
    match kind {
        MessageType::Welcome => (4, 4),
        MessageType::Prefix | MessageType::CallResult | MessageType::Event => (3, 3),
        MessageType::Call => (3, usize::MAX),
        MessageType::CallError => (4, 5),
        MessageType::Subscribe | MessageType::Unsubscribe => (2, 2),
        MessageType::Publish => (3, 5),
    }
}

/// A non-type as the error shows it: a number as written, anything else by kind.
fn shown(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::UInt(n) => n.to_string(),
        other => other.kind().to_owned(),
    }
}

/// The fields of one message, taken in order (the arity is checked first,
/// so each required field is there).
struct Fields<I> {
    message: &'static str,
    items: I,
}

impl<I: Iterator<Item = Value>> Fields<I> {
    fn next(&mut self) -> Value {
        self.items.next().expect("the arity was checked")
    }

    fn wrong(&self, field: &'static str, expected: &'static str, found: &Value) -> DecodeError {
        DecodeError::FieldType { message: self.message, field, expected, found: found.kind() }
    }

    fn any(&mut self) -> Value {
        self.next()
    }

    fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        match self.next() {
            Value::Str(text) => Ok(text),
            other => Err(self.wrong(field, "a string", &other)),
        }
    }

    fn uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let value = self.next();
        value.as_u64().ok_or_else(|| self.wrong(field, "a non-negative integer", &value))
    }

    /// PUBLISH's fourth element, if any: `excludeMe` (a boolean, or null)
    /// or `exclude` (session IDs).
    fn exclude(&mut self) -> Result<Exclude, DecodeError> {
        match self.items.next() {
            None => Ok(Exclude::Unspecified),
            Some(Value::Bool(me)) => Ok(Exclude::Me(me)),
            Some(Value::Null) => Ok(Exclude::Me(false)),
            Some(list @ Value::List(_)) => {
                Ok(Exclude::Sessions(self.session_ids("exclude", list)?))
            }
            Some(other) => {
                Err(self.wrong("exclude", "a boolean (excludeMe) or a list of session IDs", &other))
            }
        }
    }

    fn session_ids(&self, field: &'static str, value: Value) -> Result<Vec<String>, DecodeError> {
        let Value::List(items) = value else { return Err(self.wrong(field, SESSION_IDS, &value)) };
        items
            .into_iter()
            .map(|item| match item {
                Value::Str(id) => Ok(id),
                other => Err(self.wrong(field, SESSION_IDS, &other)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Message, DecodeError> {
        Message::parse(text)
    }

    fn field(message: &'static str, field: &'static str, expected: &'static str) -> DecodeError {
        // `found` differs per case; compared without it below.
        DecodeError::FieldType { message, field, expected, found: "" }
    }

    /// The error without what was found, to compare with [`field`].
    fn rule(error: DecodeError) -> DecodeError {
        match error {
            DecodeError::FieldType { message, field, expected, .. } => {
                DecodeError::FieldType { message, field, expected, found: "" }
            }
            other => other,
        }
    }

    #[test]
    fn every_form_of_publish_is_read() {
        let publish = |exclude, eligible| Message::Publish {
            topic_uri: "t".into(),
            event: Value::from("e"),
            exclude,
            eligible,
        };
        assert_eq!(read(r#"[7,"t","e"]"#), Ok(publish(Exclude::Unspecified, None)));
        assert_eq!(read(r#"[7,"t","e",true]"#), Ok(publish(Exclude::Me(true), None)));
        assert_eq!(read(r#"[7,"t","e",false]"#), Ok(publish(Exclude::Me(false), None)));
        assert_eq!(read(r#"[7,"t","e",null]"#), Ok(publish(Exclude::Me(false), None)));
        let ids = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            read(r#"[7,"t","e",["a","b"]]"#),
            Ok(publish(Exclude::Sessions(ids(&["a", "b"])), None))
        );
        assert_eq!(
            read(r#"[7,"t","e",[],["c"]]"#),
            Ok(publish(Exclude::Sessions(vec![]), Some(ids(&["c"]))))
        );
        assert_eq!(read(r#"[7,"t","e",true,[]]"#), Ok(publish(Exclude::Me(true), Some(vec![]))));
    }

    #[test]
    fn a_call_keeps_every_argument_as_given() {
        let call = read(r#"[2,"id","p",1,[2,3],{"k":null}]"#).unwrap();
        let Message::Call { call_id, proc_uri, args } = call else { panic!("a call") };
        assert_eq!((call_id.as_str(), proc_uri.as_str(), args.len()), ("id", "p", 3));
        assert_eq!(args[1], Value::List(vec![Value::Int(2), Value::Int(3)]));
        assert_eq!(
            read(r#"[2,"id","p"]"#),
            Ok(Message::Call { call_id: "id".into(), proc_uri: "p".into(), args: vec![] })
        );
    }

    #[test]
    fn what_is_not_a_message_is_named() {
        assert!(matches!(read("{"), Err(DecodeError::NotJson(_))));
        assert!(matches!(read(""), Err(DecodeError::NotJson(_))));
        for text in [r#"{"a":1}"#, "[]", "5", r#""x""#, "null"] {
            assert_eq!(read(text), Err(DecodeError::NotAList), "{text}");
        }
        assert_eq!(read("[9]"), Err(DecodeError::UnknownType("9".into())));
        assert_eq!(read("[-1]"), Err(DecodeError::UnknownType("-1".into())));
        assert_eq!(read(r#"["2"]"#), Err(DecodeError::UnknownType("a string".into())));
        assert_eq!(read("[2.0]"), Err(DecodeError::UnknownType("a float".into())));
    }

    #[test]
    fn every_message_has_its_arity() {
        let cases = [
            (r#"[0,"s",1]"#, "WELCOME", 3),
            (r#"[0,"s",1,"x",2]"#, "WELCOME", 5),
            (r#"[1,"p"]"#, "PREFIX", 2),
            (r#"[1,"p","u","x"]"#, "PREFIX", 4),
            (r#"[2,"id"]"#, "CALL", 2),
            ("[2]", "CALL", 1),
            (r#"[3,"id"]"#, "CALLRESULT", 2),
            (r#"[3,"id",1,2]"#, "CALLRESULT", 4),
            (r#"[4,"id","u"]"#, "CALLERROR", 3),
            (r#"[4,"id","u","d",{},1]"#, "CALLERROR", 6),
            ("[5]", "SUBSCRIBE", 1),
            (r#"[5,"t","u"]"#, "SUBSCRIBE", 3),
            (r#"[6,"t",1]"#, "UNSUBSCRIBE", 3),
            (r#"[7,"t"]"#, "PUBLISH", 2),
            (r#"[7,"t","e",[],[],1]"#, "PUBLISH", 6),
            (r#"[8,"t"]"#, "EVENT", 2),
        ];
        for (text, message, len) in cases {
            assert_eq!(read(text), Err(DecodeError::Arity { message, len }), "{text}");
        }
    }

    #[test]
    fn every_field_has_its_type() {
        let ids = SESSION_IDS;
        let cases = [
            (r#"[0,1,1,"x"]"#, field("WELCOME", "sessionId", "a string")),
            (r#"[0,"s","1","x"]"#, field("WELCOME", "protocolVersion", "a non-negative integer")),
            (r#"[0,"s",-1,"x"]"#, field("WELCOME", "protocolVersion", "a non-negative integer")),
            (r#"[0,"s",1,null]"#, field("WELCOME", "serverIdent", "a string")),
            (r#"[1,1,"u"]"#, field("PREFIX", "prefix", "a string")),
            (r#"[1,"p",["u"]]"#, field("PREFIX", "URI", "a string")),
            (r#"[2,7,"p"]"#, field("CALL", "callID", "a string")),
            (r#"[2,"id",{}]"#, field("CALL", "procURI", "a string")),
            (r#"[3,null,1]"#, field("CALLRESULT", "callID", "a string")),
            (r#"[4,"id",1,"d"]"#, field("CALLERROR", "errorURI", "a string")),
            (r#"[4,"id","u",false]"#, field("CALLERROR", "errorDesc", "a string")),
            ("[5,5]", field("SUBSCRIBE", "topicURI", "a string")),
            ("[6,true]", field("UNSUBSCRIBE", "topicURI", "a string")),
            (r#"[7,1,"e"]"#, field("PUBLISH", "topicURI", "a string")),
            (
                r#"[7,"t","e","me"]"#,
                field("PUBLISH", "exclude", "a boolean (excludeMe) or a list of session IDs"),
            ),
            (r#"[7,"t","e",[1]]"#, field("PUBLISH", "exclude", ids)),
            (r#"[7,"t","e",[],true]"#, field("PUBLISH", "eligible", ids)),
            (r#"[7,"t","e",[],[null]]"#, field("PUBLISH", "eligible", ids)),
            (r#"[7,"t","e",[],null]"#, field("PUBLISH", "eligible", ids)),
            (r#"[8,{},"e"]"#, field("EVENT", "topicURI", "a string")),
        ];
        for (text, expected) in cases {
            assert_eq!(read(text).map_err(rule), Err(expected), "{text}");
        }
        let found = read(r#"[5,{"a":1}]"#).unwrap_err();
        assert_eq!(found.to_string(), "SUBSCRIBE: topicURI must be a string, not a dictionary");
    }
}
