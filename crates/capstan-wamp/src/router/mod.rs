//! The router without I/O: realms, each with its sessions, broker and
//! dealer, and each connection's [`Session`] that reads the client's
//! messages and says what to send to whom ([`Out`]). The WebSocket side
//! (`server`) only serializes and sends.

mod broker;
mod calls;
mod dealer;
pub mod errors;
mod member;
mod publication;
mod publish;
mod realm;
mod session;
mod uri_index;

pub use broker::{Broker, Subscription};
pub use calls::{Call, Calls};
pub use dealer::{Callee, Dealer, InvokePolicy, Registration};
pub use member::{ClientFeatures, Member};
pub use publication::{NotAPublication, Publication};
pub use publish::PublishOptions;
pub use realm::Realm;
pub use session::Session;

use std::collections::{HashMap, HashSet};

use crate::config::RealmConfig;
use crate::id::Id;
use crate::ids::IdSource;
use crate::message::Message;
use crate::value::{Dict, Value};

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
    /// Hand this publication to the broker seam; every node routes it with
    /// [`Router::route_publication`]. If it asks, the publisher gets
    /// PUBLISHED once the broker has it.
    Publish(Box<Publication>),
    /// Call [`Router::timer_fired`] with these after `after_ms`
    /// milliseconds (a call's timeout).
    Timer {
        /// The call's realm.
        realm: String,
        /// The call's INVOCATION.Request.
        invocation: Id,
        /// Which of the call's timers this is.
        timer: u64,
        /// How long to wait.
        after_ms: u64,
    },
}

/// The realms a router serves.
#[derive(Debug)]
pub struct Router {
    realms: HashMap<String, Realm>,
    ids: IdSource,
    /// Sessions the router said GOODBYE to, waiting for their answer.
    goodbye_said: HashSet<Id>,
}

impl Router {
    /// A router serving the realms named in `realms` (open to anonymous).
    pub fn new<S: Into<String>>(realms: impl IntoIterator<Item = S>) -> Self {
        Self::from_configs(realms.into_iter().map(|name| RealmConfig::open(name.into())))
    }

    /// A router serving the realms `configs` describe (their
    /// authentication and authorization; see [`crate::config`]).
    pub fn from_configs(configs: impl IntoIterator<Item = RealmConfig>) -> Self {
        let realms =
            configs.into_iter().map(|config| (config.name.clone(), Realm::from_config(config)));
        Self { realms: realms.collect(), ids: IdSource::new(), goodbye_said: HashSet::new() }
    }

    /// The names of the realms served.
    pub fn realm_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.realms.keys().cloned().collect();
        names.sort();
        names
    }

    /// The realm called `name`, if served.
    pub fn realm(&self, name: &str) -> Option<&Realm> {
        self.realms.get(name)
    }

    /// A timer asked for by [`Out::Timer`] ran out: the call it guards, if
    /// still waiting for it, ends with `wamp.error.timeout`.
    pub fn timer_fired(&mut self, realm: &str, invocation: Id, timer: u64) -> Vec<Out> {
        session::timer_fired(self, realm, invocation, timer)
    }

    /// A publication from the broker seam (from this node or another): the
    /// events for this node's subscribers of its topic.
    pub fn route_publication(&self, publication: &Publication) -> Vec<Out> {
        let Some(realm) = self.realms.get(&publication.realm) else { return Vec::new() };
        realm.events(
            publication.id,
            &publication.topic,
            publication.publisher,
            (&publication.filter(), &publication.details),
            &publication.payload,
        )
    }

    /// The router is shutting down: every session is told GOODBYE with
    /// `reason` (`wamp.close.system_shutdown`) and leaves its realm; each
    /// connection closes when its client answers.
    pub fn shut_down(&mut self, reason: &str, message: &str) -> Vec<Out> {
        let details = Dict::from([("message".to_owned(), Value::from(message))]);
        let goodbye = Message::Goodbye { details, reason: reason.to_owned() };
        let mut everyone = Vec::new();
        for realm in self.realms.values_mut() {
            let mut members: Vec<Id> = realm.members.keys().copied().collect();
            members.sort();
            for id in &members {
                // Everyone leaves: what the others would hear is moot.
                session::depart(realm, &mut self.ids, *id);
            }
            everyone.extend(members);
        }
        self.goodbye_said.extend(everyone.iter().copied());
        everyone.into_iter().map(|id| Out::To(id, goodbye.clone())).collect()
    }

    /// The realm `name` and the router's ID source, to act in it.
    fn realm_and_ids(&mut self, name: &str) -> Option<(&mut Realm, &mut IdSource)> {
        let realm = self.realms.get_mut(name)?;
        Some((realm, &mut self.ids))
    }
}
