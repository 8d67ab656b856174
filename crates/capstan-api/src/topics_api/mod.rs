//! [`TopicsApi`]: the server API of any application built on capstan's
//! [`Topics`] — a channel is a topic, a publication the data's JSON text
//! as one text frame.
//!
//! - publish: to the topic's subscribers on every node (through the
//!   registry's broker), kept in the history unless `skip_history` (or no
//!   history is given), which gives its offset and epoch. A channel nobody
//!   subscribed to is no error (as in Centrifugo). An idempotency key is
//!   remembered per channel for a window (5 minutes) and a count (10,000
//!   keys): a retry within them is not published again and gets the first
//!   reply. Tags are accepted and not delivered (the frame is the data).
//! - presence, presence_stats: the topic's subscribers on this node, each
//!   connection's user given by the application's function (default: the
//!   connection's id).
//! - history: from the [`History`] given (the one the registry's engine
//!   keeps); none given: 108.
//! - channels: the registry's topics, with their subscriber counts.
//! - disconnect, unsubscribe: act on the connections the application
//!   registered ([`TopicsApi::connect`], or [`TopicsApi::subscribe`] which
//!   also subscribes): a registry by user that each connection leaves by
//!   itself when it ends. An unregistered connection is unknown to them.
//! - info: this node.
//!
//! The application may restrict channel names with a validator (its error,
//! typically 102 unknown channel, is the answer).

mod history;
mod idempotency;
mod users;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use capstan::pubsub::{History, Keep};
use capstan::{CloseCode, Conn, Message, Topic, Topics};

use crate::backend::{ApiFuture, ServerApi};
use crate::command::{Channels, Disconnect, Info, Presence, PresenceStats, Publish, Unsubscribe};
use crate::error::{ApiError, ErrorCode};
use crate::reply::{
    ChannelInfo, ChannelsReply, ClientInfo, Empty, HistoryReply, InfoReply, NodeInfo,
    PresenceReply, PresenceStatsReply, PublishReply,
};
use idempotency::Idempotency;
use users::Users;

/// How long an idempotency key is remembered by default (Centrifugo's
/// window).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(300);

/// How many idempotency keys are remembered at most by default (the
/// oldest forgotten first).
pub const IDEMPOTENCY_KEYS: usize = 10_000;

/// The close code a `disconnect` without one sends: 4000, an
/// application's own (RFC 6455 §7.4.2), with the reason "disconnected".
pub const DISCONNECT_CODE: u16 = 4000;

/// The user of a connection, as the application says.
type UserOf = Arc<dyn Fn(&Conn) -> String + Send + Sync>;

/// The application's check of a channel's name.
type Validator = Arc<dyn Fn(&str) -> Result<(), ApiError> + Send + Sync>;

/// The server API of an application on [`Topics`]. Cheap to clone: keep a
/// clone to register connections, hand one to [`Api::new`](crate::Api::new).
#[derive(Clone)]
pub struct TopicsApi {
    topics: Topics,
    history: Option<Arc<dyn History>>,
    users: Users,
    user_of: UserOf,
    validator: Option<Validator>,
    idempotency: Arc<Idempotency>,
    node: Arc<Node>,
}

/// What `info` says of this node.
struct Node {
    uid: String,
    name: String,
    version: String,
    started: Instant,
}

impl std::fmt::Debug for TopicsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicsApi")
            .field("history", &self.history.is_some())
            .field("validator", &self.validator.is_some())
            .field("node", &self.node.name)
            .finish_non_exhaustive()
    }
}

impl TopicsApi {
    /// The API of `topics`, without history (every publish is delivered
    /// only), each connection its own user.
    pub fn new(topics: Topics) -> Self {
        let uid = new_uid();
        Self {
            topics,
            history: None,
            users: Users::default(),
            user_of: Arc::new(|conn: &Conn| conn.id().to_string()),
            validator: None,
            idempotency: Arc::new(Idempotency::new(IDEMPOTENCY_WINDOW, IDEMPOTENCY_KEYS)),
            node: Arc::new(Node {
                uid,
                name: "capstan".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                started: Instant::now(),
            }),
        }
    }

