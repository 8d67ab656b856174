//! Who holds which name now. A name is held by one connection at a time;
//! no two users hold names that are the same but for case, or that look
//! the same (their confusable skeletons match).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use capstan::{Conn, ConnId};

use crate::errors::{ErrorCode, Refusal};
use crate::names::{NameKey, name_key};

/// Close code for a connection whose name was taken over by its own
/// reconnecting client (on this node or another).
pub const REPLACED: capstan::CloseCode = capstan::CloseCode(4001);

/// What holds a name: a connection (a stand-in in tests).
pub trait Connection: Clone {
    /// Its id.
    fn id(&self) -> ConnId;
}

impl Connection for Conn {
    fn id(&self) -> ConnId {
        Conn::id(self)
    }
}

/// The connection holding a name, and who owns it.
#[derive(Debug, Clone)]
pub struct Holder<C = Conn> {
    /// The name, as held.
    pub name: String,
    /// The connection.
    pub conn: C,
    /// Who may take the name over: a session token, or `token:NAME` for a
    /// user named by a verified token.
    pub owner: String,
}

#[derive(Debug)]
struct Names<C> {
    /// Holders by case key.
    by_case: HashMap<String, Holder<C>>,
    /// Case keys by look key.
    by_look: HashMap<String, String>,
}

impl<C> Default for Names<C> {
    fn default() -> Self {
        Self { by_case: HashMap::new(), by_look: HashMap::new() }
    }
}

impl<C: Connection> Names<C> {
    /// The holders whose names clash with `key`, but for `conn` itself.
    fn clashing(&self, key: &NameKey, conn: ConnId) -> Vec<&Holder<C>> {
        let mut found: Vec<&Holder<C>> = Vec::new();
        let by_look = self.by_look.get(&key.look).and_then(|case| self.by_case.get(case));
        for holder in [self.by_case.get(&key.case), by_look].into_iter().flatten() {
            if holder.conn.id() != conn && !found.iter().any(|h| h.conn.id() == holder.conn.id()) {
                found.push(holder);
            }
        }
        found
    }

    fn remove(&mut self, name: &str) -> Option<Holder<C>> {
        let key = NameKey::of(name);
        let holder = self.by_case.remove(&key.case)?;
        if self.by_look.get(&key.look) == Some(&key.case) {
            self.by_look.remove(&key.look);
        }
        Some(holder)
    }

    fn insert(&mut self, holder: Holder<C>) {
        let key = NameKey::of(&holder.name);
        self.by_look.insert(key.look, key.case.clone());
        self.by_case.insert(key.case, holder);
    }
}

/// The names held now.
#[derive(Debug)]
pub struct NameRegistry<C = Conn> {
    names: Mutex<Names<C>>,
}

impl<C> Default for NameRegistry<C> {
    fn default() -> Self {
        Self { names: Mutex::default() }
    }
}

impl<C: Connection> NameRegistry<C> {
    /// Nobody named yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn names(&self) -> MutexGuard<'_, Names<C>> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `name` for `conn`, owned by `owner`: free, or held by an
    /// earlier connection of the same owner (returned, for the caller to
    /// close). Refused with `name_taken` when another owner holds it or a
    /// name that looks the same.
    pub fn claim(&self, conn: &C, name: &str, owner: &str) -> Result<Vec<C>, Refusal> {
        let mut names = self.names();
        let key = NameKey::of(name);
        let clashing = names.clashing(&key, conn.id());
        if let Some(other) = clashing.iter().find(|h| h.owner != owner) {
            return Err(taken(name, &other.name));
        }
        let replaced: Vec<Holder<C>> = clashing.into_iter().cloned().collect();
        for holder in &replaced {
            names.remove(&holder.name);
        }
        let holder = Holder { name: name.to_owned(), conn: conn.clone(), owner: owner.to_owned() };
        names.insert(holder);
        Ok(replaced.into_iter().map(|h| h.conn).collect())
    }

