//! A joined session's SUBSCRIBE, UNSUBSCRIBE and PUBLISH, with the
//! subscription meta events they cause.

use super::super::broker::Unsubscribed;
use super::super::errors::*;
use super::super::publication::Publication;
use super::super::publish::{PublishOptions, publisher_details};
use super::super::realm::Realm;
use super::{InRealm, Out, meta};
use crate::auth::Action;
use crate::id::Id;
use crate::ids::IdSource;
use crate::message::{Code, Message, Payload};
use crate::pattern::MatchPolicy;
use crate::value::{Dict, Value};

impl InRealm<'_> {
    pub(super) fn subscribe(&mut self, request: Id, options: &Dict, topic: &str) -> Vec<Out> {
        let policy = match MatchPolicy::from_options(options) {
            Ok(policy) => policy,
            Err(unknown) => {
                return Self::error(
                    Code::Subscribe,
                    request,
                    INVALID_ARGUMENT,
                    unknown.to_string(),
                );
            }
        };
        if let Err(invalid) = policy.check(topic) {
            return Self::error(Code::Subscribe, request, INVALID_URI, invalid.to_string());
        }
        if let Err((uri, why)) = self.authorize(Action::Subscribe, topic) {
            return Self::error(Code::Subscribe, request, uri, why);
        }
        let made = self.realm.broker.subscribe(self.ids, self.me, topic, policy, Self::now);
        let mut out = vec![Out::Reply(Message::Subscribed { request, subscription: made.id })];
        if made.created {
            let details = self.realm.broker.get(made.id).expect("just made").details();
            let args = vec![Value::from(self.me), Value::Dict(details)];
            out.extend(self.realm.meta_event(self.ids, meta::SUBSCRIPTION_ON_CREATE, args));
        }
        let args = vec![Value::from(self.me), Value::from(made.id)];
        out.extend(self.realm.meta_event(self.ids, meta::SUBSCRIPTION_ON_SUBSCRIBE, args));
        out
    }

    pub(super) fn unsubscribe(&mut self, request: Id, subscription: Id) -> Vec<Out> {
        match self.realm.broker.unsubscribe(self.me, subscription) {
            Some(gone) => {
                let mut out = vec![Out::Reply(Message::Unsubscribed {
                    request: Some(request),
                    details: None,
                })];
                out.extend(unsubscribed_events(self.realm, self.ids, self.me, gone));
                out
            }
            None => {
                let why = format!("no subscription {subscription} of this session");
                Self::error(Code::Unsubscribe, request, NO_SUCH_SUBSCRIPTION, why)
            }
        }
    }

    /// A PUBLISH, checked: it goes to the broker seam as a [`Publication`]
    /// (every node, this one included, routes it to its subscribers).
    pub(super) fn publish(
        &mut self,
        request: Id,
        raw_options: &Dict,
        topic: &str,
        payload: Payload,
    ) -> Vec<Out> {
        let acknowledge = raw_options.get("acknowledge").and_then(Value::as_bool) == Some(true);
        // Without `acknowledge` the publisher hears nothing, not even of errors.
        let refuse = |uri: &str, why: String| {
            if acknowledge { Self::error(Code::Publish, request, uri, why) } else { Vec::new() }
        };
        let options = match PublishOptions::read(raw_options) {
            Ok(options) => options,
            Err(bad) => return refuse(INVALID_ARGUMENT, bad.to_string()),
        };
        if let Err(invalid) = MatchPolicy::Exact.check(topic) {
            return refuse(INVALID_URI, invalid.to_string());
        }
        if meta::is_reserved(topic) {
            return refuse(INVALID_URI, format!("{topic}: wamp.* topics are the router's own"));
        }
        if let Err((uri, why)) = self.authorize(Action::Publish, topic) {
            return refuse(uri, why);
        }
        let details =
            if options.disclose_me { publisher_details(self.member()) } else { Dict::new() };
        // Who receives it travels with it: each node filters its own sessions.
        let filter: Dict = raw_options
            .iter()
            .filter(|(key, _)| !matches!(key.as_str(), "acknowledge" | "disclose_me"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        vec![Out::Publish(Box::new(Publication {
            realm: self.realm.name.clone(),
            id: self.ids.random(),
            topic: topic.to_owned(),
            publisher: Some(self.me),
            options: filter,
            details,
            payload,
            acknowledge: acknowledge.then_some((self.me, request)),
        }))]
    }
}

/// The meta events of `session` leaving a subscription (and of the
/// subscription going with its last subscriber).
pub(super) fn unsubscribed_events(
    realm: &Realm,
    ids: &mut IdSource,
    session: Id,
    gone: Unsubscribed,
) -> Vec<Out> {
    let args = || vec![Value::from(session), Value::from(gone.id)];
    let mut out = realm.meta_event(ids, meta::SUBSCRIPTION_ON_UNSUBSCRIBE, args());
    if gone.deleted {
        out.extend(realm.meta_event(ids, meta::SUBSCRIPTION_ON_DELETE, args()));
    }
    out
}
