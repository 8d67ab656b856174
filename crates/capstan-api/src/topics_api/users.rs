//! The connections the application registered, by user: what
//! `disconnect`, `unsubscribe` and `info` act on. A connection leaves by
//! itself when it ends (the registry is one of its groups, as a topic is).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use capstan::{Conn, ConnId, Membership};

/// The registered connections; cheap to clone.
#[derive(Clone, Default)]
pub(super) struct Users(Arc<Registry>);

#[derive(Default)]
struct Registry(Mutex<Tables>);

#[derive(Default)]
struct Tables {
    conns: HashMap<ConnId, (Conn, Arc<str>)>,
    by_user: HashMap<Arc<str>, HashSet<ConnId>>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Membership for Registry {
    fn leave(&self, id: ConnId) {
        let mut tables = self.lock();
        let Some((_, user)) = tables.conns.remove(&id) else { return };
        if let Some(ids) = tables.by_user.get_mut(&user) {
            ids.remove(&id);
            if ids.is_empty() {
                tables.by_user.remove(&user);
            }
        }
    }
}

impl Users {
    /// Registers `conn` as `user`'s (once; a second call changes nothing).
    pub(super) fn add(&self, conn: &Conn, user: &str) {
        {
            let mut tables = self.0.lock();
            if tables.conns.contains_key(&conn.id()) {
                return;
            }
            let user: Arc<str> = Arc::from(user);
            tables.by_user.entry(user.clone()).or_default().insert(conn.id());
            tables.conns.insert(conn.id(), (conn.clone(), user));
        }
        conn.join_group(self.0.clone());
    }

    /// `user`'s connections (`""`: every connection).
    pub(super) fn of(&self, user: &str) -> Vec<Conn> {
        let tables = self.0.lock();
        if user.is_empty() {
            return tables.conns.values().map(|(conn, _)| conn.clone()).collect();
        }
        let Some(ids) = tables.by_user.get(user) else { return Vec::new() };
        ids.iter().filter_map(|id| tables.conns.get(id)).map(|(conn, _)| conn.clone()).collect()
    }

    /// Registered connections, and distinct users among them.
    pub(super) fn counts(&self) -> (usize, usize) {
        let tables = self.0.lock();
        (tables.conns.len(), tables.by_user.len())
    }
}
