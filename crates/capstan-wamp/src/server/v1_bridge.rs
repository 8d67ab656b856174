//! A WAMP v1 client (subprotocol `wamp`, Ratchet's generation) as a session
//! of the v2 router: its CALL, SUBSCRIBE, UNSUBSCRIBE and PUBLISH become v2
//! messages of its session, and what the router sends it becomes CALLRESULT,
//! CALLERROR and EVENT. So v1 and v2 clients of one realm call each other's
//! procedures and see each other's publications.
//!
//! The mapping:
//! - a v1 topic or procedure URI becomes a v2 URI by turning `#` (which v2
//!   URIs may not hold) into `.`: `http://example.com/chat#room1` is
//!   `http://example.com/chat.room1` to v2 clients; CURIEs are expanded
//!   first. A v1 subscriber is always told the URI it subscribed with.
//! - a v1 event is a v2 publication with one positional argument; a v2
//!   event reaches a v1 subscriber as its one argument, or its argument
//!   list if it has several, or its keyword arguments if it has only
//!   those (null if none).
//! - v1 `exclude` and `eligible` lists name session IDs, which are the
//!   v2 session IDs in decimal; `excludeMe` is v2's `exclude_me`; a PUBLISH
//!   without it excludes nobody (Ratchet's reading).
//! - a CALL's arguments are the v2 call's positional arguments; its result
//!   is the v2 result as above; a v2 error is CALLERROR with the error URI,
//!   the first argument as the description (or the URI) and the second, or
//!   the keyword arguments, as details.

use std::collections::HashMap;

use crate::id::Id;
use crate::message::{Code, Message, Payload};
use crate::v1::{self, Inbound};
use crate::value::{Dict, Value};

/// What the router's message means for the v1 client.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Translated {
    /// Send it this.
    Send(v1::Message),
    /// Close its connection (the router ended its session).
    Close,
    /// Nothing for it (bookkeeping, or a v2 feature v1 does not have).
    Nothing,
}

/// One v1 client's side of the bridge.
#[derive(Debug)]
pub(super) struct V1Bridge {
    /// Its v1 session: CURIE prefixes, message checks.
    pub(super) session: v1::Session,
    next_request: u64,
    /// CALLs in flight: v2 request → v1 call ID.
    calls: HashMap<Id, String>,
    /// SUBSCRIBEs in flight: v2 request → v1 topic URI.
    subscribing: HashMap<Id, String>,
    /// Its subscriptions: v2 subscription → the v1 URIs subscribed to it.
    subscriptions: HashMap<Id, Vec<String>>,
}

impl V1Bridge {
    /// A client whose session is `session` (the v2 session ID, in decimal).
    pub(super) fn new(session: v1::Session) -> Self {
        Self {
            session,
            next_request: 0,
            calls: HashMap::new(),
            subscribing: HashMap::new(),
            subscriptions: HashMap::new(),
        }
    }

    fn request(&mut self) -> Id {
        self.next_request = self.next_request % crate::id::MAX_ID + 1;
        Id::new(self.next_request).expect("within 1..=2^53")
    }

    /// The v2 message for what the client asked, if any.
    pub(super) fn inbound(&mut self, inbound: Inbound) -> Option<Message> {
        match inbound {
            Inbound::Prefix { .. } => None,
            Inbound::Call { call_id, proc_uri, args } => {
                let request = self.request();
                self.calls.insert(request, call_id);
                Some(Message::Call {
                    request,
                    options: Dict::new(),
                    procedure: v2_uri(&proc_uri),
                    payload: Payload::args(args),
                })
            }
            Inbound::Subscribe { topic_uri } => {
                let request = self.request();
                let topic = v2_uri(&topic_uri);
                self.subscribing.insert(request, topic_uri);
                Some(Message::Subscribe { request, options: Dict::new(), topic })
            }
            Inbound::Unsubscribe { topic_uri } => {
                let (&subscription, uris) =
                    self.subscriptions.iter_mut().find(|(_, uris)| uris.contains(&topic_uri))?;
                uris.retain(|uri| *uri != topic_uri);
                if !uris.is_empty() {
                    // Another of its v1 URIs maps to the same v2 subscription.
                    return None;
                }
                self.subscriptions.remove(&subscription);
                Some(Message::Unsubscribe { request: self.request(), subscription })
            }
            Inbound::Publish { topic_uri, event, exclude, eligible } => {
                let me = self.session.id().to_owned();
                let ids = |list: &[String]| {
                    let ids = list.iter().filter_map(|s| s.parse().ok()).filter_map(Id::new);
                    Value::List(ids.map(Value::from).collect())
                };
                // The v1 session's own ID in `exclude` is v2's exclude_me.
                let exclude_me = exclude.contains(&me);
                let mut options = Dict::from([
                    ("exclude_me".to_owned(), Value::Bool(exclude_me)),
                    ("exclude".to_owned(), ids(&exclude)),
                ]);
                if !eligible.is_empty() {
                    options.insert("eligible".to_owned(), ids(&eligible));
                }
                Some(Message::Publish {
                    request: self.request(),
                    options,
                    topic: v2_uri(&topic_uri),
                    payload: Payload::args(vec![event]),
                })
            }
        }
    }

