//! One connection's WAMP session, without I/O: HELLO → WELCOME, then the
//! broker and dealer messages, GOODBYE or ABORT; what to send to whom comes
//! back as [`Out`]s. A message that breaks the protocol, in any state, gets
//! ABORT `wamp.error.protocol_violation` and the connection is closed.

use super::errors::*;
use super::{Out, Router};
use crate::id::Id;
use crate::message::{Code, DecodeError, Message, Payload};
use crate::uri::{self, UriRule};
use crate::value::{Dict, Value};

/// Where a connection's session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    /// Waiting for HELLO.
    Greeting,
    /// Joined `realm` as `id`.
    Open { realm: String, id: Id },
    /// Over (ABORT or GOODBYE done): nothing more is read.
    Closed,
}

/// A connection's WAMP session.
#[derive(Debug)]
pub struct Session {
    phase: Phase,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A connection that has not said HELLO yet.
    pub fn new() -> Self {
        Self { phase: Phase::Greeting }
    }

    /// The session's ID once joined.
    pub fn id(&self) -> Option<Id> {
        match self.phase {
            Phase::Open { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The realm joined, if any.
    pub fn realm(&self) -> Option<&str> {
        match &self.phase {
            Phase::Open { realm, .. } => Some(realm),
            _ => None,
        }
    }

    /// A message that could not be read: ABORT and close.
    pub fn undecodable(&mut self, router: &mut Router, error: &DecodeError) -> Vec<Out> {
        self.violation(router, &error.to_string())
    }

    /// The connection ended (without GOODBYE, or after it): the session
    /// leaves its realm; callers of calls it was answering are told.
    pub fn ended(&mut self, router: &mut Router) -> Vec<Out> {
        self.leave(router)
    }

    /// Handles one message from the client.
    pub fn handle(&mut self, router: &mut Router, message: Message) -> Vec<Out> {
        match (&self.phase, message) {
            (Phase::Closed, _) => Vec::new(),
            (Phase::Greeting, Message::Hello { realm, details }) => {
                self.hello(router, realm, &details)
            }
            (Phase::Greeting, other) => {
                let reason = format!("{} before HELLO", other.code().name());
                self.violation(router, &reason)
            }
            (Phase::Open { .. }, Message::Goodbye { .. }) => {
                let mut out = self.leave(router);
                let goodbye =
                    Message::Goodbye { details: Dict::new(), reason: GOODBYE_AND_OUT.into() };
                out.extend([Out::Reply(goodbye), Out::Close]);
                out
            }
            (Phase::Open { .. }, Message::Abort { .. }) => {
                let mut out = self.leave(router);
                out.push(Out::Close);
                out
            }
            (Phase::Open { realm, id }, message) => {
                let (realm, id) = (realm.clone(), *id);
                self.in_realm(router, &realm, id, message)
            }
        }
    }

    fn hello(&mut self, router: &mut Router, realm: String, details: &Dict) -> Vec<Out> {
        if uri::check(&realm, UriRule::Loose, false).is_err() {
            return self.abort(router, INVALID_URI, &format!("invalid realm URI {realm:?}"));
        }
        let roles = details.get("roles").and_then(Value::as_dict);
        if roles.is_none_or(|roles| roles.is_empty()) {
            return self.violation(router, "HELLO.Details.roles must name the client's roles");
        }
        let Some((joined, ids)) = router.realm_and_ids(&realm) else {
            return self.abort(router, NO_SUCH_REALM, &format!("no realm {realm:?} here"));
        };
        let id = ids.random();
        let authid = id.to_string();
        let member = super::realm::Member { authid: authid.clone(), authrole: "anonymous".into() };
        joined.members.insert(id, member);
        self.phase = Phase::Open { realm: realm.clone(), id };
        vec![Out::Reply(Message::Welcome {
            session: id,
            details: welcome_details(&realm, &authid),
        })]
    }

    fn in_realm(&mut self, router: &mut Router, realm: &str, me: Id, message: Message) -> Vec<Out> {
        let Some((realm, ids)) = router.realm_and_ids(realm) else { return Vec::new() };
        let error = |code: Code, request: Id, uri: &str, why: String| {
            vec![Out::Reply(Message::Error {
                request_type: code.number(),
                request,
                details: Dict::new(),
                error: uri.into(),
                payload: Payload::args(vec![Value::Str(why)]),
            })]
        };
        match message {
            Message::Subscribe { request, options, topic } => {
                if let Some(refusal) = exact_only(&options) {
                    return error(Code::Subscribe, request, INVALID_ARGUMENT, refusal);
                }
                if let Err(invalid) = uri::check(&topic, UriRule::Loose, false) {
                    return error(Code::Subscribe, request, INVALID_URI, invalid.to_string());
                }
                let subscription = realm.broker.subscribe(ids, me, &topic);
                vec![Out::Reply(Message::Subscribed { request, subscription })]
            }
            Message::Unsubscribe { request, subscription } => {
                if realm.broker.unsubscribe(me, subscription) {
                    vec![Out::Reply(Message::Unsubscribed { request, details: None })]
                } else {
                    let why = format!("no subscription {subscription} of this session");
                    error(Code::Unsubscribe, request, NO_SUCH_SUBSCRIPTION, why)
                }
            }
            Message::Publish { request, options, topic, payload } => {
                let acknowledge = options.get("acknowledge").and_then(Value::as_bool) == Some(true);
                if let Err(invalid) = uri::check(&topic, UriRule::Loose, false) {
                    return if acknowledge {
                        error(Code::Publish, request, INVALID_URI, invalid.to_string())
                    } else {
                        Vec::new()
                    };
                }
                let publication = ids.random();
                let exclude_me = options.get("exclude_me").and_then(Value::as_bool) != Some(false);
                let mut out = Vec::new();
                if let Some((subscription, subscribers)) = realm.broker.subscribers(&topic) {
                    let to: Vec<Id> =
                        subscribers.iter().copied().filter(|s| !(exclude_me && *s == me)).collect();
                    if !to.is_empty() {
                        let event = Message::Event {
                            subscription,
                            publication,
                            details: Dict::new(),
                            payload,
                        };
                        out.push(Out::Fanout(to, event));
                    }
                }
                if acknowledge {
                    out.push(Out::Reply(Message::Published { request, publication }));
                }
                out
            }
            Message::Register { request, options, procedure } => {
                if let Some(refusal) = exact_only(&options) {
                    return error(Code::Register, request, INVALID_ARGUMENT, refusal);
                }
                if let Err(invalid) = uri::check(&procedure, UriRule::Loose, false) {
                    return error(Code::Register, request, INVALID_URI, invalid.to_string());
                }
                match realm.dealer.register(ids, me, &procedure) {
                    Some(registration) => {
                        vec![Out::Reply(Message::Registered { request, registration })]
                    }
                    None => {
                        let why = format!("{procedure} is registered already");
                        error(Code::Register, request, PROCEDURE_ALREADY_EXISTS, why)
                    }
                }
            }
            Message::Unregister { request, registration } => {
                if realm.dealer.unregister(me, registration) {
                    vec![Out::Reply(Message::Unregistered { request, details: None })]
                } else {
                    let why = format!("no registration {registration} of this session");
                    error(Code::Unregister, request, NO_SUCH_REGISTRATION, why)
                }
            }
            Message::Call { request, procedure, payload, .. } => {
                if let Err(invalid) = uri::check(&procedure, UriRule::Loose, false) {
                    return error(Code::Call, request, INVALID_URI, invalid.to_string());
                }
                let Some((registration, callee)) = realm.dealer.callee(&procedure) else {
                    let why = format!("no procedure {procedure} registered");
                    return error(Code::Call, request, NO_SUCH_PROCEDURE, why);
                };
                let call = super::Pending { caller: me, request, callee };
                let invocation = realm.dealer.start(ids, call);
                let details = Dict::new();
                vec![Out::To(
                    callee,
                    Message::Invocation { request: invocation, registration, details, payload },
                )]
            }
            Message::Yield { request, payload, .. } => match realm.dealer.finish(me, request) {
                Some(call) => vec![Out::To(
                    call.caller,
                    Message::Result { request: call.request, details: Dict::new(), payload },
                )],
                // A late answer (the caller left): dropped, as the spec allows.
                None => Vec::new(),
            },
            Message::Error { request_type, request, details, error: uri, payload }
                if request_type == Code::Invocation.number() =>
            {
                match realm.dealer.finish(me, request) {
                    Some(call) => vec![Out::To(
                        call.caller,
                        Message::Error {
                            request_type: Code::Call.number(),
                            request: call.request,
                            details,
                            error: uri,
                            payload,
                        },
                    )],
                    None => Vec::new(),
                }
            }
            other => {
                let reason = format!("a client does not send {}", other.code().name());
                self.violation(router, &reason)
            }
        }
    }

    /// Leaves the realm, if joined.
    fn leave(&mut self, router: &mut Router) -> Vec<Out> {
        let Phase::Open { realm, id } = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Vec::new();
        };
        let Some((realm, _)) = router.realm_and_ids(&realm) else { return Vec::new() };
        realm.members.remove(&id);
        realm.broker.remove_session(id);
        let orphaned = realm.dealer.remove_session(id);
        orphaned
            .into_iter()
            .map(|call| {
                Out::To(
                    call.caller,
                    Message::Error {
                        request_type: Code::Call.number(),
                        request: call.request,
                        details: Dict::new(),
                        error: CANCELED.into(),
                        payload: Payload::args(vec![Value::from("the callee left")]),
                    },
                )
            })
            .collect()
    }

    fn violation(&mut self, router: &mut Router, why: &str) -> Vec<Out> {
        self.abort(router, PROTOCOL_VIOLATION, why)
    }

    /// ABORT with `reason` and a message, leave, close.
    fn abort(&mut self, router: &mut Router, reason: &str, message: &str) -> Vec<Out> {
        let mut out = self.leave(router);
        let details = Dict::from([("message".to_owned(), Value::from(message))]);
        out.extend([Out::Reply(Message::Abort { details, reason: reason.into() }), Out::Close]);
        out
    }
}

/// Refuses the match policies not served yet (prefix, wildcard).
fn exact_only(options: &Dict) -> Option<String> {
    match options.get("match").and_then(Value::as_str) {
        None | Some("exact") => None,
        Some(policy) => Some(format!("match policy {policy:?} is not supported")),
    }
}

/// WELCOME.Details: the router's roles and who the session is.
fn welcome_details(realm: &str, authid: &str) -> Dict {
    let role = || Value::Dict(Dict::from([("features".to_owned(), Value::Dict(Dict::new()))]));
    let roles = Dict::from([("broker".to_owned(), role()), ("dealer".to_owned(), role())]);
    Dict::from([
        ("roles".to_owned(), Value::Dict(roles)),
        ("realm".to_owned(), Value::from(realm)),
        ("authid".to_owned(), Value::from(authid)),
        ("authrole".to_owned(), Value::from("anonymous")),
        ("authmethod".to_owned(), Value::from("anonymous")),
    ])
}

#[cfg(test)]
mod tests;
