//! A resuming session client (docs/SESSIONS.md), written from the document
//! alone, over WebSocket: `hello`/`welcome`, `m`-prefixed data, `c` + JSON
//! controls, acknowledgements every [`SessionConfig::ack_every`] messages
//! and within [`SessionConfig::ack_delay`], and on any cut a new connection
//! (with backoff and jitter) that `resume`s with the count received and
//! sends again what the server's `welcome.rx` says it missed. A link that
//! says nothing for 2 × `heartbeat_ms`, or whose `hb` counts more than
//! arrived, is taken as dead and resumed.
//!
//! It is a second, independent implementation of the client side (the
//! browser's is `clients/js`), for tests that put a session through cuts:
//! one task per session drives it; the application talks to it through a
//! [`SessionClient`] (send, next event, close).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use capstan::ws::{Decoder, Event, OpCode, Role};
use capstan::{Limits, Message};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::client::{Client, dial};
use crate::frame::{MASK, client_frame, close_payload};
use crate::handshake;

/// How a session client behaves.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The server (a loopback address: see [`dial`]).
    pub addr: SocketAddr,
    /// The route's path, served in session mode.
    pub path: String,
    /// Acknowledge at least every this many data messages (§4.4: 32).
    pub ack_every: u64,
    /// … and within this long of an unacknowledged one (§4.4: 1 s at most).
    pub ack_delay: Duration,
    /// Backoff between connection attempts: a random delay in
    /// [0, min(max, min · 2^attempt)).
    pub min_backoff: Duration,
    /// The ceiling of that delay.
    pub max_backoff: Duration,
    /// A connection must be upgraded and welcomed within this long.
    pub connect_timeout: Duration,
    /// Most data messages kept unacknowledged: `send` waits beyond.
    pub max_unacked: usize,
}

impl SessionConfig {
    /// The defaults of the document for the route `path` at `addr`.
    pub fn new(addr: SocketAddr, path: &str) -> SessionConfig {
        SessionConfig {
            addr,
            path: path.to_owned(),
            ack_every: 32,
            ack_delay: Duration::from_millis(500),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            max_unacked: 1000,
        }
    }
}

/// What the session tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session was created (the first `welcome`).
    Opened {
        /// Its id.
        sid: String,
    },
    /// A cut was resumed (a `welcome` with `resumed: true`).
    Resumed,
    /// A data message, in order, once.
    Message(Message),
    /// The session is over (§7): 1000, or a code of 4400–4499 with the
    /// server's `error` code as the reason when it gave one; or the
    /// client's own protocol check failed (4400).
    Closed {
        /// The close code.
        code: u16,
        /// Why.
        reason: String,
    },
}

/// The application's side of a session: the driver runs in its own task.
#[derive(Debug)]
pub struct SessionClient {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<SessionEvent>,
    room: Arc<Semaphore>,
    max: usize,
}

/// Sends on a session (see [`SessionClient::sender`]).
#[derive(Debug, Clone)]
pub struct SessionSender {
    commands: mpsc::UnboundedSender<Command>,
    room: Arc<Semaphore>,
    max: usize,
}

impl SessionSender {
    /// As [`SessionClient::send`].
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), String> {
        let over = "the session is over";
        // A permit per message kept; the driver gives it back on the ack.
        self.room.acquire().await.map_err(|_| over.to_owned())?.forget();
        self.commands.send(Command::Send(message.into())).map_err(|_| over.to_owned())
    }

    /// Data messages given to send that the server has not acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.max - self.room.available_permits()
    }
}

#[derive(Debug)]
enum Command {
    Send(Message),
    Close,
}

impl SessionClient {
    /// Starts a session (it connects in the background, and keeps trying).
    pub fn start(config: SessionConfig) -> SessionClient {
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        let max = config.max_unacked;
        let room = Arc::new(Semaphore::new(max));
        let driver = Driver::new(config, room.clone(), command_rx, event_tx);
        tokio::spawn(driver.run());
        SessionClient { commands, events, room, max }
    }

