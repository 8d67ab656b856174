//! A realm's subscriptions: which sessions receive what is published to a
//! topic. One subscription per topic, shared by its subscribers (its ID is
//! the same for all, as the spec has it).

use std::collections::{BTreeSet, HashMap};

use crate::id::Id;
use crate::ids::IdSource;

/// One topic's subscription.
#[derive(Debug)]
struct Subscription {
    topic: String,
    subscribers: BTreeSet<Id>,
}

/// The subscriptions of a realm.
#[derive(Debug, Default)]
pub struct Broker {
    by_topic: HashMap<String, Id>,
    subscriptions: HashMap<Id, Subscription>,
}

impl Broker {
    /// Subscribes `session` to `topic`: the subscription's ID.
    pub fn subscribe(&mut self, ids: &mut IdSource, session: Id, topic: &str) -> Id {
        let id = match self.by_topic.get(topic) {
            Some(id) => *id,
            None => {
                let id = ids.next();
                self.by_topic.insert(topic.to_owned(), id);
                let subscription =
                    Subscription { topic: topic.to_owned(), subscribers: BTreeSet::new() };
                self.subscriptions.insert(id, subscription);
                id
            }
        };
        self.subscriptions.get_mut(&id).expect("just found or made").subscribers.insert(session);
        id
    }

    /// Takes `session` out of `subscription`; false if it was not in it.
    pub fn unsubscribe(&mut self, session: Id, subscription: Id) -> bool {
        let Some(entry) = self.subscriptions.get_mut(&subscription) else { return false };
        if !entry.subscribers.remove(&session) {
            return false;
        }
        if entry.subscribers.is_empty() {
            let topic = std::mem::take(&mut entry.topic);
            self.subscriptions.remove(&subscription);
            self.by_topic.remove(&topic);
        }
        true
    }

    /// The subscription to `topic` and its subscribers, if any.
    pub fn subscribers(&self, topic: &str) -> Option<(Id, &BTreeSet<Id>)> {
        let id = self.by_topic.get(topic)?;
        Some((*id, &self.subscriptions[id].subscribers))
    }

    /// Takes `session` out of every subscription (it left).
    pub fn remove_session(&mut self, session: Id) {
        let theirs: Vec<Id> = self
            .subscriptions
            .iter()
            .filter(|(_, s)| s.subscribers.contains(&session))
            .map(|(id, _)| *id)
            .collect();
        for subscription in theirs {
            self.unsubscribe(session, subscription);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn subscribers_of_a_topic_share_one_subscription_until_the_last_leaves() {
        let (mut broker, mut ids) = (Broker::default(), IdSource::new());
        let first = broker.subscribe(&mut ids, id(1), "t");
        assert_eq!(broker.subscribe(&mut ids, id(2), "t"), first);
        assert_ne!(broker.subscribe(&mut ids, id(1), "u"), first);
        assert_eq!(broker.subscribers("t").map(|(_, s)| s.len()), Some(2));
        assert!(broker.unsubscribe(id(1), first));
        assert!(!broker.unsubscribe(id(1), first), "not twice");
        broker.remove_session(id(2));
        assert!(broker.subscribers("t").is_none());
        assert_eq!(broker.subscribers("u").map(|(_, s)| s.len()), Some(1));
    }
}