    /// What the router's `message` to this session is for the v1 client.
    pub(super) fn outbound(&mut self, message: &Message) -> Vec<Translated> {
        match message {
            Message::Result { request, details, payload } => {
                if details.get("progress").and_then(Value::as_bool) == Some(true) {
                    return vec![Translated::Nothing];
                }
                let Some(call_id) = self.calls.remove(request) else { return Vec::new() };
                vec![Translated::Send(v1::Message::CallResult { call_id, result: one(payload) })]
            }
            Message::Error { request_type, request, error, payload, .. } => {
                self.subscribing.remove(request);
                if *request_type != Code::Call.number() {
                    return Vec::new();
                }
                let Some(call_id) = self.calls.remove(request) else { return Vec::new() };
                let args = payload.args.as_deref().unwrap_or_default();
                let error_desc = args.first().and_then(Value::as_str).unwrap_or(error).to_owned();
                let error_details =
                    args.get(1).cloned().or_else(|| payload.kwargs.clone().map(Value::Dict));
                vec![Translated::Send(v1::Message::CallError {
                    call_id,
                    error_uri: error.clone(),
                    error_desc,
                    error_details,
                })]
            }
            Message::Subscribed { request, subscription } => {
                if let Some(uri) = self.subscribing.remove(request) {
                    let uris = self.subscriptions.entry(*subscription).or_default();
                    if !uris.contains(&uri) {
                        uris.push(uri);
                    }
                }
                Vec::new()
            }
            Message::Event { subscription, payload, .. } => {
                let Some(uris) = self.subscriptions.get(subscription) else { return Vec::new() };
                let event = one(payload);
                uris.iter()
                    .map(|topic_uri| {
                        let topic_uri = topic_uri.clone();
                        Translated::Send(v1::Message::Event { topic_uri, event: event.clone() })
                    })
                    .collect()
            }
            Message::Goodbye { .. } | Message::Abort { .. } => vec![Translated::Close],
            _ => Vec::new(),
        }
    }
}

/// A v1 URI as a v2 URI: `#` becomes `.`.
pub(super) fn v2_uri(v1_uri: &str) -> String {
    v1_uri.replace('#', ".")
}

