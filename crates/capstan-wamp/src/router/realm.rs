//! One realm: its sessions, its broker, its dealer and the calls in flight;
//! and how an event reaches the subscribers of a topic, which both PUBLISH
//! and the router's own meta events use.

use std::collections::HashMap;

use super::Out;
use super::broker::Broker;
use super::calls::Calls;
use super::dealer::Dealer;
use super::member::Member;
use super::publish::PublishOptions;
use crate::auth::{Authenticator, Authorizer};
use crate::config::RealmConfig;
use crate::id::Id;
use crate::ids::IdSource;
use crate::message::{Message, Payload};
use crate::pattern::MatchPolicy;
use crate::value::{Dict, Value};

/// A routing domain: sessions in one realm see only each other.
#[derive(Debug)]
pub struct Realm {
    pub(super) name: String,
    pub(super) authenticator: Authenticator,
    pub(super) authorizer: Authorizer,
    pub(super) members: HashMap<Id, Member>,
    pub(super) broker: Broker,
    pub(super) dealer: Dealer,
    pub(super) calls: Calls,
}

impl Realm {
    /// An empty realm open to anonymous clients, who may do anything.
    pub fn new(name: String) -> Self {
        Self::from_config(RealmConfig::open(name))
    }

    /// An empty realm as `config` says: who may join, and what each role
    /// may do.
    pub fn from_config(config: RealmConfig) -> Self {
        Self {
            name: config.name,
            authenticator: config.authenticator,
            authorizer: config.authorizer,
            members: HashMap::new(),
            broker: Broker::default(),
            dealer: Dealer::default(),
            calls: Calls::default(),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many sessions are in it.
    pub fn session_count(&self) -> usize {
        self.members.len()
    }

    /// How many calls are in flight in it.
    pub fn calls_in_flight(&self) -> usize {
        self.calls.len()
    }

    /// The events of a publication to `topic`: one fan-out per matching
    /// subscription, to the subscribers `options` admit. `details` go into
    /// every EVENT (the publisher, if disclosed); a pattern subscription's
    /// also carry the topic.
    pub(super) fn events(
        &self,
        publication: Id,
        topic: &str,
        publisher: Option<Id>,
        (options, details): (&PublishOptions, &Dict),
        payload: &Payload,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        for subscription in self.broker.matching(topic) {
            let to: Vec<Id> = subscription
                .subscribers
                .iter()
                .filter(|s| self.members.get(s).is_some_and(|m| options.admits(publisher, m)))
                .copied()
                .collect();
            if to.is_empty() {
                continue;
            }
            let mut details = details.clone();
            if subscription.policy != MatchPolicy::Exact {
                details.insert("topic".to_owned(), Value::from(topic));
            }
            let event = Message::Event {
                subscription: subscription.id,
                publication,
                details,
                payload: payload.clone(),
            };
            out.push(Out::Fanout(to, event));
        }
        out
    }

    /// The router's own event on a meta topic (`wamp.session.on_join`, …),
    /// to every subscriber.
    pub(super) fn meta_event(&self, ids: &mut IdSource, topic: &str, args: Vec<Value>) -> Vec<Out> {
        if self.broker.matching(topic).next().is_none() {
            return Vec::new();
        }
        let everyone = PublishOptions { exclude_me: false, ..PublishOptions::default() };
        self.events(ids.random(), topic, None, (&everyone, &Dict::new()), &Payload::args(args))
    }
}
