//! The store's jobs in cluster mode: messages kept in the room's Redis
//! stream (their id is the stream's offset), joins and resumes cut at one
//! point against the live stream by capstan's `subscribe_since_with`,
//! history pages read back from the stream, block lists in Redis. Jobs are
//! taken in queue order, as the SQLite store takes them; an append does not
//! wait for Redis before the next job (its ack is sent when Redis has it).

use capstan::pubsub::{History, Keep, PageRange, Position, Resumed, Stored};
use capstan::{Conn, Topics};
use capstan_redis::RedisEngine;
use capstan_redis::redis;
use serde_json::json;
use tokio::sync::mpsc;

use super::inbox::Inboxes;
use super::members::ClusterMembers;
use super::payload;
use super::room_list::ClusterRooms;
use crate::blocks::Blocked;
use crate::message::StoredMessage;
use crate::names::name_key;
use crate::protocol::{Since, server as wire};
use crate::room::Room;
use crate::rooms::MEMBER_PAGE;
use crate::store::answers::{self, merge, visible};
use crate::store::{
    AckTo, ApiJob, HistoryAnswer, HistoryQuery, HistoryRefusal, Job, JoinAnswer, NewMessage,
    Shared, StoreConfig, check_since, check_since_epoch,
};

/// What the jobs run on.
pub(super) struct Worker {
    pub engine: RedisEngine,
    pub topics: Topics,
    pub config: StoreConfig,
    pub shared: Shared,
    /// Connections of this node by user name, and their inboxes, for
    /// direct messages.
    pub inboxes: Inboxes,
    /// The rooms' members on every node.
    pub members: ClusterMembers,
    /// The public rooms of every node.
    pub room_list: ClusterRooms,
}

impl Worker {
    /// Runs jobs until `Stop` or the queue closes.
    pub async fn run(mut self, mut queue: mpsc::Receiver<Job>) {
        while let Some(job) = queue.recv().await {
            match job {
                Job::Stop => return,
                job => self.handle(job).await,
            }
        }
    }

    async fn handle(&mut self, job: Job) {
        match job {
            Job::Append { message, ack, direct_to } => self.append(message, ack, direct_to).await,
            Job::Join { conn, room, after, answer } => self.join(&conn, &room, after, answer).await,
            Job::Leave { conn, room } => {
                self.topics.unsubscribe(&room, &conn);
                let _ = conn.send_text(wire::envelope("left", json!({ "room": room })));
            }
            Job::History { conn, room, before, after, limit } => {
                self.history(&conn, &room, before, after, limit).await
            }
            Job::Rooms { conn, after, limit } => {
                self.list_rooms(&conn, after.as_deref(), limit).await
            }
            Job::Online { name, conn } => self.inboxes.online(&name, conn).await,
            Job::Offline { name, conn } => self.inboxes.offline(&name, conn),
            Job::Block { conn, owner, blocked } => self.block(&conn, &owner, blocked).await,
            Job::Unblock { conn, owner, name } => self.unblock(&conn, &owner, &name).await,
            Job::Closed { conn } => self.shared.blocks.forget(conn),
            Job::Api(job) => self.api(job).await,
            Job::Ping(reply) => {
                let ping = self.engine.query::<String>(&redis::cmd("PING")).await;
                let _ = reply.send(ping.map(|_| ()).map_err(|e| e.to_string()));
            }
            Job::Stop => {}
        }
    }