    /// Sends a data message, once there is room among the unacknowledged
    /// ones; `Err` once the session is over.
    pub async fn send(&self, message: impl Into<Message>) -> Result<(), String> {
        self.sender().send(message).await
    }

    /// A handle that sends, for another task than the one reading events.
    pub fn sender(&self) -> SessionSender {
        SessionSender { commands: self.commands.clone(), room: self.room.clone(), max: self.max }
    }

    /// The next event; `None` once the session is over and all were taken.
    pub async fn next_event(&mut self) -> Option<SessionEvent> {
        self.events.recv().await
    }

    /// Ends the session (close 1000, after what was sent).
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close);
    }
}

/// How a transport ended.
enum Ended {
    /// Cut (or dead, or refused before `welcome`): resume.
    Cut { welcomed: bool },
    /// The session is over.
    Over { code: u16, reason: String },
}

struct Driver {
    config: SessionConfig,
    /// Known once welcomed.
    sid: Option<String>,
    /// Data messages received (the n-th is number n).
    received: u64,
    /// The last acknowledgement given (an `ack`, or `resume`'s rx).
    acked_by_us: u64,
    /// Data messages given to send (numbered 1, 2, …).
    sent: u64,
    /// The server's acknowledgement of them.
    acked: u64,
    /// Numbers `acked + 1 ..= sent`, kept to be sent again.
    unacked: VecDeque<Message>,
    room: Arc<Semaphore>,
    commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<SessionEvent>,
    rng: u64,
    keys: u64,
}

impl Driver {
    /// A session not yet opened: nothing sent, received or kept.
    fn new(
        config: SessionConfig,
        room: Arc<Semaphore>,
        commands: mpsc::UnboundedReceiver<Command>,
        events: mpsc::UnboundedSender<SessionEvent>,
    ) -> Self {
        Driver {
            config,
            sid: None,
            received: 0,
            acked_by_us: 0,
            sent: 0,
            acked: 0,
            unacked: VecDeque::new(),
            room,
            commands,
            events,
            rng: seed(),
            keys: 0,
        }
    }

    async fn run(mut self) {
        let mut attempt = 0u32;
        loop {
            let ended = self.transport().await;
            match ended {
                Ended::Over { code, reason } => {
                    self.room.close();
                    let _ = self.events.send(SessionEvent::Closed { code, reason });
                    return;
                }
                Ended::Cut { welcomed } => {
                    if welcomed {
                        attempt = 0;
                    }
                    let delay = self.backoff(attempt);
                    attempt = attempt.saturating_add(1);
                    // Sends go on queueing while cut.
                    let wake = Instant::now() + delay;
                    loop {
                        tokio::select! {
                            _ = sleep_until(wake) => break,
                            command = self.commands.recv() => match command {
                                Some(Command::Send(message)) => self.queue(message),
                                Some(Command::Close) | None => {
                                    self.room.close();
                                    let reason = "closed while cut".to_owned();
                                    let _ = self.events.send(SessionEvent::Closed { code: 1000, reason });
                                    return;
                                }
                            },
                        }
                    }
                }
            }
        }
    }

    /// Full jitter: a random delay in [0, min(max, min · 2^attempt)).
    fn backoff(&mut self, attempt: u32) -> Duration {
        let ceiling = self.config.min_backoff.saturating_mul(1 << attempt.min(16));
        let ceiling = ceiling.min(self.config.max_backoff).as_micros() as u64;
        Duration::from_micros(self.random() % ceiling.max(1))
    }

    /// xorshift64: enough to spread reconnections.
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// Numbers a message and keeps it until the server acknowledges it.
    fn queue(&mut self, message: Message) {
        self.sent += 1;
        self.unacked.push_back(message);
    }

    /// The server has every message up to `n`: forget them.
    fn acknowledged(&mut self, n: u64) -> Result<(), String> {
        if n > self.sent {
            return Err(format!("ack_beyond_sent: {n} > {}", self.sent));
        }
        while self.acked < n {
            self.unacked.pop_front();
            self.acked += 1;
            self.room.add_permits(1);
        }
        Ok(())
    }

