//! The store's thread: takes jobs in batches, stores consecutive messages
//! in one transaction, then delivers them; answers joins and history
//! between batches, in queue order; removes what has aged out.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use capstan::{Conn, ConnId, PreparedMessage};
use serde_json::json;

use super::answers::{self, merge, visible};
use super::db::{Appended, Db, Page};
use super::{
    AckTo, ApiJob, HistoryAnswer, HistoryQuery, HistoryRefusal, Job, JoinAnswer, NewMessage,
    Shared, StoreConfig, check_since, check_since_epoch,
};
use crate::blocks::Blocked;
use crate::names::name_key;
use crate::protocol::{Since, server as wire};
use crate::room::Room;
use crate::rooms::MEMBER_PAGE;
use crate::time::now_ms;

/// How often what has aged out is removed.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Idle rooms removed per transaction (a pass takes as many as it finds).
const IDLE_ROOMS_PER_STEP: usize = 200;
const DAY_MS: i64 = 86_400_000;

struct Pending {
    message: NewMessage,
    ack: AckTo,
    direct_to: Option<String>,
}

struct Worker {
    db: Db,
    config: StoreConfig,
    shared: Shared,
    /// Connections by user name, for direct messages.
    online: HashMap<String, Vec<Conn>>,
}

pub(super) fn run(db: Db, config: StoreConfig, shared: Shared, queue: Receiver<Job>) {
    let mut worker = Worker { db, config, shared, online: HashMap::new() };
    let mut next_prune = Instant::now();
    loop {
        if Instant::now() >= next_prune {
            worker.prune_by_age();
            worker.remove_idle_rooms();
            worker.forget_idle_sessions();
            next_prune = Instant::now() + PRUNE_EVERY;
        }
        let first = match queue.recv_timeout(PRUNE_EVERY) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut batch = vec![first];
        while batch.len() < worker.config.max_batch.max(1) {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if worker.process(batch) {
            return;
        }
    }
}

impl Worker {
    /// Runs a batch in order; consecutive appends share a transaction.
    /// True when told to stop.
    fn process(&mut self, batch: Vec<Job>) -> bool {
        let mut appends = Vec::new();
        for job in batch {
            match job {
                Job::Append { message, ack, direct_to } => {
                    appends.push(Pending { message, ack, direct_to });
                    continue;
                }
                Job::Stop => {
                    self.store(std::mem::take(&mut appends));
                    return true;
                }
                other => {
                    self.store(std::mem::take(&mut appends));
                    self.handle(other);
                }
            }
        }
        self.store(appends);
        false
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::Join { conn, room, after, answer } => self.join(&conn, &room, after, answer),
            Job::Leave { conn, room } => {
                self.shared.topics.unsubscribe(&room, &conn);
                let _ = conn.send_text(wire::envelope("left", json!({ "room": room })));
            }
            Job::History { conn, room, before, after, limit } => {
                let page = match (before, after) {
                    (Some(id), _) => self.db.before(&room, id, limit),
                    (None, Some(id)) => self.db.after(&room, id, limit),
                    (None, None) => self.db.latest(&room, limit),
                };
                match page {
                    Ok(page) => {
                        let filter = self.shared.blocks.filter_for(conn.id());
                        let data = json!({
                            "room": room,
                            "messages": visible(&page.messages, &filter),
                            "has_more": page.has_more,
                        });
                        let _ = conn.send_text(wire::envelope("history", data));
                    }
                    Err(error) => failed(&conn, "history", None, &error),
                }
            }
            Job::Rooms { conn, after, limit } => self.list_rooms(&conn, after.as_deref(), limit),
            Job::Online { name, conn } => self.online.entry(name).or_default().push(conn),
            Job::Offline { name, conn } => self.offline(&name, conn),
            Job::Block { conn, owner, blocked } => self.block(&conn, &owner, blocked),
            Job::Unblock { conn, owner, name } => self.unblock(&conn, &owner, &name),
            Job::Closed { conn } => self.shared.blocks.forget(conn),
            Job::Api(job) => self.api(job),
            Job::Ping(reply) => {
                let _ =
                    reply.send(self.db.last_id("general").map(|_| ()).map_err(|e| e.to_string()));
            }
            Job::Append { .. } | Job::Stop => unreachable!("handled in process"),
        }
    }

    fn offline(&mut self, name: &str, id: ConnId) {
        if let Some(conns) = self.online.get_mut(name) {
            conns.retain(|c| c.id() != id);
            if conns.is_empty() {
                self.online.remove(name);
            }
        }
    }

    fn list_rooms(&self, conn: &Conn, after: Option<&str>, limit: usize) {
        let (page, more) = self.shared.rooms.list(after, limit);
        let mut rooms = Vec::with_capacity(page.len());
        for summary in page {
            let last_id = if summary.stored {
                match self.db.last_id(&summary.name) {
                    Ok(id) => id,
                    Err(error) => return failed(conn, "rooms", None, &error),
                }
            } else {
                0
            };
            let joined = self.shared.topics.get(&summary.name).is_some_and(|t| t.contains(conn));
            rooms.push(answers::room_listed(&summary, last_id, joined));
        }
        let data = json!({ "rooms": rooms, "has_more": more });
        let _ = conn.send_text(wire::envelope("rooms", data));
    }

    fn block(&self, conn: &Conn, owner: &str, blocked: Blocked) {
        let blocks = &self.shared.blocks;
        let name = blocked.name.clone();
        if !answers::block_to_store(conn, blocks, &blocked, self.config.max_blocks) {
            return;
        }
        if let Err(error) = self.db.add_block(owner, &blocked.key.case, &name, now_ms()) {
            return failed(conn, "block", None, &error);
        }
        blocks.add(conn.id(), blocked);
        let _ = conn.send_text(wire::envelope("blocked", json!({ "user": name })));
    }

    fn unblock(&self, conn: &Conn, owner: &str, name: &str) {
        if let Err(error) = self.db.remove_block(owner, &name_key(name)) {
            return failed(conn, "unblock", None, &error);
        }
        self.shared.blocks.remove(conn.id(), name);
        let _ = conn.send_text(wire::envelope("unblocked", json!({ "user": name })));
    }

    /// Stores a run of messages in one transaction, then delivers each.
    fn store(&mut self, pending: Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let messages: Vec<NewMessage> = pending.iter().map(|p| p.message.clone()).collect();
        let started = Instant::now();
        let result = self.db.append(&messages);
        self.shared.metrics.observe_store("append", started.elapsed());
        for job in pending.iter().filter(|p| p.direct_to.is_none()) {
            self.shared.rooms.append_finished(&job.message.room, result.is_ok());
        }
        match result {
            Ok(appended) => {
                let mut touched = BTreeSet::new();
                for (job, appended) in pending.into_iter().zip(appended) {
                    touched.insert(appended.message.room.clone());
                    self.deliver(job, &appended);
                }
                self.prune_by_count(&touched);
            }
            Err(error) => {
                for job in pending {
                    let kind = if job.direct_to.is_some() { "direct" } else { "message" };
                    let client_id = job.message.client_id.clone();
                    job.ack.failed(kind, client_id.as_deref(), &error.to_string(), STORE_FAILED);
                }
            }
        }
    }

    /// Sends a stored message to everyone who should see it, but those who
    /// block its author; then the ack to its sender.
    fn deliver(&self, job: Pending, appended: &Appended) {
        let message = &appended.message;
        if !appended.duplicate {
            let blockers = self.shared.blocks.blockers_of(&message.author);
            match &job.direct_to {
                Some(to) => {
                    let prepared = PreparedMessage::new(wire::direct(message, to));
                    let mut names = vec![message.author.as_str(), to.as_str()];
                    names.dedup();
                    for name in names {
                        for conn in self.online.get(name).into_iter().flatten() {
                            if !blockers.contains(&conn.id()) {
                                let _ = conn.send_prepared(&prepared);
                            }
                        }
                    }
                }
                None => {
                    if let Some(topic) = self.shared.topics.get(&message.room) {
                        let prepared = PreparedMessage::new(wire::message(message));
                        topic.publish_prepared(&prepared, &blockers);
                    }
                }
            }
        }
        // One database, one id sequence per room: no epoch.
        job.ack.stored(message, "", appended.duplicate);
    }

    /// Subscribes `conn` to a public room and sends the room's latest
    /// messages, or what it missed after `after`. Messages stored later are
    /// delivered live: the cut is exact. One database has one id sequence
    /// per room: no epoch is given or checked.
    fn join(&mut self, conn: &Conn, room: &Room, after: Option<Since>, answer: JoinAnswer) {
        let after = after.map(|since| since.after);
        let name = room.name();
        let kind = match answer {
            JoinAnswer::AddUser { .. } => "add_user",
            JoinAnswer::Joined => "join",
        };
        if let JoinAnswer::AddUser { owner, .. } = &answer {
            match self.db.blocks_of(owner, now_ms()) {
                Ok(names) => {
                    let list = names.iter().map(|n| Blocked::new(n)).collect();
                    self.shared.blocks.set(conn.id(), list);
                }
                Err(error) => return failed(conn, kind, None, &error),
            }
        }
        let members = match room {
            Room::Direct(a, b) => {
                json!({ "members": [a, b], "member_count": 2, "members_more": false })
            }
            Room::Public(_) => {
                // Subscribed before the members are read: a change after
                // this point is announced to this connection too.
                self.shared.topics.subscribe(&name, conn);
                let page = self.shared.rooms.members(&name, None, MEMBER_PAGE);
                json!({ "members": page.names, "member_count": page.total, "members_more": page.more })
            }
        };
        let page = match after {
            Some(id) => self.db.missed_since(&name, id, self.config.max_catch_up),
            None => self.db.latest(&name, self.config.history_on_join),
        };
        let Page { messages, has_more } = match page {
            Ok(page) => page,
            Err(error) => return failed(conn, kind, None, &error),
        };
        let filter = self.shared.blocks.filter_for(conn.id());
        let mut data = json!({
            "room": name,
            "messages": visible(&messages, &filter),
            "has_more": has_more,
            "resumed": after.is_some(),
        });
        merge(&mut data, members);
        let text = answers::join_envelope(&answer, data, &self.shared.blocks, conn);
        if conn.send_text(text).is_err() {
            // The connection closed while its join waited: it must not stay
            // subscribed (closing left its topics before this one).
            self.shared.topics.unsubscribe(&name, conn);
        }
    }

    /// The server API's work, on this node's connections and database.
    fn api(&self, job: ApiJob) {
        match job {
            ApiJob::History { query, reply } => {
                let started = Instant::now();
                let _ = reply.send(self.api_history(&query));
                self.shared.metrics.observe_store("history", started.elapsed());
            }
            ApiJob::Disconnect { name, code, reason } => {
                for conn in self.online.get(&name).into_iter().flatten() {
                    conn.close(code, &reason);
                }
            }
            ApiJob::Unsubscribe { name, room } => {
                for conn in self.online.get(&name).into_iter().flatten() {
                    answers::left_by_server(conn, &room, &self.shared.rooms, &self.shared.topics);
                }
            }
        }
    }

    fn api_history(&self, query: &HistoryQuery) -> Result<HistoryAnswer, HistoryRefusal> {
        let failed = |e: rusqlite::Error| HistoryRefusal::Failed(e.to_string());
        let last_id = self.db.last_id(&query.room).map_err(failed)?;
        let room = &query.room;
        let messages = match (&query.since, query.reverse) {
            (Some((offset, _)), false) => {
                let page = self.db.after(room, *offset, query.limit.max(1)).map_err(failed)?;
                check_since(query, page.messages.first().map(|m| m.id), last_id, "")?;
                page.messages
            }
            (Some((offset, _)), true) => {
                // Backwards from `since`: the page before it, newest first.
                check_since_epoch(query, "")?;
                let mut page = self.db.before(room, *offset, query.limit).map_err(failed)?.messages;
                page.reverse();
                page
            }
            (None, false) => self.db.after(room, 0, query.limit).map_err(failed)?.messages,
            (None, true) => {
                let mut page = self.db.latest(room, query.limit).map_err(failed)?.messages;
                page.reverse();
                page
            }
        };
        let messages = messages.into_iter().take(query.limit).collect();
        Ok(HistoryAnswer { messages, last_id, epoch: String::new() })
    }

    fn prune_by_count(&self, rooms: &BTreeSet<String>) {
        if self.config.retain_messages == 0 {
            return;
        }
        for room in rooms {
            if let Err(error) = self.db.retain_count(room, self.config.retain_messages) {
                tracing::warn!(%error, room, "retention by count failed");
            }
        }
    }

    fn prune_by_age(&self) {
        let Some(cutoff) = days_ago(self.config.retain_days) else { return };
        match self.db.retain_newer_than(cutoff) {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted messages past their retention age"),
            Err(error) => tracing::warn!(%error, "retention by age failed"),
        }
    }

    /// Removes the rooms nobody wrote to for `room_idle_days` (but public
    /// rooms someone is in now), with their history.
    fn remove_idle_rooms(&mut self) {
        let Some(cutoff) = days_ago(self.config.room_idle_days) else { return };
        let mut removed = 0;
        loop {
            let rooms = self.shared.rooms.clone();
            let step = self.db.remove_idle_rooms(cutoff, IDLE_ROOMS_PER_STEP, |room| {
                !room.starts_with('@') && rooms.has_members(room)
            });
            match step {
                Ok(names) => {
                    for name in &names {
                        self.shared.rooms.set_stored(name, false);
                    }
                    removed += names.len();
                    if names.len() < IDLE_ROOMS_PER_STEP {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "removing idle rooms failed");
                    break;
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed rooms idle for their retention time");
        }
    }

    fn forget_idle_sessions(&self) {
        let Some(cutoff) = days_ago(self.config.session_idle_days) else { return };
        match self.db.forget_block_owners(cutoff) {
            Ok(0) => {}
            Ok(owners) => tracing::info!(owners, "forgot the block lists of idle sessions"),
            Err(error) => tracing::warn!(%error, "forgetting idle sessions failed"),
        }
    }
}

/// The time `days` days ago, in ms since the epoch; `None` for 0 (the
/// settings' "never").
fn days_ago(days: u64) -> Option<i64> {
    (days > 0).then(|| now_ms() - (days as i64) * DAY_MS)
}

/// What a connection reads when the database failed.
const STORE_FAILED: &str = "the server could not store or read messages";

fn failed(conn: &Conn, kind: &str, client_id: Option<&str>, error: &rusqlite::Error) {
    answers::failed(conn, kind, client_id, &error.to_string(), STORE_FAILED);
}