    /// Publishes the message kept in its room's stream; its sender gets the
    /// ack once Redis has it (or the error), every member the message,
    /// from whichever node.
    async fn append(&self, message: NewMessage, ack_to: AckTo, direct_to: Option<String>) {
        if direct_to.is_some() {
            // Both users' connections on this node read the conversation,
            // from before this message: the node must hear the topic before
            // the message is published.
            let room = message.room.clone();
            let mut names = vec![message.author.clone()];
            names.extend(direct_to.clone());
            for name in names {
                for conn in self.inboxes.conns(&name) {
                    self.topics.subscribe(&room, &conn);
                }
            }
            if let Err(error) = self.topics.ready(&room).await {
                let client_id = message.client_id.as_deref();
                return ack_to.failed("direct", client_id, &error.to_string(), REDIS_FAILED);
            }
        }
        let key = payload::idempotency_key(&message);
        let keep = Keep { idempotency_key: key.as_deref() };
        let published =
            self.topics.publish_kept(&message.room, payload::encode(&message), &[], keep);
        let rooms = self.shared.rooms.clone();
        let inboxes = self.inboxes.clone();
        let metrics = self.shared.metrics.clone();
        let started = std::time::Instant::now();
        tokio::spawn(async move {
            let public = direct_to.is_none();
            let kind = if public { "message" } else { "direct" };
            let acked = published.ack.await;
            metrics.observe_store("append", started.elapsed());
            match acked {
                Ok(ack) => {
                    if public {
                        rooms.append_finished(&message.room, true);
                    }
                    if let (Some(to), Some(position), false) =
                        (&direct_to, &ack.position, ack.duplicate)
                    {
                        // Both users' connections on other nodes open it.
                        inboxes.tell(&message.author, &message.room, position);
                        inboxes.tell(to, &message.room, position);
                    }
                    let (id, epoch) =
                        ack.position.map_or((0, String::new()), |p| (p.offset, p.epoch));
                    let stored = payload::stored(message, id);
                    ack_to.stored(&stored, &epoch, ack.duplicate);
                }
                Err(error) => {
                    if public {
                        rooms.append_finished(&message.room, false);
                    }
                    let client_id = message.client_id.as_deref();
                    ack_to.failed(kind, client_id, &error.to_string(), REDIS_FAILED);
                }
            }
        });
    }

    /// Subscribes `conn` to `room` and answers with what it missed after
    /// `after`, or the latest messages: the catch-up and the live stream
    /// are cut at one point, across nodes. The answer names the stream's
    /// epoch; a resume from another epoch (the client's, when it gives
    /// one) is not recovered.
    async fn join(&self, conn: &Conn, room: &Room, after: Option<Since>, answer: JoinAnswer) {
        let name = room.name();
        let kind = match answer {
            JoinAnswer::AddUser { .. } => "add_user",
            JoinAnswer::Joined => "join",
        };
        if let JoinAnswer::AddUser { owner, .. } = &answer {
            match self.blocks_of(owner).await {
                Ok(list) => self.shared.blocks.set(conn.id(), list),
                Err(error) => return failed(conn, kind, None, &error),
            }
        }
        let history = self.engine.history();
        let latest = match history.latest(&name).await {
            Ok(latest) => latest,
            Err(error) => return failed(conn, kind, None, &error.to_string()),
        };
        // Where the catch-up starts: the client's last id, or far enough
        // back for the latest messages.
        let since = match &after {
            Some(Since { after, epoch }) => {
                Position::new(*after, epoch.clone().unwrap_or_else(|| latest.epoch.clone()))
            }
            None => {
                let page =
                    history.page(&name, PageRange::Latest, self.config.history_on_join).await;
                match page {
                    Ok(page) => match page.first() {
                        Some(first) => {
                            Position::new(first.position.offset - 1, latest.epoch.clone())
                        }
                        None => latest.clone(),
                    },
                    Err(error) => return failed(conn, kind, None, &error.to_string()),
                }
            }
        };
        let members = match room {
            Room::Direct(a, b) => {
                json!({ "members": [a, b], "member_count": 2, "members_more": false })
            }
            Room::Public(_) => {
                if let Err(error) = self.room_list.register(&name).await {
                    return failed(conn, kind, None, &error);
                }
                let (room_list, members, local) =
                    (self.room_list.clone(), self.members.clone(), self.shared.rooms.clone());
                tokio::spawn(async move {
                    if let Err(error) = room_list.sweep(&members, &local).await {
                        tracing::debug!(%error, "the rooms list was not swept (next time)");
                    }
                });
                let page = self.members.page(&name, &self.shared.rooms, None, MEMBER_PAGE).await;
                let page = match page {
                    Ok(page) => page,
                    Err(refusal) => {
                        let _ = conn.send_text(wire::error(&refusal.for_type(kind)));
                        return;
                    }
                };
                json!({ "members": page.names, "member_count": page.total, "members_more": page.more })
            }
        };
        let filter = self.shared.blocks.filter_for(conn.id());
        let (limit, resuming) = match after {
            Some(_) => (self.config.max_catch_up, true),
            None => (self.config.history_on_join, false),
        };
        let blocks = self.shared.blocks.clone();
        let mut sent = true;
        let subscribed = self
            .topics
            .subscribe_since_with(&name, conn, Some(since), |missed, resumed| {
                let (messages, has_more, resumed, at) = match resumed {
                    Resumed::Recovered { at, .. } => {
                        let shown = missed.len().min(limit);
                        let messages = stored_messages(&missed[missed.len() - shown..]);
                        let older = messages.first().is_some_and(|m| m.id > 1);
                        (messages, missed.len() > shown || (!resuming && older), resuming, at)
                    }
                    // Gone from the history (trimmed, expired, another
                    // epoch): nothing can be resumed; the client reloads.
                    Resumed::NotRecovered { at } | Resumed::Fresh { at } => {
                        (Vec::new(), false, false, at)
                    }
                };
                let mut data = json!({
                    "room": name,
                    "messages": visible(&messages, &filter),
                    "has_more": has_more,
                    "resumed": resumed,
                    "epoch": at.epoch,
                });
                merge(&mut data, members);
                let text = answers::join_envelope(&answer, data, &blocks, conn);
                sent = conn.send_text(text).is_ok();
            })
            .await;
        match subscribed {
            Ok(_) if !sent => {
                // Closed while its join waited: not subscribed any longer.
                self.topics.unsubscribe(&name, conn);
            }
            Ok(_) => {}
            Err(error) => failed(conn, kind, None, &error.to_string()),
        }
    }

