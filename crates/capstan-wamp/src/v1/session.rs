//! One WAMP v1 connection's protocol state, without I/O: its session ID
//! and CURIE prefixes. Fed what the client sent, it says what the
//! application is to be told — URIs expanded, `excludeMe` turned into the
//! session's own ID — or how to refuse it. A v2 router hosting v1 clients
//! can drive it as the v1 server does.

use super::curie::Prefixes;
use super::error::DecodeError;
use super::json;
use super::message::{Exclude, Message, MessageType};
use crate::value::Value;

/// The error URI of the CALLERROR that answers a CALL the server cannot
/// read past its call ID (the one WAMP v1's reference implementation,
/// autobahn, uses for bad arguments).
pub const ERROR_INVALID_ARGUMENT: &str = "http://api.wamp.ws/error#invalid-argument";

/// What a client's message asks of the application, CURIEs expanded.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// A PREFIX, already recorded by the session (the application is not
    /// told, as in Ratchet).
    Prefix {
        /// The prefix declared.
        prefix: String,
        /// The URI it stands for.
        uri: String,
    },
    /// A CALL.
    Call {
        /// The client's ID for the call.
        call_id: String,
        /// The procedure's URI.
        proc_uri: String,
        /// The arguments, as many as given.
        args: Vec<Value>,
    },
    /// A SUBSCRIBE.
    Subscribe {
        /// The topic's URI.
        topic_uri: String,
    },
    /// An UNSUBSCRIBE.
    Unsubscribe {
        /// The topic's URI.
        topic_uri: String,
    },
    /// A PUBLISH, with Ratchet's reading of who receives it.
    Publish {
        /// The topic's URI.
        topic_uri: String,
        /// The event.
        event: Value,
        /// Session IDs left out: the publisher's own for `excludeMe`
        /// true; none for false, null, or when not given.
        exclude: Vec<String>,
        /// The only session IDs that may receive it; empty: any.
        eligible: Vec<String>,
    },
}

/// How a message the session cannot take is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A CALL readable up to its call ID: answered with CALLERROR
    /// ([`ERROR_INVALID_ARGUMENT`]); the connection goes on.
    CallError {
        /// The call to answer.
        call_id: String,
        /// What was wrong with it.
        error: DecodeError,
    },
    /// Anything else: close the connection with the error's close code and
    /// its text as the reason.
    Close(DecodeError),
}

impl Refusal {
    /// What broke the rules.
    pub fn error(&self) -> &DecodeError {
        match self {
            Self::CallError { error, .. } | Self::Close(error) => error,
        }
    }

    /// The CALLERROR to send, for a refused CALL.
    pub fn answer(&self) -> Option<Message> {
        let Self::CallError { call_id, error } = self else { return None };
        Some(Message::CallError {
            call_id: call_id.clone(),
            error_uri: ERROR_INVALID_ARGUMENT.to_owned(),
            error_desc: error.to_string(),
            error_details: None,
        })
    }
}

/// A WAMP v1 session's state.
#[derive(Debug, Clone)]
pub struct Session {
    id: String,
    prefixes: Prefixes,
}

impl Session {
    /// The protocol version WELCOME announces.
    pub const PROTOCOL_VERSION: u64 = 1;

