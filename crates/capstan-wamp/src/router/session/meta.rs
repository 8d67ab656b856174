//! The router's own procedures and topics (Advanced Profile, "Meta API"):
//! `wamp.session.*`, `wamp.subscription.*` and `wamp.registration.*`
//! look-ups, and the revocations `remove_subscriber` / `remove_callee`.
//! Every `wamp.*` URI is the router's: clients may call and subscribe to
//! them, not register or publish.

use super::super::errors::*;
use super::{InRealm, Out, pubsub, rpc};
use crate::id::Id;
use crate::message::{Code, Message, Payload};
use crate::pattern::MatchPolicy;
use crate::value::{Dict, Value};

/// A session joined: `[details]`.
pub(super) const ON_JOIN: &str = "wamp.session.on_join";
/// A session left: `[session, authid, authrole]`.
pub(super) const ON_LEAVE: &str = "wamp.session.on_leave";
/// `[session, subscription details]`.
pub(super) const SUBSCRIPTION_ON_CREATE: &str = "wamp.subscription.on_create";
/// `[session, subscription]`.
pub(super) const SUBSCRIPTION_ON_SUBSCRIBE: &str = "wamp.subscription.on_subscribe";
/// `[session, subscription]`.
pub(super) const SUBSCRIPTION_ON_UNSUBSCRIBE: &str = "wamp.subscription.on_unsubscribe";
/// `[session, subscription]`.
pub(super) const SUBSCRIPTION_ON_DELETE: &str = "wamp.subscription.on_delete";
/// `[session, registration details]`.
pub(super) const REGISTRATION_ON_CREATE: &str = "wamp.registration.on_create";
/// `[session, registration]`.
pub(super) const REGISTRATION_ON_REGISTER: &str = "wamp.registration.on_register";
/// `[session, registration]`.
pub(super) const REGISTRATION_ON_UNREGISTER: &str = "wamp.registration.on_unregister";
/// `[session, registration]`.
pub(super) const REGISTRATION_ON_DELETE: &str = "wamp.registration.on_delete";

/// Whether `uri` is the router's own (`wamp.*`).
pub(super) fn is_reserved(uri: &str) -> bool {
    uri.starts_with("wamp.")
}

/// A meta procedure's answer: its positional result, or an error URI and
/// a message.
type Answer = Result<Value, (&'static str, String)>;

/// Positional argument `index` of a meta call.
struct Args<'a>(&'a [Value]);

impl Args<'_> {
    fn id(&self, index: usize, what: &str) -> Result<Id, (&'static str, String)> {
        self.0.get(index).and_then(Value::as_u64).and_then(Id::new).ok_or_else(|| {
            (INVALID_ARGUMENT, format!("argument {} must be the {what} ID", index + 1))
        })
    }

    fn uri(&self, index: usize) -> Result<&str, (&'static str, String)> {
        self.0
            .get(index)
            .and_then(Value::as_str)
            .ok_or_else(|| (INVALID_ARGUMENT, format!("argument {} must be a URI", index + 1)))
    }

    /// The match policy in the options at `index` (lookup's second argument).
    fn policy(&self, index: usize) -> Result<MatchPolicy, (&'static str, String)> {
        let options = match self.0.get(index) {
            None | Some(Value::Null) => return Ok(MatchPolicy::Exact),
            Some(Value::Dict(options)) => options,
            Some(_) => return Err((INVALID_ARGUMENT, "the options must be a dictionary".into())),
        };
        MatchPolicy::from_options(options).map_err(|e| (INVALID_ARGUMENT, e.to_string()))
    }

    /// The optional list of authroles at `index` (`filter_authroles`).
    fn roles(&self, index: usize) -> Result<Option<Vec<&str>>, (&'static str, String)> {
        match self.0.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::List(roles)) => roles
                .iter()
                .map(|r| r.as_str().ok_or((INVALID_ARGUMENT, "authroles must be strings".into())))
                .collect::<Result<_, _>>()
                .map(Some),
            Some(_) => Err((INVALID_ARGUMENT, "filter_authroles must be a list".into())),
        }
    }

    /// The optional reason at `index`, or the keyword `reason`.
    fn reason(&self, index: usize, kwargs: Option<&Dict>) -> Option<String> {
        let positional = self.0.get(index).and_then(Value::as_str);
        let keyword = kwargs.and_then(|k| k.get("reason")).and_then(Value::as_str);
        positional.or(keyword).map(str::to_owned)
    }
}

