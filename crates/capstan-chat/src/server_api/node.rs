//! This node as the server API's `info` shows it, and, in a cluster, the
//! directory of every node: each node keeps an entry with its figures in
//! the cluster's presence (refreshed every few seconds; a dead node's
//! entry expires with the presence's time-to-live), and `info` lists them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use capstan::Topics;
use capstan::pubsub::Presence;
use capstan_api::NodeInfo;

use crate::name_registry::NameRegistry;
use crate::rooms::Rooms;

/// The presence topic of the node directory.
const NODES: &str = "chat-nodes";

/// How often a node writes its figures into the directory.
pub const NODE_REFRESH: Duration = Duration::from_secs(5);

/// Who this node is, and since when.
#[derive(Debug)]
pub struct NodeIdentity {
    /// Unique for this run (the cluster's node id, or a random one).
    pub uid: String,
    /// As configured, or the address bound (named once it is bound).
    pub name: std::sync::OnceLock<String>,
    /// When it started.
    pub started: Instant,
}

impl NodeIdentity {
    /// A node with `uid`, named `name` if configured (else once bound, with
    /// [`NodeIdentity::name_if_unnamed`]).
    pub fn new(uid: String, name: Option<String>) -> Self {
        let named = std::sync::OnceLock::new();
        if let Some(name) = name {
            let _ = named.set(name);
        }
        Self { uid, name: named, started: Instant::now() }
    }

    /// Names the node `name` unless it has a name.
    pub fn name_if_unnamed(&self, name: impl FnOnce() -> String) {
        let _ = self.name.get_or_init(name);
    }

    /// The node's figures now (this node's own): its named users (one
    /// connection each: a new one replaces the old), its topics, and the
    /// members of its rooms. Counts only, no member list is walked: the
    /// admin page asks every second.
    pub fn info(&self, topics: &Topics, rooms: &Rooms, names: &NameRegistry) -> NodeInfo {
        let users = names.len() as u64;
        let (list, _) = rooms.list(None, usize::MAX);
        let subs = list.iter().map(|summary| summary.members as u64).sum();
        NodeInfo {
            uid: self.uid.clone(),
            name: self.name.get().cloned().unwrap_or_default(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            num_clients: users,
            num_users: users,
            num_channels: topics.len() as u64,
            num_subs: subs,
            uptime: self.started.elapsed().as_secs(),
        }
    }
}

/// The nodes of a cluster, in its presence.
#[derive(Clone)]
pub struct NodeDirectory {
    presence: Arc<dyn Presence>,
}

impl NodeDirectory {
    /// The directory kept in `presence`.
    pub fn new(presence: Arc<dyn Presence>) -> Self {
        Self { presence }
    }

    /// Writes `node`'s figures now, then every [`NODE_REFRESH`], until the
    /// task is aborted.
    pub fn keep(
        &self,
        node: Arc<NodeIdentity>,
        topics: Topics,
        rooms: Arc<Rooms>,
        names: Arc<NameRegistry>,
    ) -> tokio::task::JoinHandle<()> {
        let presence = self.presence.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(NODE_REFRESH);
            loop {
                every.tick().await;
                let info = node.info(&topics, &rooms, &names);
                let json = serde_json::to_string(&info).expect("a NodeInfo serializes");
                if let Err(error) = presence.add(NODES, &node.uid, &json).await {
                    tracing::warn!(%error, "this node's entry in the node directory was not written");
                }
            }
        })
    }

    /// Every node alive, `own` (this node's figures now) among them, by
    /// name.
    pub async fn list(&self, own: NodeInfo) -> Result<Vec<NodeInfo>, String> {
        let entries = self.presence.list(NODES).await.map_err(|e| e.to_string())?;
        let mut nodes: Vec<NodeInfo> = entries
            .iter()
            .filter(|entry| entry.member != own.uid)
            .filter_map(|entry| serde_json::from_str(&entry.info).ok())
            .collect();
        nodes.push(own);
        nodes.sort_by(|a, b| a.name.cmp(&b.name).then(a.uid.cmp(&b.uid)));
        Ok(nodes)
    }
}