    /// Keeps publications in `history` and reads `history` from it: the
    /// history of the engine the registry runs on (`Engine::history`).
    pub fn with_history(mut self, history: Arc<dyn History>) -> Self {
        self.history = Some(history);
        self
    }

    /// A connection's user, for presence and for `disconnect` and
    /// `unsubscribe` by user.
    pub fn with_user(mut self, user_of: impl Fn(&Conn) -> String + Send + Sync + 'static) -> Self {
        self.user_of = Arc::new(user_of);
        self
    }

    /// Checks every channel name a command names (publish, broadcast,
    /// presence, presence_stats, history, unsubscribe); its error is the
    /// answer (102 unknown channel, say).
    pub fn with_validator(
        mut self,
        validator: impl Fn(&str) -> Result<(), ApiError> + Send + Sync + 'static,
    ) -> Self {
        self.validator = Some(Arc::new(validator));
        self
    }

    /// Remembers idempotency keys `window` long, at most `max_keys`.
    pub fn with_idempotency(mut self, window: Duration, max_keys: usize) -> Self {
        self.idempotency = Arc::new(Idempotency::new(window, max_keys));
        self
    }

    /// The node's name and the server's version, as `info` shows them
    /// (default: "capstan" and this crate's version).
    pub fn with_node(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        let node = Node {
            uid: self.node.uid.clone(),
            name: name.into(),
            version: version.into(),
            started: self.node.started,
        };
        self.node = Arc::new(node);
        self
    }

    /// The registry the API publishes through.
    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// Registers `conn` (call it in `on_open`) for `disconnect`,
    /// `unsubscribe` and `info`; it leaves by itself when it ends.
    pub fn connect(&self, conn: &Conn) {
        self.users.add(conn, &(self.user_of)(conn));
    }

    /// Registers `conn` and subscribes it to `channel`.
    pub fn subscribe(&self, channel: &str, conn: &Conn) -> Topic {
        self.connect(conn);
        self.topics.subscribe(channel, conn)
    }

    fn check(&self, channel: &str) -> Result<(), ApiError> {
        match &self.validator {
            Some(validator) => validator(channel),
            None => Ok(()),
        }
    }

    /// Publishes once: kept (with its position) or delivered only.
    async fn publish_once(&self, publish: &Publish) -> Result<PublishReply, ApiError> {
        let message = Message::text(publish.data.get().to_owned());
        let channel = publish.channel.as_str();
        let keep = !publish.skip_history && self.history.is_some();
        let published = if keep {
            let keep = Keep { idempotency_key: publish.idempotency_key.as_deref() };
            self.topics.publish_kept(channel, message, &[], keep)
        } else {
            self.topics.publish(channel, message, &[])
        };
        let acknowledged = published.ack.await.map_err(|error| {
            tracing::warn!(%error, channel, "publish failed");
            ApiError::internal()
        })?;
        Ok(match acknowledged.position {
            Some(position) if keep => {
                PublishReply { offset: position.offset, epoch: position.epoch }
            }
            _ => PublishReply::default(),
        })
    }

    fn client_info(&self, conn: &Conn) -> ClientInfo {
        ClientInfo {
            client: conn.id().to_string(),
            user: (self.user_of)(conn),
            conn_info: None,
            chan_info: None,
        }
    }

    fn subscribers(&self, channel: &str) -> Vec<Conn> {
        self.topics.get(channel).map(|topic| topic.subscribers()).unwrap_or_default()
    }

    /// The registered connections a `user`/`client` pair names.
    fn targets(&self, user: &str, client: Option<&str>) -> Vec<Conn> {
        let conns = self.users.of(user);
        match client {
            Some(client) => conns.into_iter().filter(|c| c.id().to_string() == client).collect(),
            None => conns,
        }
    }
}

