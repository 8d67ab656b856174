//! A chat user that keeps going through faults, as docs/chat-protocol.md's
//! "Reconnecting without losing or repeating a message" says a client
//! should: it posts its messages to its room with a `client_id` each,
//! keeps each until its `ack`, and when its connection goes it connects
//! again (through the balancer, to whichever node is alive), resumes with
//! its session and its room's last id, and sends again what was not
//! acknowledged. It keeps the epoch of the room's stream with its last
//! id, so a stream that started over is "not recovered", never a silent
//! gap. A message refused (`storage_failed`) is sent again a
//! moment later, with the same `client_id`.
//!
//! It logs everything it was told; [`super::ledger`] checks the logs.
//! Every wait is bounded: no answer to a message, or nothing at all from
//! the server, for [`WAIT`] fails the test — a hang is never a pass.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use capstan_testkit::wait::WAIT;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, mpsc, watch};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

type Ws = WebSocketStream<TcpStream>;

/// Longest a member keeps trying to connect and be named again (the
/// balancer skipping a dead node, Redis coming back).
const RECONNECT_FOR: Duration = Duration::from_secs(30);

/// How long a refused message waits before it is sent again.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// What a member does.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Its user name.
    pub name: String,
    /// The room it joins and posts to.
    pub room: String,
    /// How many messages it posts.
    pub messages: usize,
    /// How many may wait for their ack at once.
    pub window: usize,
    /// The pause between two sends.
    pub pause: Duration,
}

/// What the members share with the test.
#[derive(Clone)]
pub struct Links {
    /// Where to connect: the balancer.
    pub addr: SocketAddr,
    /// Waited on once named and in the room: nobody posts before everyone
    /// is in.
    pub ready: Arc<Barrier>,
    /// Acks received by all members (the test injects its fault after
    /// some).
    pub acked: Arc<AtomicUsize>,
    /// Each member sends its room and how many of its messages were
    /// acknowledged, once all were.
    pub published: mpsc::UnboundedSender<(String, u64)>,
    /// The last id of every room, once every member has published: a
    /// member reads until its room's.
    pub targets: watch::Receiver<Option<BTreeMap<String, u64>>>,
}

/// Everything a member was told.
#[derive(Debug, Default)]
pub struct Log {
    /// The member's name.
    pub name: String,
    /// Its room.
    pub room: String,
    /// (sequence number of the message, id in the ack), in ack order.
    pub acked: Vec<(usize, u64)>,
    /// The room's messages it received, live or in a catch-up, in order:
    /// (id, content).
    pub received: Vec<(u64, String)>,
    /// The error code of every refusal of one of its messages.
    pub refused: Vec<String>,
    /// The error codes of refused `add_user`s and `join`s (the member
    /// tried again).
    pub refused_entries: Vec<String>,
    /// Other errors (none expected).
    pub other_errors: Vec<Value>,
    /// How many times it connected again.
    pub reconnects: usize,
    /// Close codes of the connections that ended (`None`: no close frame).
    pub closes: Vec<Option<u16>>,
    /// Resumes answered "not recovered" (`resumed: false`).
    pub not_recovered: usize,
    /// Resumes whose catch-up was cut short (`has_more`).
    pub cut_short: usize,
}

/// The content of message `seq` of `name` (and its `client_id`).
pub fn content(name: &str, seq: usize) -> String {
    format!("{name}-{seq}")
}

/// A message waiting for its ack.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// When it went out (`None`: to send, at `retry_at`).
    sent_at: Option<Instant>,
    retry_at: Instant,
}

/// Why a connection ended.
struct Disconnected;

/// A member's state while it runs.
struct Member {
    plan: Plan,
    links: Links,
    log: Log,
    session: Option<String>,
    /// Whether it was in its room once (later connections resume).
    was_in_room: bool,
    /// Whether this connection's `add_user` was refused the room.
    room_refused: bool,
    last_id: u64,
    /// The epoch of the room's stream, as the last `joined` named it.
    epoch: Option<String>,
    next_seq: usize,
    pending: BTreeMap<usize, Pending>,
}

