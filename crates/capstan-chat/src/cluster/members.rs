//! The rooms' members across nodes: every node mirrors its own members of
//! each room into Redis presence (one entry per connection, its name as the
//! entry's information, refreshed by the node, gone within the presence
//! time-to-live when the node dies), in the order they came and went; a
//! member list or count reads every node's entries.

use std::collections::BTreeSet;
use std::sync::Arc;

use capstan::ConnId;
use capstan::pubsub::Presence;
use capstan_redis::RedisPresence;
use tokio::sync::mpsc;

use crate::errors::{ErrorCode, Refusal};
use crate::presence::RoomCounter;
use crate::rooms::{MemberPage, RoomMirror, Rooms};

/// A change to mirror, in order.
enum Change {
    Joined { room: String, member: String, name: String },
    Left { room: String, member: String },
}

/// This node's side of the cluster's member lists. Cheap to clone.
#[derive(Clone)]
pub struct ClusterMembers {
    presence: Arc<RedisPresence>,
    node: String,
    changes: mpsc::UnboundedSender<Change>,
}

impl ClusterMembers {
    /// Mirrors into `presence` as node `node` (its connections' entries are
    /// `node:conn`); the changes are written in order by one task.
    pub fn new(presence: Arc<RedisPresence>, node: String) -> Self {
        let (changes, mut queue) = mpsc::unbounded_channel();
        let writer = presence.clone();
        tokio::spawn(async move {
            while let Some(change) = queue.recv().await {
                let written = match &change {
                    Change::Joined { room, member, name } => writer.add(room, member, name).await,
                    Change::Left { room, member } => writer.remove(room, member).await,
                };
                if let Err(error) = written {
                    tracing::warn!(%error, "a room's member was not mirrored to the cluster");
                }
            }
        });
        Self { presence, node, changes }
    }

    fn member(&self, conn: ConnId) -> String {
        format!("{}:{conn}", self.node)
    }

    /// A page of `room`'s member names on every node: distinct, in code
    /// point order, after `after`. This node's own members come from
    /// `local` (a join may not be mirrored yet).
    pub async fn page(
        &self,
        room: &str,
        local: &Rooms,
        after: Option<&str>,
        limit: usize,
    ) -> Result<MemberPage, Refusal> {
        let present = self.presence.list(room).await.map_err(|error| {
            tracing::error!(%error, room, "the cluster's members could not be read");
            Refusal::new(
                ErrorCode::StorageFailed,
                "the server could not read the room's members (its Redis did not answer)",
            )
        })?;
        // This node's own entries may lag its table (the mirror writes
        // in order, a moment later): its members come from the table.
        let own = format!("{}:", self.node);
        let mut names: BTreeSet<String> =
            present.into_iter().filter(|p| !p.member.starts_with(&own)).map(|p| p.info).collect();
        names.extend(local.members(room, None, usize::MAX).names);
        let total = names.len();
        let mut listed: Vec<String> = names
            .into_iter()
            .filter(|name| after.is_none_or(|after| name.as_str() > after))
            .take(limit + 1)
            .collect();
        let more = listed.len() > limit;
        listed.truncate(limit);
        Ok(MemberPage { names: listed, total, more })
    }
}

impl ClusterMembers {
    /// Counts each room's members on every node (for presence
    /// announcements), this node's from `local`.
    pub fn counter(&self, local: &Arc<Rooms>) -> RoomCounter {
        let (members, local) = (self.clone(), Arc::downgrade(local));
        Arc::new(move |room: String| {
            let (members, local) = (members.clone(), local.clone());
            Box::pin(async move {
                let local = local.upgrade()?;
                members.page(&room, &local, None, 0).await.ok().map(|page| page.total)
            })
        })
    }
}

impl std::fmt::Debug for ClusterMembers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterMembers").field("node", &self.node).finish_non_exhaustive()
    }
}

impl RoomMirror for ClusterMembers {
    fn joined(&self, room: &str, conn: ConnId, name: &str) {
        let member = self.member(conn);
        let _ = self.changes.send(Change::Joined {
            room: room.to_owned(),
            member,
            name: name.to_owned(),
        });
    }

    fn left(&self, room: &str, conn: ConnId) {
        let member = self.member(conn);
        let _ = self.changes.send(Change::Left { room: room.to_owned(), member });
    }
}
