//! One connection's WAMP session, without I/O: HELLO → WELCOME, then the
//! broker and dealer messages, GOODBYE or ABORT; what to send to whom comes
//! back as [`Out`]s. A message that breaks the protocol, in any state, gets
//! ABORT `wamp.error.protocol_violation` and the connection is closed.
//! What a joined session asks is handled in `pubsub`, `rpc` and `meta`.

mod meta;
mod pubsub;
mod rpc;

use super::errors::*;
use super::member::{ClientFeatures, Member};
use super::realm::Realm;
use super::{Out, Router};
use crate::auth::{Action, AuthError, PendingAuth, Step};
use crate::id::Id;
use crate::ids::IdSource;
use crate::message::{Code, DecodeError, Message, Payload};
use crate::uri::{self, UriRule};
use crate::value::{Dict, Value};

pub(super) use rpc::timer_fired;

/// Where a connection's session stands.
#[derive(Debug)]
enum Phase {
    /// Waiting for HELLO.
    Greeting,
    /// CHALLENGE sent: waiting for AUTHENTICATE, to join `realm` as `id`.
    Authenticating { realm: String, id: Id, pending: Box<PendingAuth>, features: ClientFeatures },
    /// Joined `realm` as `id`.
    Open { realm: String, id: Id },
    /// Over (ABORT or GOODBYE done): nothing more is read.
    Closed,
}

/// A connection's WAMP session.
#[derive(Debug)]
pub struct Session {
    phase: Phase,
    /// An in-process session of the router's own program: it joins as
    /// authrole `trusted`, without authenticating.
    trusted: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// A joined session's view of its realm while it handles one message.
struct InRealm<'a> {
    realm: &'a mut Realm,
    ids: &'a mut IdSource,
    me: Id,
}

impl InRealm<'_> {
    /// ERROR for the request `request` of type `code`, with a message.
    fn error(code: Code, request: Id, uri: &str, why: impl Into<String>) -> Vec<Out> {
        vec![Out::Reply(Message::Error {
            request_type: code.number(),
            request,
            details: Dict::new(),
            error: uri.into(),
            payload: Payload::args(vec![Value::Str(why.into())]),
        })]
    }

    /// This session, as the realm knows it.
    fn member(&self) -> &Member {
        &self.realm.members[&self.me]
    }

    /// Whether this session's role may do `action` on `uri` (the router's
    /// own sessions may do anything); `Err`: the ERROR's URI and why.
    fn authorize(&self, action: Action, uri: &str) -> Result<(), (&'static str, String)> {
        let member = self.member();
        if member.is_trusted() {
            return Ok(());
        }
        self.realm
            .authorizer
            .check(&member.authrole, action, uri)
            .map_err(|denied| (denied.uri(), denied.to_string()))
    }

    /// The router's current time for the meta API (ISO 8601, UTC).
    fn now() -> String {
        let now = time::OffsetDateTime::now_utc();
        now.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| now.unix_timestamp().to_string())
    }
}

impl Session {
    /// A connection that has not said HELLO yet.
    pub fn new() -> Self {
        Self { phase: Phase::Greeting, trusted: false }
    }