    /// A page of `room`'s history.
    async fn history(
        &self,
        conn: &Conn,
        room: &str,
        before: Option<u64>,
        after: Option<u64>,
        limit: usize,
    ) {
        let range = match (before, after) {
            (Some(id), _) => PageRange::Before(id),
            (None, Some(id)) => PageRange::After(id),
            (None, None) => PageRange::Latest,
        };
        let page = match self.engine.history().page(room, range, limit + 1).await {
            Ok(page) => page,
            Err(error) => return failed(conn, "history", None, &error.to_string()),
        };
        let has_more = page.len() > limit;
        let page = match range {
            PageRange::After(_) => &page[..page.len().min(limit)],
            _ => &page[page.len().saturating_sub(limit)..],
        };
        let filter = self.shared.blocks.filter_for(conn.id());
        let data = json!({
            "room": room,
            "messages": visible(&stored_messages(page), &filter),
            "has_more": has_more,
        });
        let _ = conn.send_text(wire::envelope("history", data));
    }

    /// The server API's work: history from the room's stream; a user's
    /// connections reached through the user's inbox, on every node.
    async fn api(&self, job: ApiJob) {
        match job {
            ApiJob::History { query, reply } => {
                let started = std::time::Instant::now();
                let _ = reply.send(self.api_history(&query).await);
                self.shared.metrics.observe_store("history", started.elapsed());
            }
            ApiJob::Disconnect { name, code, reason } => {
                self.inboxes.disconnect(&name, code, &reason)
            }
            ApiJob::Unsubscribe { name, room } => self.inboxes.unsubscribe(&name, &room),
        }
    }

