//! The store's thread: takes jobs in batches, stores consecutive messages
//! in one transaction, then delivers them; answers joins and history
//! between batches, in queue order.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use capstan::{Conn, ConnId, PreparedMessage, Topics};
use serde_json::json;

use super::db::{Appended, Db, Page};
use super::{Job, JoinAnswer, NewMessage, StoreConfig};
use crate::chat::announce_leave;
use crate::errors::{ErrorCode, Refusal};
use crate::names::Room;
use crate::protocol::server as wire;
use crate::time::now_ms;
use crate::user::UserName;

/// How often messages past their age are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

struct Pending {
    message: NewMessage,
    sender: Conn,
    direct_to: Option<String>,
}

struct Worker {
    db: Db,
    config: StoreConfig,
    topics: Topics,
    /// Connections by user name, for direct messages.
    online: HashMap<String, Vec<Conn>>,
}

pub(super) fn run(db: Db, config: StoreConfig, topics: Topics, queue: Receiver<Job>) {
    let mut worker = Worker { db, config, topics, online: HashMap::new() };
    let mut next_prune = Instant::now();
    loop {
        if Instant::now() >= next_prune {
            worker.prune_by_age();
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
                Job::Append { message, sender, direct_to } => {
                    appends.push(Pending { message, sender, direct_to });
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
                self.topics.unsubscribe(&room, &conn);
                let _ = conn.send_text(wire::envelope("left", json!({ "room": room })));
                announce_leave(&self.topics, &conn, &room);
            }
            Job::History { conn, room, before, after, limit } => {
                let page = match (before, after) {
                    (Some(id), _) => self.db.before(&room, id, limit),
                    (None, Some(id)) => self.db.after(&room, id, limit),
                    (None, None) => self.db.latest(&room, limit),
                };
                match page {
                    Ok(page) => {
                        let data = json!({
                            "room": room,
                            "messages": wire::messages_value(&page.messages),
                            "has_more": page.has_more,
                        });
                        let _ = conn.send_text(wire::envelope("history", data));
                    }
                    Err(error) => failed(&conn, "history", None, &error),
                }
            }
            Job::Rooms { conn } => match self.db.public_rooms() {
                Ok(rooms) => {
                    let rooms: Vec<_> = rooms
                        .into_iter()
                        .map(|(name, last_id)| {
                            let topic = self.topics.get(&name);
                            json!({
                                "name": name,
                                "last_id": last_id,
                                "members": topic.as_ref().map_or(0, |t| t.len()),
                                "joined": topic.is_some_and(|t| t.contains(&conn)),
                            })
                        })
                        .collect();
                    let _ = conn.send_text(wire::envelope("rooms", json!({ "rooms": rooms })));
                }
                Err(error) => failed(&conn, "rooms", None, &error),
            },
            Job::Online { name, conn } => self.online.entry(name).or_default().push(conn),
            Job::Offline { name, conn } => self.offline(&name, conn),
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

    /// Stores a run of messages in one transaction, then delivers each.
    fn store(&mut self, pending: Vec<Pending>) {
        if pending.is_empty() {
            return;
        }
        let messages: Vec<NewMessage> = pending.iter().map(|p| p.message.clone()).collect();
        match self.db.append(&messages) {
            Ok(appended) => {
                let mut touched = BTreeSet::new();
                for (job, appended) in pending.iter().zip(appended) {
                    touched.insert(appended.message.room.clone());
                    self.deliver(job, &appended);
                }
                self.prune_by_count(&touched);
            }
            Err(error) => {
                for job in &pending {
                    let kind = if job.direct_to.is_some() { "direct" } else { "message" };
                    failed(&job.sender, kind, job.message.client_id.as_deref(), &error);
                }
            }
        }
    }

    fn deliver(&self, job: &Pending, appended: &Appended) {
        let message = &appended.message;
        if !appended.duplicate {
            match &job.direct_to {
                Some(to) => {
                    let prepared = PreparedMessage::new(wire::direct(message, to));
                    let mut names = vec![message.author.as_str(), to.as_str()];
                    names.dedup();
                    for name in names {
                        for conn in self.online.get(name).into_iter().flatten() {
                            let _ = conn.send_prepared(&prepared);
                        }
                    }
                }
                None => {
                    if let Some(topic) = self.topics.get(&message.room) {
                        topic.publish_prepared(&PreparedMessage::new(wire::message(message)), &[]);
                    }
                }
            }
        }
        let _ = job.sender.send_text(wire::ack(message, appended.duplicate));
    }

    /// Subscribes `conn` to a public room and sends the room's latest
    /// messages, or what it missed after `after`. Messages stored later are
    /// delivered live: the cut is exact.
    fn join(&mut self, conn: &Conn, room: &Room, after: Option<u64>, answer: JoinAnswer) {
        let name = room.name();
        let kind = match answer {
            JoinAnswer::AddUser { .. } => "add_user",
            JoinAnswer::Joined => "join",
        };
        let user = conn.attributes().get::<UserName>().map(|u| u.0).unwrap_or_default();
        let (members, newcomer) = match room {
            Room::Direct(a, b) => (vec![a.clone(), b.clone()], false),
            Room::Public(_) => {
                if let Err(error) = self.db.ensure_room(&name, now_ms()) {
                    return failed(conn, kind, None, &error);
                }
                let already = self
                    .topics
                    .get(&name)
                    .is_some_and(|t| member_names(&t.subscribers()).contains(&user));
                let topic = self.topics.subscribe(&name, conn);
                (member_names(&topic.subscribers()), !already)
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
        let messages = wire::messages_value(&messages);
        let text = match answer {
            JoinAnswer::AddUser { username, session, rooms } => wire::envelope(
                "add_user",
                json!({
                    "username": username,
                    "session": session,
                    "room": name,
                    "messages": messages,
                    "has_more": has_more,
                    "members": members,
                    "rooms": rooms,
                    "resumed": after.is_some(),
                }),
            ),
            JoinAnswer::Joined => wire::envelope(
                "joined",
                json!({
                    "room": name,
                    "messages": messages,
                    "has_more": has_more,
                    "members": members,
                    "resumed": after.is_some(),
                }),
            ),
        };
        if conn.send_text(text).is_err() {
            // The connection closed while its join waited: it must not stay
            // subscribed (closing left its topics before this one).
            self.topics.unsubscribe(&name, conn);
            return;
        }
        if newcomer && !room.is_direct() {
            let others = [conn.id()];
            self.topics.publish(
                &name,
                wire::presence(&name, &user, "join", &members, None),
                &others,
            );
            self.topics.publish(&name, wire::info(&format!("{user} joined #{name}")), &others);
        }
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
        if self.config.retain_days == 0 {
            return;
        }
        let cutoff = now_ms() - (self.config.retain_days as i64) * 86_400_000;
        match self.db.retain_newer_than(cutoff) {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted messages past their retention age"),
            Err(error) => tracing::warn!(%error, "retention by age failed"),
        }
    }
}

/// The names of connections, sorted, without repeats.
pub fn member_names(conns: &[Conn]) -> Vec<String> {
    let names: BTreeSet<String> =
        conns.iter().filter_map(|c| c.attributes().get::<UserName>().map(|u| u.0)).collect();
    names.into_iter().collect()
}

fn failed(conn: &Conn, kind: &str, client_id: Option<&str>, error: &rusqlite::Error) {
    tracing::error!(%error, kind, "store failed");
    let refusal =
        Refusal::new(ErrorCode::StorageFailed, "the server could not store or read messages")
            .for_type(kind)
            .for_client_id(client_id);
    let _ = conn.send_text(wire::error(&refusal));
}
