//! One realm: its sessions, its broker and its dealer.

use std::collections::HashMap;

use super::broker::Broker;
use super::dealer::Dealer;
use crate::id::Id;

/// Who a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its authentication ID.
    pub authid: String,
    /// Its role.
    pub authrole: String,
}

/// A routing domain: sessions in one realm see only each other.
#[derive(Debug)]
pub struct Realm {
    name: String,
    pub(super) members: HashMap<Id, Member>,
    pub(super) broker: Broker,
    pub(super) dealer: Dealer,
}

impl Realm {
    /// An empty realm.
    pub fn new(name: String) -> Self {
        Self { name, members: HashMap::new(), broker: Broker::default(), dealer: Dealer::default() }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many sessions are in it.
    pub fn session_count(&self) -> usize {
        self.members.len()
    }
}