    /// A session of the router's own process ([`crate::LocalSession`]):
    /// it joins as authrole `trusted` (authmethod `trusted`).
    pub fn trusted() -> Self {
        Self { phase: Phase::Greeting, trusted: true }
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
            (Phase::Authenticating { .. }, Message::Authenticate { signature, extra }) => {
                self.authenticate(router, &signature, &extra)
            }
            (Phase::Authenticating { .. }, other) => {
                let reason = format!("{} while authenticating", other.code().name());
                self.violation(router, &reason)
            }
            // The client answers the router's GOODBYE: the session is over.
            (Phase::Open { id, .. }, Message::Goodbye { .. })
                if router.goodbye_said.contains(id) =>
            {
                let mut out = self.leave(router);
                out.push(Out::Close);
                out
            }
            // Told GOODBYE, the session hears nothing more but the answer.
            (Phase::Open { id, .. }, _) if router.goodbye_said.contains(id) => Vec::new(),
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
                let (realm, me) = (realm.clone(), *id);
                let Some((realm, ids)) = router.realm_and_ids(&realm) else { return Vec::new() };
                match (InRealm { realm, ids, me }).handle(message) {
                    Ok(out) => out,
                    Err(violation) => self.violation(router, &violation),
                }
            }
        }
    }

    fn hello(&mut self, router: &mut Router, realm: String, details: &Dict) -> Vec<Out> {
        if uri::check(&realm, UriRule::Loose, false).is_err() {
            return self.abort(router, INVALID_URI, &format!("invalid realm URI {realm:?}"));
        }
        let Some(roles) = details.get("roles").and_then(Value::as_dict).filter(|r| !r.is_empty())
        else {
            return self.violation(router, "HELLO.Details.roles must name the client's roles");
        };
        let features = ClientFeatures::from_roles(roles);
        let Some((realm_state, ids)) = router.realm_and_ids(&realm) else {
            return self.abort(router, NO_SUCH_REALM, &format!("no realm {realm:?} here"));
        };
        // Drawn now: WAMP-CRA's challenge names the session.
        let id = ids.random();
        if self.trusted {
            return self.join(router, realm, Member::trusted(id, features));
        }
        match realm_state.authenticator.hello(details, id) {
            Ok(Step::Welcome(identity)) => {
                self.join(router, realm, Member::new(id, identity, features))
            }
            Ok(Step::Challenge { authmethod, extra, pending }) => {
                let pending = Box::new(pending);
                self.phase = Phase::Authenticating { realm, id, pending, features };
                let challenge =
                    Message::Challenge { auth_method: authmethod.as_str().into(), extra };
                vec![Out::Reply(challenge)]
            }
            Err(refused) => self.refuse(refused),
        }
    }

    /// AUTHENTICATE: the pending challenge decides.
    fn authenticate(&mut self, router: &mut Router, signature: &str, extra: &Dict) -> Vec<Out> {
        let Phase::Authenticating { realm, id, pending, features } =
            std::mem::replace(&mut self.phase, Phase::Closed)
        else {
            return Vec::new();
        };
        match pending.authenticate(signature, extra) {
            Ok(identity) => self.join(router, realm, Member::new(id, identity, features)),
            Err(refused) => self.refuse(refused),
        }
    }

    /// Authentication failed: ABORT with its reason, and close.
    fn refuse(&mut self, refused: AuthError) -> Vec<Out> {
        self.phase = Phase::Closed;
        vec![Out::Reply(refused.abort()), Out::Close]
    }

    /// `member` joins `realm`: WELCOME, and the others hear of it.
    fn join(&mut self, router: &mut Router, realm: String, member: Member) -> Vec<Out> {
        let Some((joined, ids)) = router.realm_and_ids(&realm) else {
            return self.abort(router, NO_SUCH_REALM, &format!("no realm {realm:?} here"));
        };
        let id = member.session;
        let welcome = welcome_details(&realm, &member);
        let joined_details = member.details();
        joined.members.insert(id, member);
        self.phase = Phase::Open { realm, id };
        let mut out = vec![Out::Reply(Message::Welcome { session: id, details: welcome })];
        out.extend(joined.meta_event(ids, meta::ON_JOIN, vec![Value::Dict(joined_details)]));
        out
    }

    /// Leaves the realm, if joined: its subscriptions, registrations and
    /// calls go, and the others hear of it.
    fn leave(&mut self, router: &mut Router) -> Vec<Out> {
        let Phase::Open { realm, id } = std::mem::replace(&mut self.phase, Phase::Closed) else {
            return Vec::new();
        };
        router.goodbye_said.remove(&id);
        let Some((realm, ids)) = router.realm_and_ids(&realm) else { return Vec::new() };
        depart(realm, ids, id)
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

/// Session `id` leaves `realm`: its subscriptions, registrations and calls
/// go, and the others hear of it (meta events, callers of its calls).
pub(super) fn depart(realm: &mut Realm, ids: &mut IdSource, id: Id) -> Vec<Out> {
    let Some(member) = realm.members.remove(&id) else { return Vec::new() };
    let mut out = rpc::session_left(realm, id);
    for gone in realm.broker.remove_session(id) {
        out.extend(pubsub::unsubscribed_events(realm, ids, id, gone));
    }
    for gone in realm.dealer.remove_session(id) {
        out.extend(rpc::unregistered_events(realm, ids, id, gone));
    }
    let left = vec![Value::from(id), Value::from(member.authid), Value::from(member.authrole)];
    out.extend(realm.meta_event(ids, meta::ON_LEAVE, left));
    out
}

impl InRealm<'_> {
    /// One message of a joined session; `Err`: it breaks the protocol.
    fn handle(&mut self, message: Message) -> Result<Vec<Out>, String> {
        Ok(match message {
            Message::Subscribe { request, options, topic } => {
                self.subscribe(request, &options, &topic)
            }
            Message::Unsubscribe { request, subscription } => {
                self.unsubscribe(request, subscription)
            }
            Message::Publish { request, options, topic, payload } => {
                self.publish(request, &options, &topic, payload)
            }
            Message::Register { request, options, procedure } => {
                self.register(request, &options, &procedure)
            }
            Message::Unregister { request, registration } => self.unregister(request, registration),
            Message::Call { request, options, procedure, payload } => {
                self.call(request, &options, &procedure, payload)
            }
            Message::Cancel { request, options } => self.cancel(request, &options),
            Message::Yield { request, options, payload } => {
                self.yielded(request, &options, payload)
            }
            Message::Error { request_type, request, details, error, payload }
                if request_type == Code::Invocation.number() =>
            {
                self.invocation_error(request, details, error, payload)
            }
            Message::Hello { .. } => return Err("HELLO in an open session".into()),
            other => return Err(format!("a client does not send {}", other.code().name())),
        })
    }
}