    /// A session with ID `id` and no prefixes.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), prefixes: Prefixes::new() }
    }

    /// The session's ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The WELCOME the server sends first, unasked.
    pub fn welcome(&self, server_ident: &str) -> Message {
        Message::Welcome {
            session_id: self.id.clone(),
            protocol_version: Self::PROTOCOL_VERSION,
            server_ident: server_ident.to_owned(),
        }
    }

    /// The prefixes declared so far, by either side.
    pub fn prefixes(&self) -> &Prefixes {
        &self.prefixes
    }

    /// Records a prefix the server declares (it then sends the client the
    /// PREFIX too); not bounded, unlike a client's.
    pub fn declare_prefix(&mut self, prefix: &str, uri: &str) {
        self.prefixes.set(prefix, uri);
    }

    /// Takes a WebSocket message from the client.
    pub fn receive(&mut self, message: &capstan::Message) -> Result<Inbound, Refusal> {
        match message.as_text() {
            Some(text) => self.receive_text(text),
            None => Err(Refusal::Close(DecodeError::NotText)),
        }
    }

    /// Takes a message's JSON text.
    pub fn receive_text(&mut self, text: &str) -> Result<Inbound, Refusal> {
        let value = json::parse(text).map_err(|why| Refusal::Close(DecodeError::NotJson(why)))?;
        let call_id = call_id_of(&value);
        match Message::from_value(value) {
            Ok(message) => self.receive_message(message),
            Err(error) => match call_id {
                Some(call_id) => Err(Refusal::CallError { call_id, error }),
                None => Err(Refusal::Close(error)),
            },
        }
    }

    /// Takes a message already read.
    pub fn receive_message(&mut self, message: Message) -> Result<Inbound, Refusal> {
        let expand = |uri: String| self.prefixes.expand_owned(uri);
        Ok(match message {
            Message::Prefix { prefix, uri } => {
                self.prefixes.set_within_limit(&prefix, &uri).map_err(Refusal::Close)?;
                Inbound::Prefix { prefix, uri }
            }
            Message::Call { call_id, proc_uri, args } => {
                Inbound::Call { call_id, proc_uri: expand(proc_uri), args }
            }
            Message::Subscribe { topic_uri } => Inbound::Subscribe { topic_uri: expand(topic_uri) },
            Message::Unsubscribe { topic_uri } => {
                Inbound::Unsubscribe { topic_uri: expand(topic_uri) }
            }
            Message::Publish { topic_uri, event, exclude, eligible } => Inbound::Publish {
                topic_uri: expand(topic_uri),
                event,
                exclude: match exclude {
                    Exclude::Unspecified | Exclude::Me(false) => Vec::new(),
                    Exclude::Me(true) => vec![self.id.clone()],
                    Exclude::Sessions(ids) => ids,
                },
                eligible: eligible.unwrap_or_default(),
            },
            other => {
                let message = other.message_type().name();
                return Err(Refusal::Close(DecodeError::NotFromClients { message }));
            }
        })
    }
}

/// The call ID of what looks like a CALL (`[2, "id", …]`), to answer it
/// even when the rest cannot be read.
fn call_id_of(value: &Value) -> Option<String> {
    let [kind, id, ..] = value.as_list()? else { return None };
    let is_call = kind.as_u64() == Some(MessageType::Call.number());
    is_call.then(|| id.as_str().map(str::to_owned)).flatten()
}

#[cfg(test)]
mod tests {
    use capstan::CloseCode;

    use super::*;

