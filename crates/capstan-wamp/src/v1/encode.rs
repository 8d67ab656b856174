//! Writing a WAMP v1 message in its list form.

use super::message::{Exclude, Message};
use crate::value::Value;

/// The list form of `message`.
pub(super) fn message(message: &Message) -> Value {
    let mut items = vec![Value::from(message.message_type().number())];
    let text = |s: &String| Value::Str(s.clone());
    match message {
        Message::Welcome { session_id, protocol_version, server_ident } => {
            items.extend([text(session_id), Value::from(*protocol_version), text(server_ident)])
        }
        Message::Prefix { prefix, uri } => items.extend([text(prefix), text(uri)]),
        Message::Call { call_id, proc_uri, args } => {
            items.extend([text(call_id), text(proc_uri)]);
            items.extend(args.iter().cloned());
        }
        Message::CallResult { call_id, result } => items.extend([text(call_id), result.clone()]),
        Message::CallError { call_id, error_uri, error_desc, error_details } => {
            items.extend([text(call_id), text(error_uri), text(error_desc)]);
            items.extend(error_details.iter().cloned());
        }
        Message::Subscribe { topic_uri } | Message::Unsubscribe { topic_uri } => {
            items.push(text(topic_uri));
        }
        Message::Publish { topic_uri, event, exclude, eligible } => {
            items.extend([text(topic_uri), event.clone()]);
            let exclude = match exclude {
                Exclude::Unspecified if eligible.is_none() => None,
                Exclude::Unspecified => Some(Value::List(Vec::new())),
                Exclude::Me(me) => Some(Value::Bool(*me)),
                Exclude::Sessions(ids) => Some(session_ids(ids)),
            };
            items.extend(exclude);
            items.extend(eligible.as_deref().map(session_ids));
        }
        Message::Event { topic_uri, event } => items.extend([text(topic_uri), event.clone()]),
    }
    Value::List(items)
}

fn session_ids(ids: &[String]) -> Value {
    Value::List(ids.iter().map(|id| Value::Str(id.clone())).collect())
}

/// The JSON text of `[8, topicURI, event]`, from borrowed parts: what a
/// topic serializes once for all its subscribers.
pub(super) fn event_text(topic_uri: &str, event: &Value) -> String {
    let items = [
        serde_json::Value::from(super::MessageType::Event.number()),
        serde_json::Value::from(topic_uri),
        super::json::to_json(event),
    ];
    serde_json::Value::Array(items.into()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::MessageType;

    fn round_trip(message: Message, text: &str) {
        assert_eq!(message.to_text(), text);
        assert_eq!(Message::parse(text).as_ref(), Ok(&message), "{text}");
    }

    #[test]
    fn every_message_round_trips() {
        let s = |text: &str| text.to_owned();
        let ids = |list: &[&str]| list.iter().map(|id| s(id)).collect::<Vec<_>>();
        let event = Value::Dict([(s("n"), Value::Int(1))].into());
        let messages = [
            (
                Message::Welcome {
                    session_id: s("42"),
                    protocol_version: 1,
                    server_ident: s("Capstan/0.1.0"),
                },
                r#"[0,"42",1,"Capstan/0.1.0"]"#,
            ),
            (
                Message::Prefix { prefix: s("calc"), uri: s("http://x/calc#") },
                r#"[1,"calc","http://x/calc#"]"#,
            ),
            (
                Message::Call {
                    call_id: s("c1"),
                    proc_uri: s("calc:add"),
                    args: vec![1i64.into(), 2i64.into()],
                },
                r#"[2,"c1","calc:add",1,2]"#,
            ),
            (Message::Call { call_id: s("c2"), proc_uri: s("p"), args: vec![] }, r#"[2,"c2","p"]"#),
            (Message::CallResult { call_id: s("c1"), result: 3i64.into() }, r#"[3,"c1",3]"#),
            (Message::CallResult { call_id: s("c1"), result: Value::Null }, r#"[3,"c1",null]"#),
            (
                Message::CallError {
                    call_id: s("c1"),
                    error_uri: s("u"),
                    error_desc: s("d"),
                    error_details: None,
                },
                r#"[4,"c1","u","d"]"#,
            ),
            (
                Message::CallError {
                    call_id: s("c1"),
                    error_uri: s("u"),
                    error_desc: s("d"),
                    error_details: Some(Value::List(vec![])),
                },
                r#"[4,"c1","u","d",[]]"#,
            ),
            (Message::Subscribe { topic_uri: s("t") }, r#"[5,"t"]"#),
            (Message::Unsubscribe { topic_uri: s("t") }, r#"[6,"t"]"#),
            (
                Message::Publish {
                    topic_uri: s("t"),
                    event: event.clone(),
                    exclude: Exclude::Unspecified,
                    eligible: None,
                },
                r#"[7,"t",{"n":1}]"#,
            ),
            (
                Message::Publish {
                    topic_uri: s("t"),
                    event: Value::Null,
                    exclude: Exclude::Me(true),
                    eligible: None,
                },
                r#"[7,"t",null,true]"#,
            ),
            (
                Message::Publish {
                    topic_uri: s("t"),
                    event: Value::Null,
                    exclude: Exclude::Sessions(ids(&["a"])),
                    eligible: None,
                },
                r#"[7,"t",null,["a"]]"#,
            ),
            (
                Message::Publish {
                    topic_uri: s("t"),
                    event: Value::Null,
                    exclude: Exclude::Sessions(ids(&["a"])),
                    eligible: Some(ids(&["b", "c"])),
                },
                r#"[7,"t",null,["a"],["b","c"]]"#,
            ),
            (Message::Event { topic_uri: s("t"), event }, r#"[8,"t",{"n":1}]"#),
        ];
        let mut seen = std::collections::HashSet::new();
        for (message, text) in messages {
            seen.insert(message.message_type());
            round_trip(message, text);
        }
        assert_eq!(seen.len(), MessageType::ALL.len(), "every type is covered");
    }

    #[test]
    fn an_unspecified_exclude_before_an_eligible_list_is_written_empty() {
        let message = Message::Publish {
            topic_uri: "t".into(),
            event: Value::Null,
            exclude: Exclude::Unspecified,
            eligible: Some(vec!["b".into()]),
        };
        assert_eq!(message.to_text(), r#"[7,"t",null,[],["b"]]"#);
    }

    #[test]
    fn an_event_from_borrowed_parts_is_the_event_message() {
        let event = Value::List(vec![Value::from("x"), Value::Float(0.5)]);
        let message = Message::Event { topic_uri: "http://x/t".into(), event: event.clone() };
        assert_eq!(event_text("http://x/t", &event), message.to_text());
    }
}
