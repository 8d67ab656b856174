//! The chat's server API (`capstan_api::ServerApi`): a channel is a public
//! room. A publish is a message by a bot, stored and delivered like a
//! user's (or, with `skip_history`, shown and not kept); presence is the
//! room's members; history its messages; disconnect and unsubscribe reach
//! the user's connection on whichever node it is. docs/API.md has the
//! chat's answers.

pub mod bot;
mod node;

use std::sync::Arc;

use capstan::{CloseCode, Topics};
use capstan_api::{
    ApiError, ApiFuture, ChannelInfo, Channels, ChannelsReply, ClientInfo, Disconnect, Empty,
    ErrorCode, History, HistoryReply, Info, InfoReply, Presence, PresenceReply, PresenceStats,
    PresenceStatsReply, Publication, Publish, PublishReply, ServerApi, Unsubscribe,
};
use serde_json::value::RawValue;
use tokio::sync::oneshot;

use crate::cluster::{ClusterMembers, ClusterRooms};
use crate::message::{NewMessage, StoredMessage};
use crate::name_registry::NameRegistry;
use crate::names;
use crate::protocol::server as wire;
use crate::room::Room;
use crate::rooms::{MEMBER_PAGE, MemberPage, Rooms};
use crate::storage::Storage;
use crate::store::{AckTo, ApiJob, HistoryQuery, HistoryRefusal, Job, Shared, StoreBusy};
use crate::time::now_ms;
pub use node::{NODE_REFRESH, NodeDirectory, NodeIdentity};

/// The close code a user disconnected by the server API gets when the
/// call names none.
pub const DISCONNECTED: CloseCode = CloseCode(4002);

/// Most messages one history call returns (`limit: -1` asks for this many).
pub const MAX_HISTORY: usize = 1000;

/// Rooms read per step when listing channels.
const CHANNELS_PAGE: usize = 500;

/// The rooms and members of every node, where the chat is a cluster.
#[derive(Clone)]
pub struct ClusterView {
    /// The rooms' members on every node.
    pub members: ClusterMembers,
    /// The public rooms of every node.
    pub rooms: ClusterRooms,
    /// The nodes.
    pub nodes: NodeDirectory,
}

/// The chat's server API. Cheap to clone.
#[derive(Clone)]
pub struct ChatApi {
    store: Storage,
    topics: Topics,
    rooms: Arc<Rooms>,
    cluster: Option<ClusterView>,
    max_message_bytes: usize,
    node: Arc<NodeIdentity>,
    names: Arc<NameRegistry>,
    metrics: capstan_api::Metrics,
}

impl ChatApi {
    /// The API of a chat storing through `store`, delivering on the topics
    /// of `shared`, whose rooms are those of `shared` (and, in a cluster,
    /// `cluster`), whose connections hold `names`.
    pub fn new(
        store: Storage,
        shared: &Shared,
        names: Arc<NameRegistry>,
        cluster: Option<ClusterView>,
        max_message_bytes: usize,
        node: Arc<NodeIdentity>,
    ) -> Self {
        Self {
            store,
            topics: shared.topics.clone(),
            rooms: shared.rooms.clone(),
            cluster,
            max_message_bytes,
            node,
            names,
            metrics: shared.metrics.clone(),
        }
    }

    fn submit(&self, job: Job) -> Result<(), ApiError> {
        self.store.submit(job).map_err(|busy| match busy {
            StoreBusy::Full => ApiError::with_message(
                ErrorCode::Internal,
                "the server is too busy to store messages now: retry",
            ),
            StoreBusy::Stopped => {
                ApiError::with_message(ErrorCode::Internal, "the server is shutting down")
            }
        })
    }

    async fn publish(&self, publish: Publish) -> Result<PublishReply, ApiError> {
        let room = public_room(&publish.channel)?;
        let (bot, content) = bot::read(&publish.data, self.max_message_bytes)?;
        if publish.skip_history {
            let notice = wire::bot_notice(&room, &bot, &content, now_ms());
            let started = std::time::Instant::now();
            let published = self.topics.publish(&room, notice, &[]).ack.await;
            // The broker's part alone: a plain publication, nothing stored.
            self.metrics.observe_broker("publish", started.elapsed());
            published.map_err(|error| {
                tracing::error!(%error, room, "an API notice was not published");
                ApiError::internal()
            })?;
            return Ok(PublishReply::default());
        }
        if let Some(key) = &publish.idempotency_key {
            crate::content::client_id(Some(key)).map_err(|refusal| {
                ApiError::bad_request(format!("idempotency_key: {}", refusal.message))
            })?;
        }
        let message = NewMessage {
            room: room.clone(),
            author: bot::bot_author(&bot),
            content,
            created_ms: now_ms(),
            client_id: publish.idempotency_key,
        };
        let (ack, stored) = AckTo::api();
        self.rooms.append_started(&room);
        self.submit(Job::Append { message, ack, direct_to: None })
            .inspect_err(|_| self.rooms.append_finished(&room, false))?;
        match stored.await {
            Ok(Ok(stored)) => Ok(PublishReply { offset: stored.id, epoch: stored.epoch }),
            Ok(Err(_)) | Err(_) => Err(ApiError::with_message(
                ErrorCode::Internal,
                "the message was not stored: the store failed (see the server's log)",
            )),
        }
    }

