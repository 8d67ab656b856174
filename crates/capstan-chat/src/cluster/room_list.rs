//! The public rooms of the whole cluster, for the `rooms` answer: every
//! node registers a room in a Redis sorted set (`<prefix>:chat:rooms`, all
//! scores 0, so Redis keeps it in byte order of the names, as the
//! single-node list is) when a connection joins it; a page reads the
//! names, then each room's last id (its stream) and members (every node's
//! presence) at once. A room with no message left and nobody in it is
//! not listed and is dropped from the set, as a single node forgets it.

use std::sync::{Arc, Mutex};

use capstan::pubsub::History;
use capstan_redis::{RedisEngine, RedisHistory, redis};
use futures_util::future::join_all;

use super::members::ClusterMembers;
use crate::rooms::{RoomSummary, Rooms};

/// Reads of the set for one page: rooms dropped on the way make a read
/// come back with fewer than asked; past this many a page ends short (but
/// never empty while rooms follow: see [`ClusterRooms::page`]).
const READS: usize = 4;

/// Reads of the set for a page with nothing listed yet, at most: a run
/// of empty rooms is skipped, up to this many reads of `limit + 1` names.
const READS_FOR_ONE: usize = 64;

/// Names a registration examines after the last one examined (in turn,
/// round the set), dropping the empty ones: the set cannot fill up with
/// rooms nobody lists.
const SWEEP: usize = 4;

/// The cluster's list of public rooms. Cheap to clone.
#[derive(Clone)]
pub struct ClusterRooms {
    engine: RedisEngine,
    history: Arc<RedisHistory>,
    key: String,
    /// The last name [`ClusterRooms::sweep`] examined.
    sweep_cursor: Arc<Mutex<Option<String>>>,
}

/// A listed room: its summary and last id.
pub struct Listed {
    /// Name and members.
    pub summary: RoomSummary,
    /// Its last message id (0: none).
    pub last_id: u64,
}

impl Listed {
    /// No message left and nobody in it: not listed.
    fn is_empty(&self) -> bool {
        self.last_id == 0 && self.summary.members == 0
    }
}

impl ClusterRooms {
    /// The list kept in `engine`'s Redis, under its prefix.
    pub fn new(engine: RedisEngine) -> Self {
        let key = format!("{}:chat:rooms", engine.config().prefix);
        let history = engine.history();
        Self { engine, history, key, sweep_cursor: Arc::default() }
    }

    /// Registers `room` (a connection joins it); `Err` if Redis did not
    /// answer.
    pub async fn register(&self, room: &str) -> Result<(), String> {
        let mut add = redis::cmd("ZADD");
        add.arg(&self.key).arg("NX").arg(0).arg(room);
        self.engine.query::<i64>(&add).await.map(drop).map_err(|e| e.to_string())
    }

    /// Examines the next [`SWEEP`] names after the last examined (from
    /// the start once past the end) and drops the empty rooms among them;
    /// returns how many it dropped. Called after registrations, so the
    /// set is swept at the pace rooms are made.
    pub async fn sweep(&self, members: &ClusterMembers, local: &Rooms) -> Result<usize, String> {
        let cursor = self.sweep_cursor.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut names = self.names_after(cursor.as_deref(), SWEEP).await?;
        if names.is_empty() && cursor.is_some() {
            names = self.names_after(None, SWEEP).await?;
        }
        *self.sweep_cursor.lock().unwrap_or_else(|p| p.into_inner()) = names.last().cloned();
        let rooms = join_all(names.iter().map(|name| self.summary(name, members, local))).await;
        let mut gone = Vec::new();
        for (name, room) in names.into_iter().zip(rooms) {
            if room?.is_empty() {
                gone.push(name);
            }
        }
        self.drop_rooms(&gone).await;
        Ok(gone.len())
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
        let mut reads = 0;
        while reads < READS || (listed.is_empty() && reads < READS_FOR_ONE) {
            reads += 1;
            let wanted = limit - listed.len();
            let mut names = self.names_after(cursor.as_deref(), wanted + 1).await?;
            more = names.len() > wanted;
            names.truncate(wanted);
            let rooms = join_all(names.iter().map(|name| self.summary(name, members, local)));
            for (name, room) in names.iter().zip(rooms.await) {
                let room = room?;
                if room.is_empty() {
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
        self.drop_rooms(&gone).await;
        Ok((listed, more))
    }

    /// Drops `rooms` from the set (an error is only logged: they are
    /// dropped another time).
    async fn drop_rooms(&self, rooms: &[String]) {
        if rooms.is_empty() {
            return;
        }
        let mut drop_them = redis::cmd("ZREM");
        drop_them.arg(&self.key).arg(rooms);
        if let Err(error) = self.engine.query::<i64>(&drop_them).await {
            tracing::warn!(%error, "empty rooms were not dropped from the list (next time)");
        }
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
