//! This node as the server API's `info` shows it.

use std::time::Instant;

use capstan::Topics;
use capstan_api::NodeInfo;

use crate::rooms::Rooms;

/// Who this node is, and since when.
#[derive(Debug, Clone)]
pub struct NodeIdentity {
    /// Unique for this run (the cluster's node id, or a random one).
    pub uid: String,
    /// As configured, or the address bound.
    pub name: String,
    /// When it started.
    pub started: Instant,
}

impl NodeIdentity {
    /// The node's figures now: its rooms, their members and subscriptions
    /// (this node's own).
    pub fn info(&self, topics: &Topics, rooms: &Rooms) -> NodeInfo {
        let mut users = std::collections::BTreeSet::new();
        let mut subs = 0u64;
        let (list, _) = rooms.list(None, usize::MAX);
        for summary in &list {
            subs += summary.members as u64;
            for name in rooms.members(&summary.name, None, usize::MAX).names {
                users.insert(name);
            }
        }
        NodeInfo {
            uid: self.uid.clone(),
            name: self.name.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            num_clients: users.len() as u64,
            num_users: users.len() as u64,
            num_channels: topics.len() as u64,
            num_subs: subs,
            uptime: self.started.elapsed().as_secs(),
        }
    }
}