    /// Every member name of `room`, on every node: a first page, and, if
    /// the room holds more, one read of all of them — with room for those
    /// who joined between the two reads. (A cluster's page reads the whole
    /// presence list each time: paging would read it once per page.)
    async fn members(&self, room: &str) -> Result<MemberPage, ApiError> {
        let first = self.member_page(room, MEMBER_PAGE).await?;
        if !first.more {
            return Ok(first);
        }
        self.member_page(room, first.total + MEMBER_PAGE).await
    }

    async fn member_page(&self, room: &str, limit: usize) -> Result<MemberPage, ApiError> {
        let page = match &self.cluster {
            Some(cluster) => cluster.members.page(room, &self.rooms, None, limit).await,
            None => Ok(self.rooms.members(room, None, limit)),
        };
        page.map_err(|refusal| ApiError::with_message(ErrorCode::Internal, refusal.message))
    }

    async fn presence(&self, request: Presence) -> Result<PresenceReply, ApiError> {
        let room = public_room(&request.channel)?;
        let members = self.members(&room).await?;
        let presence = members
            .names
            .into_iter()
            .map(|name| {
                let info = ClientInfo {
                    client: name.clone(),
                    user: name.clone(),
                    conn_info: None,
                    chan_info: None,
                };
                (name, info)
            })
            .collect();
        Ok(PresenceReply { presence })
    }

    async fn presence_stats(&self, request: PresenceStats) -> Result<PresenceStatsReply, ApiError> {
        let room = public_room(&request.channel)?;
        let total = self.members(&room).await?.total as u64;
        // One connection per name: a new one replaces the old.
        Ok(PresenceStatsReply { num_clients: total, num_users: total })
    }

