//! The API's replies, serialized in Centrifugo's shape: `{"result": …}`
//! or `{"error": {"code", "message"}}`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::command::StreamPosition;
use crate::error::ApiError;

/// One command's answer: its result or its error.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    /// Carried out.
    Result(T),
    /// Refused or failed.
    Error(ApiError),
}

impl<T> From<Result<T, ApiError>> for Reply<T> {
    fn from(result: Result<T, ApiError>) -> Self {
        match result {
            Ok(value) => Self::Result(value),
            Err(error) => Self::Error(error),
        }
    }
}

/// Where a publish landed in the channel's history (offset 0 and an
/// empty epoch when it was not kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublishReply {
    /// Its offset.
    pub offset: u64,
    /// The history's epoch.
    pub epoch: String,
}

/// Each channel's answer to a broadcast, in the order of the request.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BroadcastReply {
    /// One per channel.
    pub responses: Vec<Reply<PublishReply>>,
}

/// A connection, as presence shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ClientInfo {
    /// The connection's id.
    pub client: String,
    /// Its user's id.
    pub user: String,
    /// What the application says of the connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conn_info: Option<Box<RawValue>>,
    /// What the application says of it on this channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chan_info: Option<Box<RawValue>>,
}

/// The connections on a channel, by connection id.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PresenceReply {
    /// By connection id.
    pub presence: BTreeMap<String, ClientInfo>,
}

/// How many connections and users are on a channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PresenceStatsReply {
    /// Connections.
    pub num_clients: u64,
    /// Distinct users.
    pub num_users: u64,
}

/// A kept publication.
#[derive(Debug, Clone, Serialize)]
pub struct Publication {
    /// Its data, as published.
    pub data: Box<RawValue>,
    /// Its offset.
    pub offset: u64,
    /// Its tags, if it had any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// A page of history and the channel's current position.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistoryReply {
    /// The publications, oldest first (newest first if asked `reverse`).
    pub publications: Vec<Publication>,
    /// The offset of the channel's last publication.
    pub offset: u64,
    /// The history's epoch.
    pub epoch: String,
}

impl HistoryReply {
    /// The channel's current position.
    pub fn position(&self) -> StreamPosition {
        StreamPosition { offset: self.offset, epoch: self.epoch.clone() }
    }
}

/// A channel, as the channels list shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChannelInfo {
    /// Connections subscribed.
    pub num_clients: u64,
}

/// The active channels, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChannelsReply {
    /// By name.
    pub channels: BTreeMap<String, ChannelInfo>,
}

/// One node of the deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NodeInfo {
    /// Its unique id (for this run).
    pub uid: String,
    /// Its name (host and port, or as configured).
    pub name: String,
    /// The server's version.
    pub version: String,
    /// Open connections.
    pub num_clients: u64,
    /// Distinct users connected.
    pub num_users: u64,
    /// Active channels.
    pub num_channels: u64,
    /// Subscriptions.
    pub num_subs: u64,
    /// Seconds since it started.
    pub uptime: u64,
}

/// The nodes of the deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InfoReply {
    /// Every node alive.
    pub nodes: Vec<NodeInfo>,
}

/// The reply of commands that return nothing (`disconnect`,
/// `unsubscribe`): `{}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Empty {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn a_reply_is_result_or_error() {
        let ok: Reply<PublishReply> = Ok(PublishReply { offset: 3, epoch: "e".into() }).into();
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"result":{"offset":3,"epoch":"e"}}"#);
        let err: Reply<Empty> = Err(ApiError::new(ErrorCode::UnknownChannel)).into();
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"error":{"code":102,"message":"unknown channel"}}"#
        );
    }
}