    /// One transport, from the connection to its end.
    async fn transport(&mut self) -> Ended {
        let cut = Ended::Cut { welcomed: false };
        self.keys += 1;
        let host = self.config.addr.to_string();
        let request = handshake::request(&host, &self.config.path, &handshake::key(self.keys), "");
        let addr = self.config.addr;
        let connecting = async move {
            let stream = dial(addr, None).await?;
            Client::upgrade(stream, request.as_bytes()).await.map_err(|e| e.to_string())
        };
        let Ok(Ok(client)) = timeout(self.config.connect_timeout, connecting).await else {
            return cut;
        };
        let (stream, buf) = client.into_parts();
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let (out, out_rx) = mpsc::unbounded_channel();
        // Writes go through their own task: a slow reader on the server's
        // side never stops this one from reading (and acknowledging).
        let writing = tokio::spawn(write_all(writer, out_rx));
        let ended = Transport { driver: self, out, reader, buf }.run().await;
        writing.abort();
        ended
    }
}

/// A connection in progress.
struct Transport<'a> {
    driver: &'a mut Driver,
    out: mpsc::UnboundedSender<Vec<u8>>,
    reader: OwnedReadHalf,
    buf: BytesMut,
}

impl Transport<'_> {
    fn write(&self, opcode: OpCode, payload: &[u8]) {
        let _ = self.out.send(client_frame(opcode, true, false, payload, MASK));
    }

    fn control(&self, value: Value) {
        self.write(OpCode::Text, format!("c{value}").as_bytes());
    }

    fn data(&self, message: &Message) {
        let (opcode, body) = match message {
            Message::Text(text) => (OpCode::Text, text.as_bytes()),
            Message::Binary(bytes) => (OpCode::Binary, bytes),
        };
        let mut payload = Vec::with_capacity(body.len() + 1);
        payload.push(b'm');
        payload.extend_from_slice(body);
        self.write(opcode, &payload);
    }

    fn ack(&mut self) {
        self.driver.acked_by_us = self.driver.received;
        self.control(json!({ "ack": self.driver.received }));
    }

    async fn run(mut self) -> Ended {
        // The first message: a new session, or a resume that also
        // acknowledges what arrived (§4.2).
        let first = match &self.driver.sid {
            None => json!({ "hello": { "v": 1 } }),
            Some(sid) => json!({ "resume": { "sid": sid, "rx": self.driver.received } }),
        };
        self.driver.acked_by_us = self.driver.received;
        self.control(first);
        let limits = Limits { max_frame_size: usize::MAX, max_message_size: usize::MAX };
        let mut decoder = Decoder::new(Role::Client, limits);
        let mut welcomed = false;
        let mut silence = self.driver.config.connect_timeout; // until the welcome
        let mut heard = Instant::now();
        let mut ack_due: Option<Instant> = None;
        let mut error: Option<String> = None;
        loop {
            // What is buffered, first.
            loop {
                let event = match decoder.decode(&mut self.buf) {
                    Ok(Some(event)) => event,
                    Ok(None) => break,
                    Err(_) => return Ended::Cut { welcomed },
                };
                let step = match event {
                    Event::Message(message) => {
                        self.message(message, &mut welcomed, &mut silence, &mut ack_due, &mut error)
                    }
                    Event::Ping(payload) => {
                        self.write(OpCode::Pong, &payload);
                        Ok(())
                    }
                    Event::Pong(_) => Ok(()),
                    Event::Close(frame) => {
                        let code = frame.as_ref().map_or(1005, |f| f.code.0);
                        self.write(OpCode::Close, &close_payload(code.min(4999), b""));
                        return closed(code, frame.map(|f| f.reason), error, welcomed);
                    }
                };
                if let Err(ended) = step {
                    return ended;
                }
            }
            let dead_at = heard + silence;
            tokio::select! {
                read = self.reader.read_buf(&mut self.buf) => match read {
                    Ok(n) if n > 0 => heard = Instant::now(),
                    _ => return Ended::Cut { welcomed },
                },
                command = self.driver.commands.recv() => match command {
                    Some(Command::Send(message)) => {
                        if welcomed {
                            self.data(&message);
                        }
                        self.driver.queue(message);
                    }
                    Some(Command::Close) | None => {
                        self.write(OpCode::Close, &close_payload(1000, b""));
                        // Let the writer flush the close before the task ends.
                        sleep(Duration::from_millis(50)).await;
                        return Ended::Over { code: 1000, reason: "closed by the client".into() };
                    }
                },
                _ = sleep_until(ack_due.unwrap_or(dead_at)), if ack_due.is_some() => {
                    ack_due = None;
                    self.ack();
                }
                // A dead link (§4.6): nothing at all for 2 × heartbeat_ms.
                _ = sleep_until(dead_at) => return Ended::Cut { welcomed },
            }
        }
    }

    /// A data or control message; `Err` ends the transport.
    fn message(
        &mut self,
        message: Message,
        welcomed: &mut bool,
        silence: &mut Duration,
        ack_due: &mut Option<Instant>,
        error: &mut Option<String>,
    ) -> Result<(), Ended> {
        let violation = |why: String| Ended::Over { code: 4400, reason: why };
        let (kind, rest): (u8, Bytes) = match &message {
            Message::Text(text) => {
                let bytes = text.as_bytes();
                (bytes.first().copied().unwrap_or(0), bytes.slice(1.min(bytes.len())..))
            }
            Message::Binary(bytes) => {
                (bytes.first().copied().unwrap_or(0), bytes.slice(1.min(bytes.len())..))
            }
        };
        match (kind, &message) {
            (b'm', _) if *welcomed => {
                let data = match message {
                    Message::Text(_) => {
                        let text = String::from_utf8(rest.to_vec())
                            .map_err(|e| violation(e.to_string()))?;
                        Message::text(text)
                    }
                    Message::Binary(_) => Message::binary(rest),
                };
                let d = &mut *self.driver;
                d.received += 1;
                let _ = d.events.send(SessionEvent::Message(data));
                if d.received - d.acked_by_us >= d.config.ack_every {
                    *ack_due = None;
                    self.ack();
                } else if ack_due.is_none() {
                    *ack_due = Some(Instant::now() + d.config.ack_delay);
                }
                Ok(())
            }
            (b'c', Message::Text(_)) => {
                let value: Value = serde_json::from_slice(&rest)
                    .map_err(|e| violation(format!("control: {e}")))?;
                self.control_message(&value, welcomed, silence, error)
            }
            _ => Err(violation(format!("unexpected message {message:?}"))),
        }
    }

    fn control_message(
        &mut self,
        value: &Value,
        welcomed: &mut bool,
        silence: &mut Duration,
        error: &mut Option<String>,
    ) -> Result<(), Ended> {
        let violation = |why: String| Ended::Over { code: 4400, reason: why };
        let number = |v: &Value| v.as_u64().ok_or_else(|| violation(format!("not a count: {v}")));
        let Some((name, body)) = value.as_object().and_then(|o| o.iter().next()) else {
            return Err(violation(format!("control {value}")));
        };
        match name.as_str() {
            "welcome" if !*welcomed => {
                let sid = body["sid"].as_str().ok_or_else(|| violation("welcome.sid".into()))?;
                let rx = number(&body["rx"])?;
                let heartbeat = number(&body["heartbeat_ms"])?;
                let resumed = body["resumed"].as_bool() == Some(true);
                let d = &mut *self.driver;
                if resumed && d.sid.as_deref() != Some(sid) {
                    return Err(violation(format!("resumed another session {sid}")));
                }
                d.acknowledged(rx).map_err(violation)?;
                let event = if resumed {
                    SessionEvent::Resumed
                } else {
                    d.sid = Some(sid.to_owned());
                    SessionEvent::Opened { sid: sid.to_owned() }
                };
                let _ = d.events.send(event);
                *welcomed = true;
                *silence = Duration::from_millis(heartbeat.saturating_mul(2).max(1));
                // What the server missed, in order (§5: M + 1, M + 2, …).
                for message in &self.driver.unacked {
                    self.data(message);
                }
                Ok(())
            }
            "ack" if *welcomed => self.driver.acknowledged(number(body)?).map_err(violation),
            "hb" if *welcomed => {
                // On an ordered transport everything counted came before it.
                if number(body)? > self.driver.received {
                    return Err(Ended::Cut { welcomed: true });
                }
                Ok(())
            }
            "error" => {
                *error = body["code"].as_str().map(str::to_owned);
                Ok(())
            }
            _ => Err(violation(format!("unexpected control {value}"))),
        }
    }
}

