//! The HTTP fallbacks' transport tokens (docs/SESSIONS.md §8.1): each
//! names one transport — its downstream and its session — for the GET that
//! reads it and the POSTs that feed it, for as long as it lasts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::downstream::Downstream;
use super::entry::Entry;
use crate::resume::SessionId;

/// A transport, as its token finds it.
pub(crate) struct HttpTransport<S> {
    pub(crate) downstream: Arc<Downstream>,
    pub(crate) entry: Arc<Entry<S>>,
}

impl<S> Clone for HttpTransport<S> {
    fn clone(&self) -> Self {
        Self { downstream: self.downstream.clone(), entry: self.entry.clone() }
    }
}

/// A route's live transport tokens.
pub(crate) struct Tokens<S> {
    live: Mutex<HashMap<SessionId, HttpTransport<S>>>,
}

impl<S> Tokens<S> {
    pub(crate) fn new() -> Self {
        Self { live: Mutex::new(HashMap::new()) }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<SessionId, HttpTransport<S>>> {
        self.live.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new token for `transport`.
    pub(crate) fn issue(&self, transport: HttpTransport<S>) -> Result<SessionId, getrandom::Error> {
        let token = SessionId::generate()?;
        self.map().insert(token.clone(), transport);
        Ok(token)
    }

    /// The transport `token` names, if it lasts.
    pub(crate) fn get(&self, token: &SessionId) -> Option<HttpTransport<S>> {
        self.map().get(token).cloned()
    }

    /// The transport ended: its token names nothing from now.
    pub(crate) fn revoke(&self, token: &SessionId) {
        self.map().remove(token);
    }
}
