//! Who blocks whom, among the connections open now: each connection's
//! blocked users, and for an author the connections that block it (to
//! leave them out of a room's broadcast). A blocked user is matched by
//! name, as [`NameKey::clashes_with`] does: the same name in another case,
//! or one that looks the same, is blocked too.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use capstan::ConnId;

use crate::names::{NameKey, name_key};

/// A user someone blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The name as it was blocked.
    pub name: String,
    /// Its keys.
    pub key: NameKey,
}

impl Blocked {
    /// A blocked user named `name` (a normalized user name).
    pub fn new(name: &str) -> Self {
        Self { name: name.to_owned(), key: NameKey::of(name) }
    }
}

#[derive(Debug, Default)]
struct Index {
    by_conn: HashMap<ConnId, Vec<Blocked>>,
    /// Blocking connections, by the case key of whom they block.
    by_case: HashMap<String, HashSet<ConnId>>,
    /// Blocking connections, by the look key of whom they block.
    by_look: HashMap<String, HashSet<ConnId>>,
}

impl Index {
    fn has(&self, conn: ConnId, blocked: &Blocked) -> bool {
        self.by_conn
            .get(&conn)
            .is_some_and(|list| list.iter().any(|b| b.key.case == blocked.key.case))
    }

    fn unindex(&mut self, conn: ConnId, blocked: &Blocked) {
        for (map, key) in
            [(&mut self.by_case, &blocked.key.case), (&mut self.by_look, &blocked.key.look)]
        {
            if let Some(set) = map.get_mut(key) {
                set.remove(&conn);
                if set.is_empty() {
                    map.remove(key);
                }
            }
        }
    }

    fn index(&mut self, conn: ConnId, blocked: &Blocked) {
        self.by_case.entry(blocked.key.case.clone()).or_default().insert(conn);
        self.by_look.entry(blocked.key.look.clone()).or_default().insert(conn);
    }
}

/// The block lists of the open connections.
#[derive(Debug, Default)]
pub struct Blocks {
    index: Mutex<Index>,
}

impl Blocks {
    /// No blocks.
    pub fn new() -> Self {
        Self::default()
    }

    fn index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `conn`'s list is `list` (as loaded when it took its name).
    pub fn set(&self, conn: ConnId, list: Vec<Blocked>) {
        let mut index = self.index();
        if let Some(old) = index.by_conn.remove(&conn) {
            for blocked in &old {
                index.unindex(conn, blocked);
            }
        }
        for blocked in &list {
            index.index(conn, blocked);
        }
        if !list.is_empty() {
            index.by_conn.insert(conn, list);
        }
    }

    /// `conn` blocks `blocked` too; false if it already did.
    pub fn add(&self, conn: ConnId, blocked: Blocked) -> bool {
        let mut index = self.index();
        if index.has(conn, &blocked) {
            return false;
        }
        index.by_conn.entry(conn).or_default().push(blocked.clone());
        index.index(conn, &blocked);
        true
    }

    /// Whether `conn` blocks `blocked` already (the same name but for case).
    pub fn has(&self, conn: ConnId, blocked: &Blocked) -> bool {
        self.index().has(conn, blocked)
    }

    /// `conn` no longer blocks the user named `name` (by case); false if it
    /// did not.
    pub fn remove(&self, conn: ConnId, name: &str) -> bool {
        let case = name_key(name);
        let mut index = self.index();
        let Some(list) = index.by_conn.get_mut(&conn) else { return false };
        let Some(at) = list.iter().position(|b| b.key.case == case) else { return false };
        let blocked = list.remove(at);
        if list.is_empty() {
            index.by_conn.remove(&conn);
        }
        index.unindex(conn, &blocked);
        true
    }

    /// Forgets `conn` (it closed).
    pub fn forget(&self, conn: ConnId) {
        self.set(conn, Vec::new());
    }

    /// The names `conn` blocks, in code point order.
    pub fn list(&self, conn: ConnId) -> Vec<String> {
        let index = self.index();
        let mut names: Vec<String> = index
            .by_conn
            .get(&conn)
            .map_or_else(Vec::new, |l| l.iter().map(|b| b.name.clone()).collect());
        names.sort();
        names
    }

    /// How many users `conn` blocks.
    pub fn count(&self, conn: ConnId) -> usize {
        self.index().by_conn.get(&conn).map_or(0, Vec::len)
    }

    /// The connections that block `author`.
    pub fn blockers_of(&self, author: &str) -> Vec<ConnId> {
        let index = self.index();
        if index.by_conn.is_empty() {
            return Vec::new();
        }
        let key = NameKey::of(author);
        let mut found: HashSet<ConnId> = HashSet::new();
        for set in
            [index.by_case.get(&key.case), index.by_look.get(&key.look)].into_iter().flatten()
        {
            found.extend(set.iter().copied());
        }
        found.into_iter().collect()
    }

    /// A test for whether `conn` blocks an author, for filtering a list of
    /// messages (the author's keys are worked out once per name).
    pub fn filter_for(&self, conn: ConnId) -> BlockFilter {
        BlockFilter { list: self.index().by_conn.get(&conn).cloned().unwrap_or_default() }
    }
}

/// What one connection blocks, taken out of the index.
#[derive(Debug, Clone, Default)]
pub struct BlockFilter {
    list: Vec<Blocked>,
}

impl BlockFilter {
    /// Whether messages by `author` are kept from this connection.
    pub fn blocks(&self, author: &str) -> bool {
        if self.list.is_empty() {
            return false;
        }
        let key = NameKey::of(author);
        self.list.iter().any(|b| b.key.clashes_with(&key))
    }

    /// Whether nothing is blocked.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ConnId {
        ConnId::from_raw(n)
    }

    #[test]
    fn an_author_is_blocked_by_name_case_and_look() {
        let blocks = Blocks::new();
        blocks.set(id(1), vec![Blocked::new("mallory")]);
        blocks.add(id(2), Blocked::new("Mallory"));
        let mut blockers = blocks.blockers_of("MALLORY");
        blockers.sort();
        assert_eq!(blockers, [id(1), id(2)]);
        assert_eq!(blocks.blockers_of("mаllory").len(), 2, "Cyrillic а");
        assert!(blocks.blockers_of("bob").is_empty());
        let filter = blocks.filter_for(id(1));
        assert!(filter.blocks("mallory") && filter.blocks("MaIlory"));
        assert!(!filter.blocks("mal"));
    }

    #[test]
    fn unblocking_and_closing_take_the_entries_out() {
        let blocks = Blocks::new();
        assert!(blocks.add(id(1), Blocked::new("a")));
        assert!(!blocks.add(id(1), Blocked::new("A")), "already blocked");
        blocks.add(id(1), Blocked::new("B"));
        assert_eq!(blocks.list(id(1)), ["B", "a"]);
        assert!(blocks.remove(id(1), "A"));
        assert!(!blocks.remove(id(1), "a"));
        assert!(blocks.blockers_of("a").is_empty());
        assert_eq!(blocks.count(id(1)), 1);
        blocks.forget(id(1));
        assert!(blocks.blockers_of("B").is_empty());
        assert!(blocks.filter_for(id(1)).is_empty());
    }
}