    async fn history(&self, request: History) -> Result<HistoryReply, ApiError> {
        let room = public_room(&request.channel)?;
        let limit = match request.limit {
            None | Some(0) => 0,
            Some(-1) => MAX_HISTORY,
            Some(n) => usize::try_from(n).unwrap_or(MAX_HISTORY).min(MAX_HISTORY),
        };
        let since = request.since.map(|position| (position.offset, position.epoch));
        let query = HistoryQuery { room, since, limit, reverse: request.reverse };
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Api(ApiJob::History { query, reply }))?;
        let answer = answer.await.map_err(|_| ApiError::internal())?;
        let answer = answer.map_err(|refusal| match refusal {
            HistoryRefusal::Unrecoverable(why) => {
                ApiError::with_message(ErrorCode::UnrecoverablePosition, why)
            }
            HistoryRefusal::Failed(why) => {
                tracing::error!(error = why, "an API history page failed");
                ApiError::with_message(ErrorCode::Internal, "the history could not be read")
            }
        })?;
        let publications = answer.messages.iter().map(publication).collect();
        Ok(HistoryReply { publications, offset: answer.last_id, epoch: answer.epoch })
    }

    async fn channels(&self, _request: Channels) -> Result<ChannelsReply, ApiError> {
        let mut reply = ChannelsReply::default();
        let mut after: Option<String> = None;
        loop {
            let (page, more) = match &self.cluster {
                Some(cluster) => {
                    let page = cluster
                        .rooms
                        .page(after.as_deref(), CHANNELS_PAGE, &cluster.members, &self.rooms)
                        .await
                        .map_err(|error| {
                            tracing::error!(%error, "the cluster's rooms could not be read");
                            ApiError::internal()
                        })?;
                    (page.0.into_iter().map(|listed| listed.summary).collect(), page.1)
                }
                None => self.rooms.list(after.as_deref(), CHANNELS_PAGE),
            };
            let page: Vec<_> = page;
            after = page.last().map(|summary| summary.name.clone());
            for summary in page.into_iter().filter(|summary| summary.members > 0) {
                let info = ChannelInfo { num_clients: summary.members as u64 };
                reply.channels.insert(summary.name, info);
            }
            if !more || after.is_none() {
                return Ok(reply);
            }
        }
    }

    fn disconnect(&self, request: Disconnect) -> Result<Empty, ApiError> {
        if request.client.is_some() || !request.whitelist.is_empty() {
            return Err(ApiError::with_message(
                ErrorCode::NotAvailable,
                "client and whitelist: a chat user has one connection; disconnect by user",
            ));
        }
        let name = user(&request.user)?;
        let (code, reason) = match request.disconnect {
            Some(reason) => (CloseCode(reason.code), reason.reason),
            None => (DISCONNECTED, "disconnected by the server".to_owned()),
        };
        self.submit(Job::Api(ApiJob::Disconnect { name, code, reason }))?;
        Ok(Empty {})
    }

    fn unsubscribe(&self, request: Unsubscribe) -> Result<Empty, ApiError> {
        if request.client.is_some() {
            return Err(ApiError::with_message(
                ErrorCode::NotAvailable,
                "client: a chat user has one connection; unsubscribe by user",
            ));
        }
        let name = user(&request.user)?;
        let room = public_room(&request.channel)?;
        self.submit(Job::Api(ApiJob::Unsubscribe { name, room }))?;
        Ok(Empty {})
    }

    async fn info(&self) -> Result<InfoReply, ApiError> {
        let own = self.node.info(&self.topics, &self.rooms, &self.names);
        let nodes = match &self.cluster {
            None => vec![own],
            Some(cluster) => cluster.nodes.list(own).await.map_err(|error| {
                tracing::error!(%error, "the node directory could not be read");
                ApiError::internal()
            })?,
        };
        Ok(InfoReply { nodes })
    }

    /// Keeps this node in the cluster's directory (none on one node):
    /// the task to abort when the server stops.
    pub fn keep_in_directory(&self) -> Option<tokio::task::JoinHandle<()>> {
        let cluster = self.cluster.as_ref()?;
        let (node, topics, rooms) = (self.node.clone(), self.topics.clone(), self.rooms.clone());
        Some(cluster.nodes.keep(node, topics, rooms, self.names.clone()))
    }
}

impl ServerApi for ChatApi {
    fn publish(&self, publish: Publish) -> ApiFuture<'_, PublishReply> {
        Box::pin(self.publish(publish))
    }

    fn presence(&self, request: Presence) -> ApiFuture<'_, PresenceReply> {
        Box::pin(self.presence(request))
    }

    fn presence_stats(&self, request: PresenceStats) -> ApiFuture<'_, PresenceStatsReply> {
        Box::pin(self.presence_stats(request))
    }

    fn history(&self, request: History) -> ApiFuture<'_, HistoryReply> {
        Box::pin(self.history(request))
    }

    fn channels(&self, request: Channels) -> ApiFuture<'_, ChannelsReply> {
        Box::pin(self.channels(request))
    }

    fn disconnect(&self, request: Disconnect) -> ApiFuture<'_, Empty> {
        Box::pin(std::future::ready(ChatApi::disconnect(self, request)))
    }

    fn unsubscribe(&self, request: Unsubscribe) -> ApiFuture<'_, Empty> {
        Box::pin(std::future::ready(ChatApi::unsubscribe(self, request)))
    }

    fn info(&self, _request: Info) -> ApiFuture<'_, InfoReply> {
        Box::pin(ChatApi::info(self))
    }
}

/// The public room a channel names: 102 if it is no room's name, 103 for
/// a direct conversation (private to its two users).
fn public_room(channel: &str) -> Result<String, ApiError> {
    match Room::parse(channel) {
        Ok(Room::Public(name)) => Ok(name),
        Ok(Room::Direct(..)) => Err(ApiError::with_message(
            ErrorCode::PermissionDenied,
            format!("{channel:?} is a direct conversation: the API reaches public rooms only"),
        )),
        Err(refusal) => Err(ApiError::with_message(ErrorCode::UnknownChannel, refusal.message)),
    }
}

/// A user's name as the chat keeps it.
fn user(raw: &str) -> Result<String, ApiError> {
    names::user_name(raw)
        .map_err(|refusal| ApiError::bad_request(format!("user: {}", refusal.message)))
}

/// A stored message as a publication: its data is the message as chat
/// clients see it.
fn publication(message: &StoredMessage) -> Publication {
    let value = wire::message_value(message);
    let data = RawValue::from_string(value.to_string()).expect("a JSON value is valid JSON");
    Publication { data, offset: message.id, tags: None }
}
