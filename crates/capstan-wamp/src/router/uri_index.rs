//! The index a realm's subscriptions and registrations share: entries by
//! ID, found by (URI, match policy) — exact URIs by one hash look-up,
//! patterns tried in turn — and which entries each session is in.

use std::collections::{BTreeSet, HashMap};

use crate::id::Id;
use crate::pattern::MatchPolicy;

/// An entry of a [`UriIndex`]: a subscription or a registration.
pub trait Indexed {
    /// Its ID.
    fn id(&self) -> Id;
    /// The URI or pattern it was made for.
    fn uri(&self) -> &str;
    /// How its URI matches.
    fn policy(&self) -> MatchPolicy;
}

/// Entries by ID, by (URI, policy) and by session.
#[derive(Debug)]
pub struct UriIndex<T> {
    /// Exact entries by URI (looked up by `&str` on every publish or call).
    exact: HashMap<String, Id>,
    /// Prefix and wildcard entries by (policy, pattern).
    by_pattern: HashMap<(MatchPolicy, String), Id>,
    /// Prefix and wildcard entries, tried against every URI, in ID order.
    patterns: BTreeSet<Id>,
    entries: HashMap<Id, T>,
    by_session: HashMap<Id, BTreeSet<Id>>,
}

impl<T> Default for UriIndex<T> {
    fn default() -> Self {
        Self {
            exact: HashMap::new(),
            by_pattern: HashMap::new(),
            patterns: BTreeSet::new(),
            entries: HashMap::new(),
            by_session: HashMap::new(),
        }
    }
}

impl<T: Indexed> UriIndex<T> {
    /// The entry for `uri` under `policy`, if any.
    pub fn lookup(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        match policy {
            MatchPolicy::Exact => self.exact.get(uri).copied(),
            _ => self.by_pattern.get(&(policy, uri.to_owned())).copied(),
        }
    }

    /// The entry `id`, if it exists.
    pub fn get(&self, id: Id) -> Option<&T> {
        self.entries.get(&id)
    }

    /// The entry `id`, to change its members.
    pub fn get_mut(&mut self, id: Id) -> Option<&mut T> {
        self.entries.get_mut(&id)
    }

    /// The exact entry for `uri`, if any.
    pub fn exact(&self, uri: &str) -> Option<&T> {
        self.exact.get(uri).map(|id| &self.entries[id])
    }

    /// The prefix and wildcard entries, in ID order.
    pub fn patterns(&self) -> impl Iterator<Item = &T> + '_ {
        self.patterns.iter().map(|id| &self.entries[id])
    }

    /// The IDs of every entry under `policy`, in order.
    pub fn list(&self, policy: MatchPolicy) -> Vec<Id> {
        let mut ids: Vec<Id> =
            self.entries.values().filter(|e| e.policy() == policy).map(Indexed::id).collect();
        ids.sort();
        ids
    }

    /// Adds a new entry (none for its URI and policy yet).
    pub fn insert(&mut self, entry: T) {
        let id = entry.id();
        if entry.policy() == MatchPolicy::Exact {
            self.exact.insert(entry.uri().to_owned(), id);
        } else {
            self.by_pattern.insert((entry.policy(), entry.uri().to_owned()), id);
            self.patterns.insert(id);
        }
        self.entries.insert(id, entry);
    }

    /// Notes that `session` is a member of the entry `id`.
    pub fn join(&mut self, session: Id, id: Id) {
        self.by_session.entry(session).or_default().insert(id);
    }

    /// Notes that `session` is no longer a member of the entry `id`.
    pub fn leave(&mut self, session: Id, id: Id) {
        if let Some(theirs) = self.by_session.get_mut(&session) {
            theirs.remove(&id);
            if theirs.is_empty() {
                self.by_session.remove(&session);
            }
        }
    }

    /// Removes the entry `id` (its last member left).
    pub fn remove(&mut self, id: Id) -> Option<T> {
        let gone = self.entries.remove(&id)?;
        if gone.policy() == MatchPolicy::Exact {
            self.exact.remove(gone.uri());
        } else {
            self.by_pattern.remove(&(gone.policy(), gone.uri().to_owned()));
            self.patterns.remove(&id);
        }
        Some(gone)
    }

    /// The entries `session` is a member of, forgotten here (it left):
    /// take it out of each.
    pub fn take_session(&mut self, session: Id) -> BTreeSet<Id> {
        self.by_session.remove(&session).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Entry(Id, &'static str, MatchPolicy);

    impl Indexed for Entry {
        fn id(&self) -> Id {
            self.0
        }
        fn uri(&self) -> &str {
            self.1
        }
        fn policy(&self) -> MatchPolicy {
            self.2
        }
    }

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn entries_are_found_by_uri_and_policy_until_removed() {
        let mut index = UriIndex::default();
        index.insert(Entry(id(1), "a.b", MatchPolicy::Exact));
        index.insert(Entry(id(2), "a", MatchPolicy::Prefix));
        assert_eq!(index.lookup("a.b", MatchPolicy::Exact), Some(id(1)));
        assert_eq!(index.lookup("a", MatchPolicy::Prefix), Some(id(2)));
        assert_eq!(index.lookup("a", MatchPolicy::Exact), None);
        assert_eq!(index.exact("a.b").map(Indexed::id), Some(id(1)));
        assert_eq!(index.patterns().map(Indexed::id).collect::<Vec<_>>(), vec![id(2)]);
        assert_eq!(index.list(MatchPolicy::Prefix), vec![id(2)]);

        assert!(index.remove(id(2)).is_some());
        assert_eq!(index.lookup("a", MatchPolicy::Prefix), None);
        assert_eq!(index.patterns().count(), 0);
        assert!(index.remove(id(2)).is_none(), "not twice");
    }

    #[test]
    fn a_session_s_entries_are_remembered_until_it_leaves_them() {
        let mut index: UriIndex<Entry> = UriIndex::default();
        index.join(id(7), id(1));
        index.join(id(7), id(2));
        index.leave(id(7), id(1));
        assert_eq!(index.take_session(id(7)), BTreeSet::from([id(2)]));
        assert!(index.take_session(id(7)).is_empty());
    }
}
