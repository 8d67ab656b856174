//! The pub/sub connection's task: it subscribes the node to the channels
//! of its topics, reads what comes on them, and keeps the connection
//! alive.
//!
//! - Subscribing is asked for by message (the broker's `subscribe` returns
//!   at once, under the registry's lock) and confirmed by Redis's push:
//!   `ready` waits for that push, not for the command's answer.
//! - A channel's message is an [`Envelope`]: a kept one goes to the
//!   node's sequencer (`deliver_kept`; this node's own with its `exclude`
//!   list), a plain one from another node to the fan-out (this node's own
//!   was delivered when it was published). A malformed one is logged and
//!   dropped.
//! - After a cut (a `Disconnection` push), redis-rs reconnects and
//!   subscribes again by itself; once every channel is confirmed again,
//!   the node's kept topics read what they missed from the history
//!   (`LocalFanout::reconnected`). A `PING` every second makes sure a
//!   connection whose reconnect attempts ran out tries again, and the
//!   channels not confirmed (a subscribe sent while Redis was away) are
//!   asked for again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use capstan::PreparedMessage;
use capstan::pubsub::{LocalFanout, Stored};
use redis::{PushInfo, PushKind, Value};
use tokio::runtime::Handle;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;

use crate::connection::Redis;
use crate::dispatch;
use crate::envelope::Envelope;
use crate::exclusions::Exclusions;
use crate::keys::Keys;

/// How often the pub/sub connection is pinged and its channels checked.
const KEEPALIVE: Duration = Duration::from_secs(1);

/// What the broker asks of the task.
#[derive(Debug)]
pub(crate) enum Request {
    /// Receive the topic's publications.
    Subscribe(String),
    /// Stop receiving them.
    Unsubscribe(String),
    /// Answer once the topic's subscription is confirmed.
    Ready(String, oneshot::Sender<()>),
}

/// What the task delivers into, shared with the broker.
#[derive(Debug, Default)]
pub(crate) struct Delivering {
    /// The node's fan-out, once a registry took the broker.
    pub local: OnceLock<LocalFanout>,
    /// This node's id, in its envelopes.
    pub node: String,
    /// The `exclude` lists of this node's kept publications on their way.
    pub exclusions: Exclusions,
}

/// A channel the node wants.
#[derive(Debug)]
struct Wanted {
    topic: String,
    /// When a subscribe was last sent for it.
    asked: Option<Instant>,
}

/// The pub/sub connection's state.
pub(crate) struct Subscriber {
    redis: Redis,
    keys: Keys,
    sharded: bool,
    timeout: Duration,
    delivering: Arc<Delivering>,
    runtime: Handle,
    /// The node's channels, by name.
    wanted: HashMap<String, Wanted>,
    /// The channels Redis confirmed on the current connection.
    confirmed: HashSet<String>,
    /// `ready` calls waiting, by channel.
    waiters: HashMap<String, Vec<oneshot::Sender<()>>>,
    /// The connection was cut: publications may have been missed.
    cut: bool,
}

impl Subscriber {
    pub(crate) fn new(
        redis: Redis,
        keys: Keys,
        sharded: bool,
        timeout: Duration,
        delivering: Arc<Delivering>,
        runtime: Handle,
    ) -> Self {
        Self {
            redis,
            keys,
            sharded,
            timeout,
            delivering,
            runtime,
            wanted: HashMap::new(),
            confirmed: HashSet::new(),
            waiters: HashMap::new(),
            cut: false,
        }
    }