    fn session() -> Session {
        let mut session = Session::new("me");
        session.receive_text(r#"[1,"ev","http://example.com/event#"]"#).unwrap();
        session
    }

    #[test]
    fn welcome_names_the_session_and_version_1() {
        let text = Session::new("s1").welcome("Capstan/0.1.0").to_text();
        assert_eq!(text, r#"[0,"s1",1,"Capstan/0.1.0"]"#);
    }

    #[test]
    fn curies_are_expanded_in_call_subscribe_unsubscribe_and_publish() {
        let mut s = session();
        assert_eq!(
            s.receive_text(r#"[2,"c","ev:add",1]"#),
            Ok(Inbound::Call {
                call_id: "c".into(),
                proc_uri: "http://example.com/event#add".into(),
                args: vec![Value::Int(1)],
            })
        );
        let topic_uri = "http://example.com/event#t".to_owned();
        assert_eq!(
            s.receive_text(r#"[5,"ev:t"]"#),
            Ok(Inbound::Subscribe { topic_uri: topic_uri.clone() })
        );
        assert_eq!(
            s.receive_text(r#"[6,"ev:t"]"#),
            Ok(Inbound::Unsubscribe { topic_uri: topic_uri.clone() })
        );
        let Ok(Inbound::Publish { topic_uri: published, .. }) = s.receive_text(r#"[7,"ev:t",1]"#)
        else {
            panic!("a publish")
        };
        assert_eq!(published, topic_uri);
        // Full URIs and unknown prefixes pass as they are.
        assert_eq!(
            s.receive_text(r#"[5,"http://example.com/x"]"#),
            Ok(Inbound::Subscribe { topic_uri: "http://example.com/x".into() })
        );
        assert_eq!(
            s.receive_text(r#"[5,"nope:x"]"#),
            Ok(Inbound::Subscribe { topic_uri: "nope:x".into() })
        );
    }

    #[test]
    fn a_prefix_is_recorded_and_reported() {
        let mut s = Session::new("me");
        assert_eq!(
            s.receive_text(r#"[1,"p","http://a/"]"#),
            Ok(Inbound::Prefix { prefix: "p".into(), uri: "http://a/".into() })
        );
        assert_eq!(s.prefixes().get("p"), Some("http://a/"));
        s.declare_prefix("q", "http://b/");
        assert_eq!(
            s.receive_text(r#"[5,"q:x"]"#),
            Ok(Inbound::Subscribe { topic_uri: "http://b/x".into() })
        );
    }

    #[test]
    fn exclude_me_becomes_the_publishers_own_id() {
        let mut s = session();
        let mut publish = |text: &str| match s.receive_text(text) {
            Ok(Inbound::Publish { exclude, eligible, .. }) => (exclude, eligible),
            other => panic!("{text}: {other:?}"),
        };
        let none: Vec<String> = Vec::new();
        let ids = |list: &[&str]| list.iter().map(|id| id.to_string()).collect::<Vec<_>>();
        assert_eq!(publish(r#"[7,"t",1]"#), (none.clone(), none.clone()));
        assert_eq!(publish(r#"[7,"t",1,true]"#), (ids(&["me"]), none.clone()));
        assert_eq!(publish(r#"[7,"t",1,false]"#), (none.clone(), none.clone()));
        assert_eq!(publish(r#"[7,"t",1,null]"#), (none.clone(), none.clone()));
        assert_eq!(publish(r#"[7,"t",1,["a","b"]]"#), (ids(&["a", "b"]), none.clone()));
        assert_eq!(publish(r#"[7,"t",1,[],["c"]]"#), (none.clone(), ids(&["c"])));
        assert_eq!(publish(r#"[7,"t",1,true,["c"]]"#), (ids(&["me"]), ids(&["c"])));
    }

    #[test]
    fn a_call_readable_up_to_its_id_is_answered_with_callerror() {
        let mut s = session();
        for text in [r#"[2,"c9"]"#, r#"[2,"c9",17]"#, r#"[2,"c9",null,1]"#] {
            let refusal = s.receive_text(text).unwrap_err();
            let Some(Message::CallError { call_id, error_uri, error_desc, error_details }) =
                refusal.answer()
            else {
                panic!("{text}: {refusal:?}")
            };
            assert_eq!((call_id.as_str(), error_uri.as_str()), ("c9", ERROR_INVALID_ARGUMENT));
            assert!(error_desc.starts_with("CALL"), "{error_desc}");
            assert_eq!(error_details, None);
        }
    }

    #[test]
    fn anything_else_unreadable_closes_with_its_code() {
        let mut s = session();
        let cases = [
            (r#"{"not":"a list"}"#, 1007),
            ("[2]", 1007),
            (r#"[2,5,"p"]"#, 1007),
            ("[true]", 1007),
            ("[42]", 1007),
            (r#"[5,"t","extra"]"#, 1007),
            (r#"[7,"t",1,"x"]"#, 1007),
            ("not json", 1007),
            (r#"[0,"s",1,"x"]"#, 1007),
            (r#"[3,"c",1]"#, 1007),
            (r#"[4,"c","u","d"]"#, 1007),
            (r#"[8,"t",1]"#, 1007),
        ];
        for (text, code) in cases {
            let refusal = s.receive_text(text).unwrap_err();
            assert!(refusal.answer().is_none(), "{text}");
            assert!(matches!(refusal, Refusal::Close(_)), "{text}");
            assert_eq!(refusal.error().close_code(), CloseCode(code), "{text}");
        }
        let only_servers = s.receive_text(r#"[8,"t",1]"#).unwrap_err();
        assert_eq!(only_servers.error().to_string(), "only a server sends EVENT");
        let binary = s.receive(&capstan::Message::binary(&b"[5,\"t\"]"[..])).unwrap_err();
        assert_eq!(binary, Refusal::Close(DecodeError::NotText));
        assert_eq!(binary.error().close_code(), CloseCode::UNSUPPORTED_DATA);
        let text = s.receive(&capstan::Message::text("[5,\"t\"]"));
        assert_eq!(text, Ok(Inbound::Subscribe { topic_uri: "t".into() }));
    }

    #[test]
    fn too_many_prefixes_close_the_connection() {
        let mut s = Session::new("me");
        for n in 0..Prefixes::LIMIT {
            s.receive_text(&format!(r#"[1,"p{n}","http://a/"]"#)).unwrap();
        }
        let refusal = s.receive_text(r#"[1,"more","http://a/"]"#).unwrap_err();
        assert_eq!(refusal.error().close_code(), CloseCode::POLICY_VIOLATION);
    }
}
