//! The router without I/O: realms, each with its sessions, broker and
//! dealer, and each connection's [`Session`] that reads the client's
//! messages and says what to send to whom ([`Out`]). The WebSocket side
//! (`server`) only serializes and sends.

mod broker;
mod dealer;
mod errors;
mod realm;
mod session;

pub use broker::Broker;
pub use dealer::{Dealer, Pending};
pub use realm::Realm;
pub use session::Session;

use std::collections::HashMap;

use crate::id::Id;
use crate::ids::IdSource;
use crate::message::Message;

/// What a session's step asks the I/O side to do, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// Send to this connection.
    Reply(Message),
    /// Send to another session of the realm.
    To(Id, Message),
    /// Send one message to many sessions (serialized once per serializer).
    Fanout(Vec<Id>, Message),
    /// Close this connection (after what was sent before).
    Close,
}

/// The realms a router serves.
#[derive(Debug)]
pub struct Router {
    realms: HashMap<String, Realm>,
    ids: IdSource,
}

impl Router {
    /// A router serving the realms named in `realms` (open to anonymous).
    pub fn new<S: Into<String>>(realms: impl IntoIterator<Item = S>) -> Self {
        let realms = realms.into_iter().map(|name| {
            let name = name.into();
            (name.clone(), Realm::new(name))
        });
        Self { realms: realms.collect(), ids: IdSource::new() }
    }

    /// The realm called `name`, if served.
    pub fn realm(&self, name: &str) -> Option<&Realm> {
        self.realms.get(name)
    }

    /// The realm `name` and the router's ID source, to act in it.
    fn realm_and_ids(&mut self, name: &str) -> Option<(&mut Realm, &mut IdSource)> {
        let realm = self.realms.get_mut(name)?;
        Some((realm, &mut self.ids))
    }
}
