//! Presence in this process's memory: for one node, or for tests. Entries
//! expire as an engine across the network's do, so code written against
//! the seam behaves the same on both.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::history::BoxFuture;
use super::presence::{Presence, PresenceError, Present};

/// One topic's members: member → (info, when it expires).
type Members = BTreeMap<String, (String, Instant)>;

/// A [`Presence`] kept in memory.
#[derive(Debug)]
pub struct MemoryPresence {
    ttl: Duration,
    topics: Mutex<HashMap<String, Members>>,
}

impl MemoryPresence {
    /// An empty presence whose entries live `ttl` unless refreshed.
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, topics: Mutex::default() }
    }

    fn topics(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        self.topics.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add_now(&self, topic: &str, member: &str, info: &str, now: Instant) {
        let mut topics = self.topics();
        let members = topics.entry(topic.to_owned()).or_default();
        members.insert(member.to_owned(), (info.to_owned(), now + self.ttl));
    }

    fn remove_now(&self, topic: &str, member: &str) {
        let mut topics = self.topics();
        if let Some(members) = topics.get_mut(topic) {
            members.remove(member);
            if members.is_empty() {
                topics.remove(topic);
            }
        }
    }

    /// The live members of `topic` at `now`; the expired ones are dropped.
    fn list_now(&self, topic: &str, now: Instant) -> Vec<Present> {
        let mut topics = self.topics();
        let Some(members) = topics.get_mut(topic) else {
            return Vec::new();
        };
        members.retain(|_, (_, expires)| *expires > now);
        let present = members
            .iter()
            .map(|(member, (info, _))| Present { member: member.clone(), info: info.clone() })
            .collect();
        if members.is_empty() {
            topics.remove(topic);
        }
        present
    }
}

impl Presence for MemoryPresence {
    fn add(
        &self,
        topic: &str,
        member: &str,
        info: &str,
    ) -> BoxFuture<'_, Result<(), PresenceError>> {
        self.add_now(topic, member, info, Instant::now());
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove(&self, topic: &str, member: &str) -> BoxFuture<'_, Result<(), PresenceError>> {
        self.remove_now(topic, member);
        Box::pin(std::future::ready(Ok(())))
    }

    fn list(&self, topic: &str) -> BoxFuture<'_, Result<Vec<Present>, PresenceError>> {
        Box::pin(std::future::ready(Ok(self.list_now(topic, Instant::now()))))
    }

    fn count(&self, topic: &str) -> BoxFuture<'_, Result<usize, PresenceError>> {
        Box::pin(std::future::ready(Ok(self.list_now(topic, Instant::now()).len())))
    }
}

#[cfg(test)]
mod tests;