/// A v2 payload as v1's single value.
fn one(payload: &Payload) -> Value {
    match (&payload.args, &payload.kwargs) {
        (Some(args), _) if args.len() == 1 => args[0].clone(),
        (Some(args), _) if !args.is_empty() => Value::List(args.clone()),
        (_, Some(kwargs)) => Value::Dict(kwargs.clone()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bridge() -> V1Bridge {
        V1Bridge::new(v1::Session::new("42"))
    }

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn a_call_goes_out_as_v2_and_its_result_and_error_come_back_as_v1() {
        let mut b = bridge();
        let call = Inbound::Call {
            call_id: "c1".into(),
            proc_uri: "http://example.com/calc#add".into(),
            args: vec![Value::Int(1), Value::Int(2)],
        };
        let Some(Message::Call { request, procedure, payload, .. }) = b.inbound(call) else {
            panic!()
        };
        assert_eq!(procedure, "http://example.com/calc.add");
        assert_eq!(payload, Payload::args(vec![Value::Int(1), Value::Int(2)]));
        let result = Message::Result {
            request,
            details: Dict::new(),
            payload: Payload::args(vec![Value::Int(3)]),
        };
        assert_eq!(
            b.outbound(&result),
            [Translated::Send(v1::Message::CallResult {
                call_id: "c1".into(),
                result: Value::Int(3)
            })]
        );
        assert!(b.outbound(&result).is_empty(), "answered once");

        let call = Inbound::Call { call_id: "c2".into(), proc_uri: "p".into(), args: vec![] };
        let Some(Message::Call { request, .. }) = b.inbound(call) else { panic!() };
        let error = Message::Error {
            request_type: Code::Call.number(),
            request,
            details: Dict::new(),
            error: "wamp.error.no_such_procedure".into(),
            payload: Payload::args(vec![Value::from("no procedure p registered")]),
        };
        assert_eq!(
            b.outbound(&error),
            [Translated::Send(v1::Message::CallError {
                call_id: "c2".into(),
                error_uri: "wamp.error.no_such_procedure".into(),
                error_desc: "no procedure p registered".into(),
                error_details: None,
            })]
        );
    }

    #[test]
    fn events_reach_a_v1_subscriber_under_each_uri_it_subscribed_with() {
        let mut b = bridge();
        let mut subscribe = |uri: &str| {
            let Some(Message::Subscribe { request, topic, .. }) =
                b.inbound(Inbound::Subscribe { topic_uri: uri.into() })
            else {
                panic!()
            };
            assert_eq!(topic, "http://x.a");
            b.outbound(&Message::Subscribed { request, subscription: id(7) });
        };
        subscribe("http://x#a");
        subscribe("http://x.a");
        let event = Message::Event {
            subscription: id(7),
            publication: id(1),
            details: Dict::new(),
            payload: Payload::args(vec![Value::from("hi")]),
        };
        let sent: Vec<String> = b
            .outbound(&event)
            .into_iter()
            .map(|t| match t {
                Translated::Send(v1::Message::Event { topic_uri, event }) => {
                    assert_eq!(event, Value::from("hi"));
                    topic_uri
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(sent, ["http://x#a", "http://x.a"]);

        // Unsubscribing one URI keeps the v2 subscription for the other.
        assert_eq!(b.inbound(Inbound::Unsubscribe { topic_uri: "http://x#a".into() }), None);
        let last = b.inbound(Inbound::Unsubscribe { topic_uri: "http://x.a".into() });
        assert!(
            matches!(last, Some(Message::Unsubscribe { subscription, .. }) if subscription == id(7))
        );
        assert!(b.outbound(&event).is_empty());
    }

    #[test]
    fn a_publish_carries_its_event_and_who_may_receive_it() {
        let mut b = bridge();
        let publish = Inbound::Publish {
            topic_uri: "http://x#t".into(),
            event: Value::from("e"),
            exclude: vec!["42".into(), "7".into(), "not-a-session".into()],
            eligible: vec!["9".into()],
        };
        let Some(Message::Publish { options, topic, payload, .. }) = b.inbound(publish) else {
            panic!()
        };
        assert_eq!(topic, "http://x.t");
        assert_eq!(payload, Payload::args(vec![Value::from("e")]));
        assert_eq!(options["exclude_me"], Value::Bool(true));
        assert_eq!(options["exclude"], Value::List(vec![Value::Int(42), Value::Int(7)]));
        assert_eq!(options["eligible"], Value::List(vec![Value::Int(9)]));
    }

    #[test]
    fn v2_payloads_become_one_v1_value() {
        let kwargs = Dict::from([("k".to_owned(), Value::Int(1))]);
        assert_eq!(one(&Payload::args(vec![Value::Int(1)])), Value::Int(1));
        assert_eq!(
            one(&Payload::args(vec![Value::Int(1), Value::Int(2)])),
            Value::List(vec![Value::Int(1), Value::Int(2)])
        );
        assert_eq!(one(&Payload { args: None, kwargs: Some(kwargs.clone()) }), Value::Dict(kwargs));
        assert_eq!(one(&Payload::none()), Value::Null);
    }
}
