//! A realm's subscriptions: which sessions receive what is published to a
//! topic. One subscription per (topic or pattern, match policy), shared by
//! its subscribers (its ID is the same for all, as the spec has it); a
//! publication reaches every subscription that matches its topic.

use std::collections::BTreeSet;

use crate::id::Id;
use crate::ids::IdSource;
use crate::pattern::MatchPolicy;
use crate::value::{Dict, Value};

use super::uri_index::{Indexed, UriIndex};

/// One subscription: a topic or pattern, its policy and its subscribers.
#[derive(Debug)]
pub struct Subscription {
    /// Its ID.
    pub id: Id,
    /// The topic, or the pattern.
    pub uri: String,
    /// How `uri` matches topics.
    pub policy: MatchPolicy,
    /// When it was made (ISO 8601, UTC).
    pub created: String,
    /// Who receives its events.
    pub subscribers: BTreeSet<Id>,
}

impl Subscription {
    /// What the meta API says of it (`wamp.subscription.get`).
    pub fn details(&self) -> Dict {
        Dict::from([
            ("id".to_owned(), Value::from(self.id)),
            ("created".to_owned(), Value::from(self.created.as_str())),
            ("uri".to_owned(), Value::from(self.uri.as_str())),
            ("match".to_owned(), Value::from(self.policy.as_str())),
        ])
    }
}

/// What a subscribe did: the subscription, and whether it was made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscribed {
    /// The subscription's ID.
    pub id: Id,
    /// It did not exist before (`wamp.subscription.on_create`).
    pub created: bool,
}

/// A session taken out of a subscription, and whether that deleted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribed {
    /// The subscription's ID.
    pub id: Id,
    /// It had no subscriber left and is gone (`wamp.subscription.on_delete`).
    pub deleted: bool,
}

/// The subscriptions of a realm.
#[derive(Debug, Default)]
pub struct Broker {
    index: UriIndex<Subscription>,
}

impl Indexed for Subscription {
    fn id(&self) -> Id {
        self.id
    }
    fn uri(&self) -> &str {
        &self.uri
    }
    fn policy(&self) -> MatchPolicy {
        self.policy
    }
}

impl Broker {
    /// Subscribes `session` to `uri` under `policy`.
    pub fn subscribe(
        &mut self,
        ids: &mut IdSource,
        session: Id,
        uri: &str,
        policy: MatchPolicy,
        now: impl FnOnce() -> String,
    ) -> Subscribed {
        let (id, created) = match self.index.lookup(uri, policy) {
            Some(id) => (id, false),
            None => {
                let id = ids.next();
                self.index.insert(Subscription {
                    id,
                    uri: uri.to_owned(),
                    policy,
                    created: now(),
                    subscribers: BTreeSet::new(),
                });
                (id, true)
            }
        };
        self.index.get_mut(id).expect("just found or made").subscribers.insert(session);
        self.index.join(session, id);
        Subscribed { id, created }
    }

    /// Takes `session` out of `subscription`; `None` if it was not in it.
    pub fn unsubscribe(&mut self, session: Id, subscription: Id) -> Option<Unsubscribed> {
        let entry = self.index.get_mut(subscription)?;
        if !entry.subscribers.remove(&session) {
            return None;
        }
        let deleted = entry.subscribers.is_empty();
        self.index.leave(session, subscription);
        if deleted {
            self.index.remove(subscription);
        }
        Some(Unsubscribed { id: subscription, deleted })
    }

    /// Every subscription whose topic or pattern matches `topic`: the exact
    /// one first, then the patterns.
    pub fn matching<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a Subscription> + 'a {
        let patterns = self.index.patterns().filter(move |s| s.policy.matches(&s.uri, topic));
        self.index.exact(topic).into_iter().chain(patterns)
    }

    /// The subscription to `uri` under `policy`, if any (`wamp.subscription.lookup`).
    pub fn lookup(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        self.index.lookup(uri, policy)
    }

    /// The subscription `id`, if it exists.
    pub fn get(&self, id: Id) -> Option<&Subscription> {
        self.index.get(id)
    }

    /// The IDs of every subscription under `policy`, in order.
    pub fn list(&self, policy: MatchPolicy) -> Vec<Id> {
        self.index.list(policy)
    }

    /// Takes `session` out of every subscription (it left).
    pub fn remove_session(&mut self, session: Id) -> Vec<Unsubscribed> {
        let theirs = self.index.take_session(session);
        theirs.into_iter().filter_map(|id| self.unsubscribe(session, id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    fn now() -> String {
        "2026-12-06T00:00:00Z".into()
    }

    #[test]
    fn subscribers_of_a_topic_share_one_subscription_until_the_last_leaves() {
        let (mut broker, mut ids) = (Broker::default(), IdSource::new());
        let first = broker.subscribe(&mut ids, id(1), "t", MatchPolicy::Exact, now);
        assert!(first.created);
        let second = broker.subscribe(&mut ids, id(2), "t", MatchPolicy::Exact, now);
        assert_eq!(second, Subscribed { id: first.id, created: false });
        let other = broker.subscribe(&mut ids, id(1), "u", MatchPolicy::Exact, now);
        assert_ne!(other.id, first.id);
        assert_eq!(broker.matching("t").map(|s| s.subscribers.len()).sum::<usize>(), 2);
        assert_eq!(
            broker.unsubscribe(id(1), first.id),
            Some(Unsubscribed { id: first.id, deleted: false })
        );
        assert_eq!(broker.unsubscribe(id(1), first.id), None, "not twice");
        assert_eq!(
            broker.remove_session(id(2)),
            vec![Unsubscribed { id: first.id, deleted: true }]
        );
        assert_eq!(broker.matching("t").count(), 0);
        assert_eq!(broker.lookup("t", MatchPolicy::Exact), None);
        assert_eq!(broker.matching("u").count(), 1);
    }

    #[test]
    fn a_topic_reaches_its_exact_subscription_and_every_matching_pattern() {
        let (mut broker, mut ids) = (Broker::default(), IdSource::new());
        let exact = broker.subscribe(&mut ids, id(1), "com.a.b", MatchPolicy::Exact, now).id;
        let prefix = broker.subscribe(&mut ids, id(1), "com.a", MatchPolicy::Prefix, now).id;
        let wild = broker.subscribe(&mut ids, id(2), "com..b", MatchPolicy::Wildcard, now).id;
        let other = broker.subscribe(&mut ids, id(2), "org", MatchPolicy::Prefix, now).id;
        let hit: Vec<Id> = broker.matching("com.a.b").map(|s| s.id).collect();
        assert_eq!(hit, vec![exact, prefix, wild]);
        assert_eq!(broker.list(MatchPolicy::Prefix), vec![prefix, other]);
        assert_eq!(broker.lookup("com..b", MatchPolicy::Wildcard), Some(wild));
        assert_eq!(broker.lookup("com..b", MatchPolicy::Prefix), None);
        assert_eq!(broker.get(wild).map(|s| s.details()["match"].clone()), Some("wildcard".into()));
    }
}