/// Runs a member to the end: named, in its room, every message posted and
/// acknowledged, its room read up to the last id of all. Returns its log.
pub async fn run(plan: Plan, links: Links) -> Log {
    let log = Log { name: plan.name.clone(), room: plan.room.clone(), ..Log::default() };
    let mut member = Member {
        plan,
        links,
        log,
        session: None,
        was_in_room: false,
        room_refused: false,
        last_id: 0,
        epoch: None,
        next_seq: 0,
        pending: BTreeMap::new(),
    };
    let ws = member.connect().await;
    member.links.ready.wait().await;
    member.post_and_read(ws).await;
    member.log
}

impl Member {
    /// Posts and reads until everything is acknowledged and the room is
    /// read to its last id; connects again whenever the connection goes.
    async fn post_and_read(&mut self, mut ws: Ws) {
        let mut next_send = Instant::now();
        let mut reported = false;
        let mut target: Option<u64> = None;
        let mut targets = self.links.targets.clone();
        loop {
            let all_acked = self.next_seq == self.plan.messages && self.pending.is_empty();
            if all_acked && !reported {
                let count = self.log.acked.len() as u64;
                let _ = self.links.published.send((self.plan.room.clone(), count));
                reported = true;
            }
            if all_acked && target.is_some_and(|t| self.last_id >= t) {
                let _ = ws.close(None).await;
                return;
            }
            self.check_answered();
            let send_at = self.next_send_time(next_send);
            tokio::select! {
                frame = tokio::time::timeout(WAIT, ws.next()) => {
                    let frame = frame.unwrap_or_else(|_| {
                        panic!("{}: nothing from the server for {WAIT:?}", self.plan.name)
                    });
                    if self.take(frame).is_err() {
                        ws = self.reconnect().await;
                    }
                }
                _ = tokio::time::sleep_until(send_at.unwrap_or(next_send)), if send_at.is_some() => {
                    if self.send_next(&mut ws).await.is_err() {
                        ws = self.reconnect().await;
                    }
                    next_send = Instant::now() + self.plan.pause;
                }
                changed = targets.changed(), if target.is_none() => {
                    changed.expect("the test keeps the targets");
                    target = targets.borrow().as_ref().map(|t| t[&self.plan.room]);
                }
            }
        }
    }