    async fn api_history(&self, query: &HistoryQuery) -> Result<HistoryAnswer, HistoryRefusal> {
        let failed = |e: capstan::pubsub::HistoryError| HistoryRefusal::Failed(e.to_string());
        let history = self.engine.history();
        let room = &query.room;
        let latest = history.latest(room).await.map_err(failed)?;
        let messages = match (&query.since, query.reverse) {
            (Some((offset, _)), false) => {
                let page = history.page(room, PageRange::After(*offset), query.limit.max(1)).await;
                let page = page.map_err(failed)?;
                let first = page.first().map(|s| s.position.offset);
                check_since(query, first, latest.offset, &latest.epoch)?;
                stored_messages(&page)
            }
            (Some((offset, _)), true) => {
                check_since_epoch(query, &latest.epoch)?;
                let page = history.page(room, PageRange::Before(*offset), query.limit).await;
                let mut page = stored_messages(&page.map_err(failed)?);
                page.reverse();
                page
            }
            (None, false) => {
                let page = history.page(room, PageRange::After(0), query.limit).await;
                stored_messages(&page.map_err(failed)?)
            }
            (None, true) => {
                let page = history.page(room, PageRange::Latest, query.limit).await;
                let mut page = stored_messages(&page.map_err(failed)?);
                page.reverse();
                page
            }
        };
        let messages = messages.into_iter().take(query.limit).collect();
        Ok(HistoryAnswer { messages, last_id: latest.offset, epoch: latest.epoch })
    }

    async fn list_rooms(&self, conn: &Conn, after: Option<&str>, limit: usize) {
        let page = self.room_list.page(after, limit, &self.members, &self.shared.rooms).await;
        let (page, more) = match page {
            Ok(page) => page,
            Err(error) => return failed(conn, "rooms", None, &error),
        };
        let rooms: Vec<_> = page
            .iter()
            .map(|room| {
                let joined = self.topics.get(&room.summary.name).is_some_and(|t| t.contains(conn));
                answers::room_listed(&room.summary, room.last_id, joined)
            })
            .collect();
        let data = json!({ "rooms": rooms, "has_more": more });
        let _ = conn.send_text(wire::envelope("rooms", data));
    }

    /// The Redis hash of `owner`'s block list: case key → name as blocked.
    fn blocks_key(&self, owner: &str) -> String {
        format!("{}:chat:blocks:{owner}", self.engine.config().prefix)
    }

    async fn blocks_of(&self, owner: &str) -> Result<Vec<Blocked>, String> {
        let names: Vec<String> = self
            .engine
            .query(redis::cmd("HVALS").arg(self.blocks_key(owner)))
            .await
            .map_err(|e| e.to_string())?;
        Ok(names.iter().map(|name| Blocked::new(name)).collect())
    }

    async fn block(&self, conn: &Conn, owner: &str, blocked: Blocked) {
        let blocks = &self.shared.blocks;
        let name = blocked.name.clone();
        if !answers::block_to_store(conn, blocks, &blocked, self.config.max_blocks) {
            return;
        }
        let mut set = redis::cmd("HSET");
        set.arg(self.blocks_key(owner)).arg(&blocked.key.case).arg(&name);
        if let Err(error) = self.engine.query::<i64>(&set).await {
            return failed(conn, "block", None, &error.to_string());
        }
        blocks.add(conn.id(), blocked);
        let _ = conn.send_text(wire::envelope("blocked", json!({ "user": name })));
    }

    async fn unblock(&self, conn: &Conn, owner: &str, name: &str) {
        let mut delete = redis::cmd("HDEL");
        delete.arg(self.blocks_key(owner)).arg(name_key(name));
        if let Err(error) = self.engine.query::<i64>(&delete).await {
            return failed(conn, "unblock", None, &error.to_string());
        }
        self.shared.blocks.remove(conn.id(), name);
        let _ = conn.send_text(wire::envelope("unblocked", json!({ "user": name })));
    }
}

/// Kept publications as chat messages (anything else is left out).
fn stored_messages(stored: &[Stored]) -> Vec<StoredMessage> {
    stored.iter().filter_map(|s| payload::decode(s.message.as_text()?, s.position.offset)).collect()
}

/// What a connection reads when Redis failed.
const REDIS_FAILED: &str = "the server could not store or read messages (its Redis did not answer)";

/// Tells `conn` its request failed because Redis did not answer.
fn failed(conn: &Conn, kind: &str, client_id: Option<&str>, error: &str) {
    answers::failed(conn, kind, client_id, error, REDIS_FAILED);
}