fn ids(list: Vec<Id>) -> Value {
    Value::List(list.into_iter().map(Value::from).collect())
}

impl InRealm<'_> {
    /// A CALL of a `wamp.*` procedure, answered by the router.
    pub(super) fn meta_call(
        &mut self,
        request: Id,
        procedure: &str,
        payload: &Payload,
    ) -> Vec<Out> {
        let args = Args(payload.args.as_deref().unwrap_or_default());
        // The revocations answer with an empty result, and send more.
        let mut also = None;
        let answer = match procedure {
            "wamp.session.count" => self.sessions(&args).map(|s| Value::from_u64(s.len() as u64)),
            "wamp.session.list" => self.sessions(&args).map(ids),
            "wamp.session.get" => self.session_get(&args),
            "wamp.subscription.list" => Ok(self.listed(|p| self.realm.broker.list(p))),
            "wamp.subscription.lookup" => args.uri(0).and_then(|uri| {
                let found = self.realm.broker.lookup(uri, args.policy(1)?);
                Ok(found.map_or(Value::Null, Value::from))
            }),
            "wamp.subscription.match" => args.uri(0).map(|topic| {
                let found: Vec<Id> = self.realm.broker.matching(topic).map(|s| s.id).collect();
                if found.is_empty() { Value::Null } else { ids(found) }
            }),
            "wamp.subscription.get" => self.subscription(&args).map(|s| Value::Dict(s.details())),
            "wamp.subscription.list_subscribers" => {
                self.subscription(&args).map(|s| ids(s.subscribers.iter().copied().collect()))
            }
            "wamp.subscription.count_subscribers" => {
                self.subscription(&args).map(|s| Value::from_u64(s.subscribers.len() as u64))
            }
            "wamp.subscription.remove_subscriber" => {
                self.remove_subscriber(&args, payload.kwargs.as_ref()).map(|out| {
                    also = Some(out);
                    Value::Null
                })
            }
            "wamp.registration.list" => Ok(self.listed(|p| self.realm.dealer.list(p))),
            "wamp.registration.lookup" => args.uri(0).and_then(|uri| {
                let found = self.realm.dealer.lookup(uri, args.policy(1)?);
                Ok(found.map_or(Value::Null, Value::from))
            }),
            "wamp.registration.match" => args
                .uri(0)
                .map(|uri| self.realm.dealer.best_match(uri).map_or(Value::Null, Value::from)),
            "wamp.registration.get" => self.registration(&args).map(|r| Value::Dict(r.details())),
            "wamp.registration.list_callees" => {
                self.registration(&args).map(|r| ids(r.callees.iter().map(|c| c.session).collect()))
            }
            "wamp.registration.count_callees" => {
                self.registration(&args).map(|r| Value::from_u64(r.callees.len() as u64))
            }
            "wamp.registration.remove_callee" => {
                self.remove_callee(&args, payload.kwargs.as_ref()).map(|out| {
                    also = Some(out);
                    Value::Null
                })
            }
            other => Err((NO_SUCH_PROCEDURE, format!("the router has no procedure {other}"))),
        };
        let value = match answer {
            Ok(value) => value,
            Err((uri, why)) => return Self::error(Code::Call, request, uri, why),
        };
        let payload = if also.is_some() { Payload::none() } else { Payload::args(vec![value]) };
        let mut out = vec![Out::Reply(Message::Result { request, details: Dict::new(), payload })];
        out.extend(also.into_iter().flatten());
        out
    }

    /// The realm's sessions, optionally only those of some authroles.
    fn sessions(&self, args: &Args<'_>) -> Result<Vec<Id>, (&'static str, String)> {
        let roles = args.roles(0)?;
        let mut found: Vec<Id> = self
            .realm
            .members
            .values()
            .filter(|m| roles.as_ref().is_none_or(|roles| roles.contains(&m.authrole.as_str())))
            .map(|m| m.session)
            .collect();
        found.sort();
        Ok(found)
    }

    fn session_get(&self, args: &Args<'_>) -> Answer {
        let id = args.id(0, "session")?;
        match self.realm.members.get(&id) {
            Some(member) => Ok(Value::Dict(member.details())),
            None => Err((NO_SUCH_SESSION, format!("no session {id} in this realm"))),
        }
    }

    /// `{exact: [...], prefix: [...], wildcard: [...]}`.
    fn listed(&self, list: impl Fn(MatchPolicy) -> Vec<Id>) -> Value {
        let policies = [MatchPolicy::Exact, MatchPolicy::Prefix, MatchPolicy::Wildcard];
        Value::Dict(policies.iter().map(|p| (p.as_str().to_owned(), ids(list(*p)))).collect())
    }

    fn subscription(
        &self,
        args: &Args<'_>,
    ) -> Result<&super::super::broker::Subscription, (&'static str, String)> {
        let id = args.id(0, "subscription")?;
        self.realm
            .broker
            .get(id)
            .ok_or_else(|| (NO_SUCH_SUBSCRIPTION, format!("no subscription {id} in this realm")))
    }

    fn registration(
        &self,
        args: &Args<'_>,
    ) -> Result<&super::super::dealer::Registration, (&'static str, String)> {
        let id = args.id(0, "registration")?;
        self.realm
            .dealer
            .get(id)
            .ok_or_else(|| (NO_SUCH_REGISTRATION, format!("no registration {id} in this realm")))
    }

    /// Revokes a session's subscription: UNSUBSCRIBED with request 0 if its
    /// client takes revocations, and the meta events.
    fn remove_subscriber(
        &mut self,
        args: &Args<'_>,
        kwargs: Option<&Dict>,
    ) -> Result<Vec<Out>, (&'static str, String)> {
        let subscription = self.subscription(args)?.id;
        let session = args.id(1, "session")?;
        let Some(gone) = self.realm.broker.unsubscribe(session, subscription) else {
            let why = format!("session {session} is not a subscriber of {subscription}");
            return Err((NO_SUCH_SESSION, why));
        };
        let mut out = Vec::new();
        let member = &self.realm.members[&session];
        if member.features.subscription_revocation {
            let mut details = Dict::from([("subscription".to_owned(), Value::from(subscription))]);
            if let Some(reason) = args.reason(2, kwargs) {
                details.insert("reason".to_owned(), Value::from(reason));
            }
            out.push(Out::To(
                session,
                Message::Unsubscribed { request: None, details: Some(details) },
            ));
        }
        out.extend(pubsub::unsubscribed_events(self.realm, self.ids, session, gone));
        Ok(out)
    }

    /// Revokes a callee's registration: UNREGISTERED with request 0 if its
    /// client takes revocations, and the meta events.
    fn remove_callee(
        &mut self,
        args: &Args<'_>,
        kwargs: Option<&Dict>,
    ) -> Result<Vec<Out>, (&'static str, String)> {
        let registration = self.registration(args)?.id;
        let session = args.id(1, "session")?;
        let Some(gone) = self.realm.dealer.unregister(session, registration) else {
            let why = format!("session {session} is not a callee of {registration}");
            return Err((NO_SUCH_SESSION, why));
        };
        let mut out = Vec::new();
        let member = &self.realm.members[&session];
        if member.features.registration_revocation {
            let mut details = Dict::from([("registration".to_owned(), Value::from(registration))]);
            if let Some(reason) = args.reason(2, kwargs) {
                details.insert("reason".to_owned(), Value::from(reason));
            }
            out.push(Out::To(
                session,
                Message::Unregistered { request: None, details: Some(details) },
            ));
        }
        out.extend(rpc::unregistered_events(self.realm, self.ids, session, gone));
        Ok(out)
    }
}