    /// When the next message may go: a refused one when its retry is due,
    /// else a new one after the pause while the window has room.
    fn next_send_time(&self, next_send: Instant) -> Option<Instant> {
        let retry = self.pending.values().filter(|p| p.sent_at.is_none()).map(|p| p.retry_at).min();
        let waiting = self.pending.values().filter(|p| p.sent_at.is_some()).count();
        let new =
            (self.next_seq < self.plan.messages && waiting < self.plan.window).then_some(next_send);
        match (retry, new) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Sends the first message due again, else a new one.
    async fn send_next(&mut self, ws: &mut Ws) -> Result<(), Disconnected> {
        let now = Instant::now();
        let due = self
            .pending
            .iter()
            .find(|(_, p)| p.sent_at.is_none() && p.retry_at <= now)
            .map(|(seq, _)| *seq);
        let seq = match due {
            Some(seq) => seq,
            None if self.next_seq < self.plan.messages => {
                self.next_seq += 1;
                self.next_seq
            }
            None => return Ok(()),
        };
        self.pending.insert(seq, Pending { sent_at: Some(now), retry_at: now });
        self.send_message(ws, seq).await
    }

    async fn send_message(&mut self, ws: &mut Ws, seq: usize) -> Result<(), Disconnected> {
        let text = content(&self.plan.name, seq);
        let data = json!({ "room": self.plan.room, "content": text, "client_id": text });
        send(ws, "message", data).await
    }

    /// Fails the test if a message waited for its answer for [`WAIT`].
    fn check_answered(&self) {
        for (seq, pending) in &self.pending {
            if let Some(sent_at) = pending.sent_at {
                assert!(
                    sent_at.elapsed() < WAIT,
                    "{}: message {seq} got no answer within {WAIT:?}",
                    self.plan.name
                );
            }
        }
    }

    /// Handles one frame of the main loop; `Err` when the connection
    /// ended.
    fn take(
        &mut self,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), Disconnected> {
        let envelope = self.envelope(frame)?;
        if let Some(envelope) = envelope {
            self.handle(&envelope);
        }
        Ok(())
    }

    /// The envelope in `frame` (`None` for pings and pongs); `Err` (the
    /// close code logged) when the connection ended.
    fn envelope(
        &mut self,
        frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<Option<Value>, Disconnected> {
        match frame {
            Some(Ok(Message::Text(text))) => {
                Ok(Some(serde_json::from_str(text.as_str()).expect("the server sends JSON")))
            }
            Some(Ok(Message::Close(frame))) => {
                self.log.closes.push(frame.map(|f| u16::from(f.code)));
                Err(Disconnected)
            }
            Some(Ok(_)) => Ok(None),
            Some(Err(_)) | None => {
                self.log.closes.push(None);
                Err(Disconnected)
            }
        }
    }

    /// Logs a message of the room, an ack or a refusal of one of ours.
    fn handle(&mut self, envelope: &Value) {
        let data = &envelope["data"];
        match envelope["type"].as_str().unwrap_or_default() {
            "message" if data["room"] == self.plan.room.as_str() => self.receive(data),
            "ack" => {
                let seq = self.own_seq(data);
                if self.pending.remove(&seq).is_some() {
                    self.log.acked.push((seq, data["id"].as_u64().expect("an ack's id")));
                    self.links.acked.fetch_add(1, Ordering::Relaxed);
                }
            }
            "error" if data["client_id"].is_string() => {
                let seq = self.own_seq(data);
                if let Some(pending) = self.pending.get_mut(&seq) {
                    self.log.refused.push(data["code"].as_str().unwrap_or_default().to_owned());
                    *pending = Pending { sent_at: None, retry_at: Instant::now() + RETRY_AFTER };
                }
            }
            "error" => self.log.other_errors.push(data.clone()),
            _ => {}
        }
    }

    fn receive(&mut self, message: &Value) {
        let id = message["id"].as_u64().expect("a message's id");
        let text = message["content"].as_str().expect("a message's content").to_owned();
        self.log.received.push((id, text));
        self.last_id = self.last_id.max(id);
    }

    /// The sequence number in one of our `client_id`s.
    fn own_seq(&self, data: &Value) -> usize {
        let client_id = data["client_id"].as_str().expect("a client_id");
        let prefix = format!("{}-", self.plan.name);
        let seq = client_id.strip_prefix(&prefix).and_then(|s| s.parse().ok());
        seq.unwrap_or_else(|| panic!("{}: not one of ours: {client_id}", self.plan.name))
    }

    /// Connects again and sends again every message not acknowledged.
    async fn reconnect(&mut self) -> Ws {
        self.log.reconnects += 1;
        let mut ws = self.connect().await;
        let now = Instant::now();
        let unanswered: Vec<usize> = self.pending.keys().copied().collect();
        for seq in unanswered {
            self.pending.insert(seq, Pending { sent_at: Some(now), retry_at: now });
            if self.send_message(&mut ws, seq).await.is_err() {
                return Box::pin(self.reconnect()).await;
            }
        }
        ws
    }

    /// Connects through the balancer until named and in the room (with the
    /// messages after the last id when it was in before); keeps trying for
    /// [`RECONNECT_FOR`].
    async fn connect(&mut self) -> Ws {
        let deadline = Instant::now() + RECONNECT_FOR;
        loop {
            if let Ok(ws) = self.try_connect().await {
                return ws;
            }
            assert!(Instant::now() < deadline, "{}: no way back in", self.plan.name);
            tokio::time::sleep(RETRY_AFTER).await;
        }
    }

    /// One attempt: handshake, `add_user` (with the session and, after the
    /// first time, the room's last id), then `join` until in the room.
    async fn try_connect(&mut self) -> Result<Ws, Disconnected> {
        let url = format!("ws://{}/ws", self.links.addr);
        let stream = TcpStream::connect(self.links.addr).await.map_err(|_| Disconnected)?;
        let handshake = tokio_tungstenite::client_async(url, stream);
        let (mut ws, _) = tokio::time::timeout(WAIT, handshake)
            .await
            .map_err(|_| Disconnected)?
            .map_err(|_| Disconnected)?;
        let resume = self.was_in_room;
        let mut add_user = json!({ "username": self.plan.name });
        if let Some(session) = &self.session {
            add_user["session"] = json!(session);
        }
        if resume {
            let since = json!({ "after": self.last_id, "epoch": self.epoch });
            add_user["rooms"] = json!({ self.plan.room.clone(): since });
        }
        self.room_refused = false;
        send(&mut ws, "add_user", add_user).await?;
        let Some(named) = self.answer(&mut ws, "add_user").await? else {
            return Err(Disconnected);
        };
        self.session = named["session"].as_str().map(str::to_owned);
        // A resumed room's `joined` follows; a refusal of that room (or a
        // first join) asks for it with `join`, again until it is answered.
        let mut joined =
            if resume && !self.room_refused { self.answer(&mut ws, "joined").await? } else { None };
        let mut tries = 0;
        while joined.is_none() {
            if tries > 0 {
                tokio::time::sleep(RETRY_AFTER).await;
            }
            tries += 1;
            if tries > RECONNECT_FOR.as_millis() / RETRY_AFTER.as_millis() {
                return Err(Disconnected);
            }
            let mut join = json!({ "room": self.plan.room });
            if resume {
                join["after"] = json!(self.last_id);
                join["epoch"] = json!(self.epoch);
            }
            send(&mut ws, "join", join).await?;
            joined = self.answer(&mut ws, "joined").await?;
        }
        self.catch_up(&joined.expect("answered"), resume);
        self.was_in_room = true;
        Ok(ws)
    }

    /// Reads until the answer of type `kind` (its data) or an error that
    /// refuses it (`None`, its code logged); logs what comes meanwhile. A
    /// refusal of the room named in `add_user` is remembered (the rest of
    /// `add_user` goes on).
    async fn answer(&mut self, ws: &mut Ws, kind: &str) -> Result<Option<Value>, Disconnected> {
        loop {
            let frame = tokio::time::timeout(WAIT, ws.next()).await.map_err(|_| Disconnected)?;
            let Some(envelope) = self.envelope(frame)? else { continue };
            let data = &envelope["data"];
            let ours = data["room"] == self.plan.room.as_str();
            if envelope["type"] == kind && (kind != "joined" || ours) {
                return Ok(Some(data.clone()));
            }
            if envelope["type"] == "error" && !data["client_id"].is_string() {
                let code = data["code"].as_str().unwrap_or_default().to_owned();
                if data["type"] == "add_user" && ours {
                    self.log.refused_entries.push(code);
                    self.room_refused = true;
                    if kind == "joined" {
                        return Ok(None);
                    }
                    continue;
                }
                if data["type"] == kind || (kind == "joined" && data["type"] == "join") {
                    self.log.refused_entries.push(code);
                    return Ok(None);
                }
            }
            self.handle(&envelope);
        }
    }

    /// Logs the messages of a `joined` (those after the last id, or the
    /// latest on a first join). A resume answered `resumed: false` is "not
    /// recovered" (the history no longer reaches back to the last id);
    /// one with `has_more` was cut short (more than the catch-up limit).
    fn catch_up(&mut self, joined: &Value, resume: bool) {
        if resume && joined["resumed"] != true {
            self.log.not_recovered += 1;
        }
        if resume && joined["has_more"] == true {
            self.log.cut_short += 1;
        }
        self.epoch = joined["epoch"].as_str().map(str::to_owned);
        for message in joined["messages"].as_array().expect("joined's messages") {
            self.receive(message);
        }
    }
}

async fn send(ws: &mut Ws, kind: &str, data: Value) -> Result<(), Disconnected> {
    let text = json!({ "type": kind, "data": data }).to_string();
    ws.send(Message::text(text)).await.map_err(|_| Disconnected)
}