    /// Runs until the broker is dropped (its requests end).
    pub(crate) async fn run(
        mut self,
        mut requests: UnboundedReceiver<Request>,
        mut pushes: UnboundedReceiver<PushInfo>,
    ) {
        let mut keepalive = tokio::time::interval(KEEPALIVE);
        keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                request = requests.recv() => match request {
                    Some(request) => self.request(request),
                    None => break,
                },
                Some(push) = pushes.recv() => self.push(push),
                _ = keepalive.tick() => self.keepalive(),
            }
        }
    }

    fn request(&mut self, request: Request) {
        match request {
            Request::Subscribe(topic) => {
                let channel = self.keys.channel(&topic);
                self.wanted.insert(channel.clone(), Wanted { topic, asked: None });
                if !self.confirmed.contains(&channel) {
                    self.ask(&channel);
                }
            }
            Request::Unsubscribe(topic) => {
                let channel = self.keys.channel(&topic);
                self.wanted.remove(&channel);
                // No longer confirmed from now: a subscribe that follows
                // is sent after this unsubscribe, and `ready` waits for it.
                if self.confirmed.remove(&channel) {
                    self.send(if self.sharded { "SUNSUBSCRIBE" } else { "UNSUBSCRIBE" }, channel);
                }
            }
            Request::Ready(topic, answer) => {
                let channel = self.keys.channel(&topic);
                if self.confirmed.contains(&channel) {
                    let _ = answer.send(());
                } else {
                    self.waiters.entry(channel).or_default().push(answer);
                }
            }
        }
    }

    /// Sends a subscribe for `channel`, noting when.
    fn ask(&mut self, channel: &str) {
        if let Some(wanted) = self.wanted.get_mut(channel) {
            wanted.asked = Some(Instant::now());
        }
        self.send(if self.sharded { "SSUBSCRIBE" } else { "SUBSCRIBE" }, channel.to_owned());
    }

    /// Sends `verb channel` (one channel a command: redis-rs takes one
    /// confirmation as a raw command's answer). Its answer is not awaited
    /// here: the confirmation comes as a push.
    fn send(&self, verb: &'static str, channel: String) {
        let redis = self.redis.clone();
        dispatch::start(&self.runtime, async move {
            if let Err(error) = redis.query::<Value>(redis::cmd(verb).arg(&channel)).await {
                tracing::debug!(%channel, %error, "{verb} not answered (asked again if needed)");
            }
        });
    }

    fn keepalive(&mut self) {
        let redis = self.redis.clone();
        dispatch::start(&self.runtime, async move {
            if let Err(error) = redis.query::<Value>(&redis::cmd("PING")).await {
                tracing::debug!(%error, "the pub/sub connection's ping failed");
            }
        });
        let now = Instant::now();
        let again: Vec<String> = self
            .wanted
            .iter()
            .filter(|(channel, wanted)| {
                !self.confirmed.contains(*channel)
                    && wanted.asked.is_none_or(|at| now.duration_since(at) >= self.timeout)
            })
            .map(|(channel, _)| channel.clone())
            .collect();
        for channel in again {
            self.ask(&channel);
        }
        // `ready` calls that gave up.
        self.waiters.retain(|_, waiting| {
            waiting.retain(|waiter| !waiter.is_closed());
            !waiting.is_empty()
        });
        self.caught_up();
    }

    /// After a cut, once every channel is confirmed again: the node's kept
    /// topics read what they missed from the history.
    fn caught_up(&mut self) {
        if self.cut && self.wanted.keys().all(|c| self.confirmed.contains(c)) {
            self.cut = false;
            tracing::info!("the redis pub/sub connection is back; reading what was missed");
            if let Some(local) = self.delivering.local.get() {
                local.reconnected();
            }
        }
    }

    fn push(&mut self, push: PushInfo) {
        let PushInfo { kind, data } = push;
        match kind {
            PushKind::Message | PushKind::SMessage => {
                let mut data = data.into_iter();
                if let (Some(channel), Some(payload)) = (data.next(), data.next()) {
                    self.message(channel, payload);
                }
            }
            PushKind::Subscribe | PushKind::SSubscribe => {
                if let Some(channel) = data.first().and_then(text) {
                    self.confirmed(channel);
                }
            }
            PushKind::Unsubscribe | PushKind::SUnsubscribe => {
                // Asked for, or Redis's own (a Cluster slot moved): a
                // channel still wanted is asked for again by the keepalive.
                if let Some(channel) = data.first().and_then(text) {
                    self.confirmed.remove(&channel);
                }
            }
            PushKind::Disconnection => {
                tracing::warn!("the redis pub/sub connection was cut; reconnecting");
                self.confirmed.clear();
                self.cut = true;
            }
            _ => {}
        }
    }

    /// Redis confirmed a subscription to `channel`.
    fn confirmed(&mut self, channel: String) {
        if !self.wanted.contains_key(&channel) {
            // Unsubscribed meanwhile.
            self.send(if self.sharded { "SUNSUBSCRIBE" } else { "UNSUBSCRIBE" }, channel);
            return;
        }
        for waiter in self.waiters.remove(&channel).unwrap_or_default() {
            let _ = waiter.send(());
        }
        self.confirmed.insert(channel);
        self.caught_up();
    }

    /// A message on `channel`: an envelope to deliver.
    fn message(&self, channel: Value, payload: Value) {
        let Some(topic) = text(&channel).and_then(|c| self.wanted.get(&c)).map(|w| &w.topic) else {
            return; // a channel this node left
        };
        let Value::BulkString(payload) = payload else {
            tracing::warn!(%topic, "dropped a pub/sub message that is not a string");
            return;
        };
        let envelope = match Envelope::decode(Bytes::from(payload)) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(%topic, %error, "dropped a malformed envelope");
                return;
            }
        };
        let Some(local) = self.delivering.local.get() else { return };
        let own = envelope.origin == self.delivering.node;
        match envelope.position {
            Some(position) => {
                let exclude =
                    if own { self.delivering.exclusions.take(envelope.number) } else { Vec::new() };
                local.deliver_kept(topic, Stored { position, message: envelope.message }, &exclude);
            }
            // This node's own plain publications were delivered at once.
            None if own => {}
            None => {
                local.deliver(topic, &PreparedMessage::new(envelope.message), &[]);
            }
        }
    }
}

/// A push's channel name.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

/// The broker's side of the task.
#[derive(Debug, Clone)]
pub(crate) struct Requests(pub UnboundedSender<Request>);

impl Requests {
    /// Asks the task; a task that stopped ignores it.
    pub(crate) fn send(&self, request: Request) {
        let _ = self.0.send(request);
    }
}
