//! A route's live sessions by id, for resumes to find.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::entry::Entry;
use crate::resume::SessionId;

/// The sessions of one route.
pub(crate) struct Registry<S> {
    sessions: Mutex<HashMap<SessionId, Arc<Entry<S>>>>,
}

impl<S> Registry<S> {
    /// No session yet.
    pub(crate) fn new() -> Self {
        Self { sessions: Mutex::new(HashMap::new()) }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<SessionId, Arc<Entry<S>>>> {
        self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `entry` under `id`.
    pub(crate) fn insert(&self, id: SessionId, entry: Arc<Entry<S>>) {
        self.map().insert(id, entry);
    }

    /// The session `id`, if it lives.
    pub(crate) fn get(&self, id: &SessionId) -> Option<Arc<Entry<S>>> {
        self.map().get(id).cloned()
    }

    /// Forgets the session `id`.
    pub(crate) fn remove(&self, id: &SessionId) {
        self.map().remove(id);
    }

    /// How many sessions live.
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}
