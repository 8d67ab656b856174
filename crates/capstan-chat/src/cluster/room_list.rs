//! The public rooms of the whole cluster, for the `rooms` answer: every
//! node registers a room in a Redis sorted set (`<prefix>:chat:rooms`, all
//! scores 0, so Redis keeps it in byte order of the names, as the
//! single-node list is) when a connection joins it; a page reads the
//! names, then each room's last id (its stream) and members (every node's
//! presence) at once. A room with no message left and nobody in it is
//! not listed and is dropped from the set, as a single node forgets it.

use std::sync::Arc;

use capstan::pubsub::History;
use capstan_redis::{RedisEngine, RedisHistory, redis};
use futures_util::future::join_all;

use super::members::ClusterMembers;
use crate::rooms::{RoomSummary, Rooms};

/// Reads of the set before a page is given up short (rooms dropped on
/// the way make a read come back with fewer than asked).
const READS: usize = 4;

/// The cluster's list of public rooms. Cheap to clone.
#[derive(Clone)]
pub struct ClusterRooms {
    engine: RedisEngine,
    history: Arc<RedisHistory>,
    key: String,
}

/// A listed room: its summary and last id.
pub struct Listed {
    /// Name and members.
    pub summary: RoomSummary,
    /// Its last message id (0: none).
    pub last_id: u64,
}

impl ClusterRooms {
    /// The list kept in `engine`'s Redis, under its prefix.
    pub fn new(engine: RedisEngine) -> Self {
        let key = format!("{}:chat:rooms", engine.config().prefix);
        let history = engine.history();
        Self { engine, history, key }
    }

    /// Registers `room` (a connection joins it); `Err` if Redis did not
    /// answer.
    pub async fn register(&self, room: &str) -> Result<(), String> {
        let mut add = redis::cmd("ZADD");
        add.arg(&self.key).arg("NX").arg(0).arg(room);
        self.engine.query::<i64>(&add).await.map(drop).map_err(|e| e.to_string())
    }

    /// Up to `limit` rooms after `after`, by name, and whether more
    /// follow. Members are counted as [`ClusterMembers::page`] does (every
    /// node's, this node's own from `local`).
    pub async fn page(
        &self,
        after: Option<&str>,
        limit: usize,
        members: &ClusterMembers,
        local: &Rooms,
    ) -> Result<(Vec<Listed>, bool), String> {
        let mut listed = Vec::with_capacity(limit);
        let mut cursor = after.map(str::to_owned);
        let mut more = false;
        let mut gone = Vec::new();
        for _ in 0..READS {
            let wanted = limit - listed.len();
            let mut names = self.names_after(cursor.as_deref(), wanted + 1).await?;
            more = names.len() > wanted;
            names.truncate(wanted);
            let rooms = join_all(names.iter().map(|name| self.summary(name, members, local)));
            for (name, room) in names.iter().zip(rooms.await) {
                let room = room?;
                if room.last_id == 0 && room.summary.members == 0 {
                    gone.push(name.clone());
                } else {
                    listed.push(room);
                }
            }
            cursor = names.pop();
            if !more || listed.len() == limit {
                break;
            }
        }
        if !gone.is_empty() {
            let mut drop_them = redis::cmd("ZREM");
            drop_them.arg(&self.key).arg(&gone);
            if let Err(error) = self.engine.query::<i64>(&drop_them).await {
                tracing::warn!(%error, "empty rooms were not dropped from the list (next time)");
            }
        }
        Ok((listed, more))
    }

    /// Up to `count` names after `after`, by name.
    async fn names_after(&self, after: Option<&str>, count: usize) -> Result<Vec<String>, String> {
        let start = after.map_or_else(|| "-".to_owned(), |name| format!("({name}"));
        let mut range = redis::cmd("ZRANGEBYLEX");
        range.arg(&self.key).arg(start).arg("+").arg("LIMIT").arg(0).arg(count);
        self.engine.query(&range).await.map_err(|e| e.to_string())
    }

    /// `room`'s last id and members.
    async fn summary(
        &self,
        room: &str,
        members: &ClusterMembers,
        local: &Rooms,
    ) -> Result<Listed, String> {
        let (latest, page) =
            tokio::join!(self.history.latest(room), members.page(room, local, None, 0));
        let last_id = latest.map_err(|e| e.to_string())?.offset;
        let page = page.map_err(|refusal| refusal.message)?;
        let summary =
            RoomSummary { name: room.to_owned(), members: page.total, stored: last_id > 0 };
        Ok(Listed { summary, last_id })
    }
}