/// WELCOME.Details: the router's roles and features, and who the session is.
fn welcome_details(realm: &str, member: &Member) -> Dict {
    let features = |names: &[&str]| {
        let features = names.iter().map(|name| ((*name).to_owned(), Value::Bool(true))).collect();
        Value::Dict(Dict::from([("features".to_owned(), Value::Dict(features))]))
    };
    let broker = features(&[
        "publisher_identification",
        "publisher_exclusion",
        "subscriber_blackwhite_listing",
        "pattern_based_subscription",
        "subscription_revocation",
        "session_meta_api",
        "subscription_meta_api",
    ]);
    let dealer = features(&[
        "caller_identification",
        "progressive_call_results",
        "call_canceling",
        "call_timeout",
        "pattern_based_registration",
        "shared_registration",
        "registration_revocation",
        "session_meta_api",
        "registration_meta_api",
    ]);
    let roles = Dict::from([("broker".to_owned(), broker), ("dealer".to_owned(), dealer)]);
    let mut details = Dict::from([
        ("roles".to_owned(), Value::Dict(roles)),
        ("realm".to_owned(), Value::from(realm)),
        ("authid".to_owned(), Value::from(member.authid.as_str())),
        ("authrole".to_owned(), Value::from(member.authrole.as_str())),
        ("authmethod".to_owned(), Value::from(member.authmethod.as_str())),
        ("authprovider".to_owned(), Value::from(member.authprovider.as_str())),
    ]);
    if !member.authextra.is_empty() {
        details.insert("authextra".to_owned(), Value::Dict(member.authextra.clone()));
    }
    details
}

#[cfg(test)]
mod tests;