    /// `conn`, owned by `owner`, goes by `new` instead of `old` (given up if
    /// `conn` still holds it). Refused with `name_taken` when another
    /// connection holds a name that clashes with `new`.
    pub fn rename(&self, conn: &C, old: &str, new: &str, owner: &str) -> Result<(), Refusal> {
        let mut names = self.names();
        if let Some(other) = names.clashing(&NameKey::of(new), conn.id()).first() {
            return Err(taken(new, &other.name));
        }
        if names.by_case.get(&name_key(old)).is_some_and(|h| h.conn.id() == conn.id()) {
            names.remove(old);
        }
        names.insert(Holder { name: new.to_owned(), conn: conn.clone(), owner: owner.to_owned() });
        Ok(())
    }

    /// Gives `name` up if `conn` holds it; true if it did.
    pub fn release(&self, conn: ConnId, name: &str) -> bool {
        let mut names = self.names();
        match names.by_case.get(&name_key(name)) {
            Some(holder) if holder.conn.id() == conn => {
                names.remove(name);
                true
            }
            _ => false,
        }
    }

    /// The holder of `name` (by case), if someone holds it.
    pub fn holder(&self, name: &str) -> Option<Holder<C>> {
        self.names().by_case.get(&name_key(name)).cloned()
    }

    /// How many names are held.
    pub fn len(&self) -> usize {
        self.names().by_case.len()
    }

    /// Whether nobody holds a name.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn taken(asked: &str, held: &str) -> Refusal {
    let message = if asked.to_lowercase() == held.to_lowercase() {
        format!("{asked} is taken")
    } else {
        format!("{asked} is taken: it looks like {held}, who is connected")
    };
    Refusal::new(ErrorCode::NameTaken, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Fake(u64);

    impl Connection for Fake {
        fn id(&self) -> ConnId {
            ConnId::from_raw(self.0)
        }
    }

    fn code(result: Result<impl std::fmt::Debug, Refusal>) -> ErrorCode {
        result.unwrap_err().code
    }

    #[test]
    fn look_alikes_and_case_variants_are_taken() {
        let names = NameRegistry::new();
        names.claim(&Fake(1), "alice", "s1").unwrap();
        for name in ["Alice", "ALICE", "аlice", "AIice"] {
            assert_eq!(code(names.claim(&Fake(2), name, "s2")), ErrorCode::NameTaken, "{name}");
        }
        let refusal = names.claim(&Fake(2), "аlice", "s2").unwrap_err();
        assert!(refusal.message.contains("looks like alice"), "{}", refusal.message);
        names.claim(&Fake(2), "bob", "s2").unwrap();
        assert_eq!(names.len(), 2);
    }

    #[test]
    fn the_same_owner_takes_its_name_over() {
        let names = NameRegistry::new();
        names.claim(&Fake(1), "alice", "s1").unwrap();
        let replaced = names.claim(&Fake(2), "Alice", "s1").unwrap();
        assert_eq!(replaced, [Fake(1)]);
        assert_eq!(names.holder("alice").unwrap().conn, Fake(2));
        assert_eq!(names.holder("alice").unwrap().name, "Alice");
        assert!(!names.release(ConnId::from_raw(1), "alice"), "no longer the holder");
        assert!(names.release(ConnId::from_raw(2), "alice"));
        assert!(names.is_empty());
    }

    #[test]
    fn renames_check_the_new_name_and_free_the_old_one() {
        let names = NameRegistry::new();
        names.claim(&Fake(1), "alice", "s1").unwrap();
        names.claim(&Fake(2), "bob", "s2").unwrap();
        assert_eq!(code(names.rename(&Fake(2), "bob", "аlice", "s2")), ErrorCode::NameTaken);
        names.rename(&Fake(1), "alice", "Alice", "s1").unwrap(); // her own name, other case
        names.rename(&Fake(2), "bob", "carol", "s2").unwrap();
        assert!(names.holder("bob").is_none());
        names.claim(&Fake(3), "b0b", "s3").unwrap(); // "bob" is free again
        assert_eq!(names.holder("carol").unwrap().owner, "s2");
    }
}