/// What a close frame means for the session (§7).
fn closed(code: u16, reason: Option<String>, error: Option<String>, welcomed: bool) -> Ended {
    if code == 1000 || ((4400..=4499).contains(&code) && code != 4409) {
        let reason = error.or(reason).unwrap_or_default();
        Ended::Over { code, reason }
    } else {
        Ended::Cut { welcomed }
    }
}

async fn write_all(mut writer: OwnedWriteHalf, mut frames: mpsc::UnboundedReceiver<Vec<u8>>) {
    while let Some(frame) = frames.recv().await {
        if writer.write_all(&frame).await.is_err() {
            return;
        }
    }
}

/// A seed for the jitter: the clock's nanoseconds and the process id.
fn seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    (nanos ^ (u64::from(std::process::id()) << 32)) | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_closes_end_the_session() {
        // §7: 1000 and 4400-4499 end it, 4409 (replaced) and the rest do not.
        for code in [1000, 4400, 4404, 4410, 4416, 4426, 4429, 4499] {
            assert!(matches!(closed(code, None, None, true), Ended::Over { .. }), "{code}");
        }
        for code in [1001, 1005, 1006, 1011, 1012, 4000, 4409, 4500] {
            assert!(
                matches!(closed(code, None, None, true), Ended::Cut { welcomed: true }),
                "{code}"
            );
        }
        let Ended::Over { reason, .. } =
            closed(4404, Some(String::new()), Some("unknown_session".into()), true)
        else {
            panic!("4404 ends the session");
        };
        assert_eq!(reason, "unknown_session", "the error control names why");
    }

    /// A driver with no connection and no application behind it.
    fn driver(room: Arc<Semaphore>) -> Driver {
        let (_commands, command_rx) = mpsc::unbounded_channel();
        let (events, _event_rx) = mpsc::unbounded_channel();
        let config = SessionConfig::new("127.0.0.1:9".parse().unwrap(), "/x");
        Driver::new(config, room, command_rx, events)
    }

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let mut driver = driver(Arc::new(Semaphore::new(1)));
        for attempt in 0..40 {
            let ceiling = Duration::from_millis(50).saturating_mul(1 << attempt.min(16));
            let delay = driver.backoff(attempt);
            assert!(delay < ceiling.min(Duration::from_secs(2)), "{attempt}: {delay:?}");
        }
    }

    #[test]
    fn acknowledgements_free_room_and_never_pass_what_was_sent() {
        let room = Arc::new(Semaphore::new(2));
        let mut driver = driver(room.clone());
        room.try_acquire_many(2).unwrap().forget();
        driver.queue(Message::text("one"));
        driver.queue(Message::text("two"));
        assert!(driver.acknowledged(3).is_err(), "ack_beyond_sent");
        driver.acknowledged(1).unwrap();
        assert_eq!(driver.unacked.len(), 1);
        assert_eq!(room.available_permits(), 1);
        driver.acknowledged(1).unwrap(); // a repeat is harmless
        assert_eq!(room.available_permits(), 1);
    }
}