impl ServerApi for TopicsApi {
    fn publish(&self, publish: Publish) -> ApiFuture<'_, PublishReply> {
        Box::pin(async move {
            self.check(&publish.channel)?;
            let Some(key) = publish.idempotency_key.clone() else {
                return self.publish_once(&publish).await;
            };
            let slot = self.idempotency.slot(&publish.channel, &key, Instant::now());
            slot.get_or_try_init(|| self.publish_once(&publish)).await.cloned()
        })
    }

    fn presence(&self, request: Presence) -> ApiFuture<'_, PresenceReply> {
        Box::pin(async move {
            self.check(&request.channel)?;
            let presence = self
                .subscribers(&request.channel)
                .iter()
                .map(|conn| (conn.id().to_string(), self.client_info(conn)))
                .collect();
            Ok(PresenceReply { presence })
        })
    }

    fn presence_stats(&self, request: PresenceStats) -> ApiFuture<'_, PresenceStatsReply> {
        Box::pin(async move {
            self.check(&request.channel)?;
            let conns = self.subscribers(&request.channel);
            let users: std::collections::HashSet<String> =
                conns.iter().map(|conn| (self.user_of)(conn)).collect();
            Ok(PresenceStatsReply {
                num_clients: conns.len() as u64,
                num_users: users.len() as u64,
            })
        })
    }

    fn history(&self, request: crate::command::History) -> ApiFuture<'_, HistoryReply> {
        Box::pin(async move {
            self.check(&request.channel)?;
            let Some(history) = &self.history else {
                return Err(ApiError::with_message(
                    ErrorCode::NotAvailable,
                    "this server keeps no history",
                ));
            };
            history::page(&**history, request).await
        })
    }

    fn channels(&self, _request: Channels) -> ApiFuture<'_, ChannelsReply> {
        Box::pin(async move {
            let channels = self
                .topics
                .names()
                .into_iter()
                .filter_map(|name| {
                    let topic = self.topics.get(&name)?;
                    Some((name, ChannelInfo { num_clients: topic.len() as u64 }))
                })
                .collect();
            Ok(ChannelsReply { channels })
        })
    }

    fn disconnect(&self, request: Disconnect) -> ApiFuture<'_, Empty> {
        Box::pin(async move {
            let (code, reason) = match &request.disconnect {
                Some(d) => (CloseCode(d.code), d.reason.clone()),
                None => (CloseCode(DISCONNECT_CODE), "disconnected".to_owned()),
            };
            for conn in self.targets(&request.user, request.client.as_deref()) {
                if !request.whitelist.contains(&conn.id().to_string()) {
                    conn.close(code, &reason);
                }
            }
            Ok(Empty {})
        })
    }

    fn unsubscribe(&self, request: Unsubscribe) -> ApiFuture<'_, Empty> {
        Box::pin(async move {
            self.check(&request.channel)?;
            for conn in self.targets(&request.user, request.client.as_deref()) {
                self.topics.unsubscribe(&request.channel, &conn);
            }
            Ok(Empty {})
        })
    }

    fn info(&self, _request: Info) -> ApiFuture<'_, InfoReply> {
        Box::pin(async move {
            let (num_clients, num_users) = self.users.counts();
            let names = self.topics.names();
            let num_subs: usize =
                names.iter().filter_map(|name| self.topics.get(name)).map(|t| t.len()).sum();
            let node = NodeInfo {
                uid: self.node.uid.clone(),
                name: self.node.name.clone(),
                version: self.node.version.clone(),
                num_clients: num_clients as u64,
                num_users: num_users as u64,
                num_channels: names.len() as u64,
                num_subs: num_subs as u64,
                uptime: self.node.started.elapsed().as_secs(),
            };
            Ok(InfoReply { nodes: vec![node] })
        })
    }
}

/// An id for this node's run: the time it started and the process.
fn new_uid() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}
