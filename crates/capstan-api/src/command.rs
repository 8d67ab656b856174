//! The API's requests, as JSON bodies in Centrifugo's shape. Fields an
//! SDK sends that Capstan does not use (`b64data`, `session`, …) are
//! accepted and ignored where ignoring them changes nothing the caller
//! relies on, refused where it would (see docs/API.md).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ApiError;

/// Publish `data` to one channel.
#[derive(Debug, Clone, Deserialize)]
pub struct Publish {
    /// The channel.
    pub channel: String,
    /// Any JSON value, delivered as given.
    pub data: Box<RawValue>,
    /// Deliver without keeping it in the channel's history.
    #[serde(default)]
    pub skip_history: bool,
    /// Short strings delivered with the publication.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// A retried publish with the same key (per channel) is stored and
    /// delivered once; the retry gets the first one's reply.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Binary data in base64: not supported (a Capstan channel carries
    /// JSON); present, it is refused.
    #[serde(default)]
    pub b64data: Option<String>,
}

/// Publish the same `data` to several channels.
#[derive(Debug, Clone, Deserialize)]
pub struct Broadcast {
    /// The channels, each published to on its own.
    pub channels: Vec<String>,
    /// As in [`Publish`].
    pub data: Box<RawValue>,
    /// As in [`Publish`].
    #[serde(default)]
    pub skip_history: bool,
    /// As in [`Publish`].
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// As in [`Publish`], applied per channel.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// As in [`Publish`].
    #[serde(default)]
    pub b64data: Option<String>,
}

impl Broadcast {
    /// The publish this broadcast makes to `channel`.
    pub fn to(&self, channel: &str) -> Publish {
        Publish {
            channel: channel.to_string(),
            data: self.data.clone(),
            skip_history: self.skip_history,
            tags: self.tags.clone(),
            idempotency_key: self.idempotency_key.clone(),
            b64data: self.b64data.clone(),
        }
    }
}

/// Who is subscribed to a channel.
#[derive(Debug, Clone, Deserialize)]
pub struct Presence {
    /// The channel.
    pub channel: String,
}

/// How many are subscribed to a channel.
#[derive(Debug, Clone, Deserialize)]
pub struct PresenceStats {
    /// The channel.
    pub channel: String,
}

/// A position in a channel's history: an offset within an epoch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct StreamPosition {
    /// The offset of a publication (the first has offset 1).
    #[serde(default)]
    pub offset: u64,
    /// The history's epoch: it changes when the history is lost.
    #[serde(default)]
    pub epoch: String,
}

/// A page of a channel's history.
#[derive(Debug, Clone, Deserialize)]
pub struct History {
    /// The channel.
    pub channel: String,
    /// At most this many publications; 0 or absent: none, only the
    /// current position (as in Centrifugo).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only what followed this position (its epoch must be the current one).
    #[serde(default)]
    pub since: Option<StreamPosition>,
    /// Newest first.
    #[serde(default)]
    pub reverse: bool,
}

/// The active channels.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Channels {
    /// Only channels whose name matches this glob (`*` any run, `?` one
    /// character).
    #[serde(default)]
    pub pattern: Option<String>,
}

/// The close code and reason a disconnected connection gets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DisconnectReason {
    /// The WebSocket close code (4000–4999 for an application's own, or
    /// one of RFC 6455's that an endpoint may send).
    pub code: u16,
    /// A short reason (at most 123 bytes: a close frame's limit).
    #[serde(default)]
    pub reason: String,
}

/// Close a user's connections.
#[derive(Debug, Clone, Deserialize)]
pub struct Disconnect {
    /// The user.
    pub user: String,
    /// Only this connection of the user's.
    #[serde(default)]
    pub client: Option<String>,
    /// Connections spared.
    #[serde(default)]
    pub whitelist: Vec<String>,
    /// The close code and reason; absent: the application's default.
    #[serde(default)]
    pub disconnect: Option<DisconnectReason>,
}

/// Take a user out of a channel.
#[derive(Debug, Clone, Deserialize)]
pub struct Unsubscribe {
    /// The user.
    pub user: String,
    /// The channel.
    pub channel: String,
    /// Only this connection of the user's.
    #[serde(default)]
    pub client: Option<String>,
}

/// The nodes of the deployment.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Info {}

/// One command of a batch: `{"publish": {...}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// A publish.
    Publish(Publish),
    /// A broadcast.
    Broadcast(Broadcast),
    /// A presence list.
    Presence(Presence),
    /// Presence counts.
    PresenceStats(PresenceStats),
    /// A history page.
    History(History),
    /// The channels.
    Channels(Channels),
    /// A disconnect.
    Disconnect(Disconnect),
    /// An unsubscribe.
    Unsubscribe(Unsubscribe),
    /// The nodes.
    Info(Info),
}

impl Command {
    /// The method's name, as in the URL (`/api/publish`).
    pub fn method(&self) -> &'static str {
        match self {
            Self::Publish(_) => "publish",
            Self::Broadcast(_) => "broadcast",
            Self::Presence(_) => "presence",
            Self::PresenceStats(_) => "presence_stats",
            Self::History(_) => "history",
            Self::Channels(_) => "channels",
            Self::Disconnect(_) => "disconnect",
            Self::Unsubscribe(_) => "unsubscribe",
            Self::Info(_) => "info",
        }
    }
}

/// The checks every application would make the same way: a channel is
/// named, data is JSON (not base64), a close code is one a server may
/// send.
pub(crate) fn check_channel(channel: &str) -> Result<(), ApiError> {
    if channel.is_empty() {
        return Err(ApiError::bad_request("channel: required, and not empty"));
    }
    Ok(())
}

pub(crate) fn check_publish(publish: &Publish) -> Result<(), ApiError> {
    check_channel(&publish.channel)?;
    if publish.b64data.is_some() {
        return Err(ApiError::with_message(
            crate::ErrorCode::NotAvailable,
            "b64data: binary publications are not supported; send JSON in data",
        ));
    }
    if publish.idempotency_key.as_deref() == Some("") {
        return Err(ApiError::bad_request("idempotency_key: empty"));
    }
    Ok(())
}

pub(crate) fn check_disconnect(disconnect: &Disconnect) -> Result<(), ApiError> {
    if disconnect.user.is_empty() && disconnect.client.is_none() {
        return Err(ApiError::bad_request("user: required, and not empty"));
    }
    if let Some(reason) = &disconnect.disconnect {
        let code = reason.code;
        let allowed = (4000..=4999).contains(&code) || matches!(code, 1000 | 1001 | 1008 | 1011);
        if !allowed {
            return Err(ApiError::bad_request(format!(
                "disconnect.code: {code} is not one a server may send (4000-4999, 1000, 1001, 1008, 1011)"
            )));
        }
        if reason.reason.len() > 123 {
            return Err(ApiError::bad_request("disconnect.reason: at most 123 bytes"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_takes_centrifugo_fields() {
        let json = r#"{"channel":"news","data":{"text":"hi"},"skip_history":true,
                      "idempotency_key":"k1","tags":{"a":"b"}}"#;
        let publish: Publish = serde_json::from_str(json).unwrap();
        assert_eq!(publish.channel, "news");
        assert_eq!(publish.data.get(), r#"{"text":"hi"}"#);
        assert!(publish.skip_history);
        assert_eq!(publish.idempotency_key.as_deref(), Some("k1"));
        assert_eq!(publish.tags["a"], "b");
        check_publish(&publish).unwrap();
    }

    #[test]
    fn batch_commands_are_tagged_by_method() {
        let json = r#"[{"publish":{"channel":"a","data":1}},{"presence_stats":{"channel":"b"}}]"#;
        let commands: Vec<Command> = serde_json::from_str(json).unwrap();
        let methods: Vec<_> = commands.iter().map(Command::method).collect();
        assert_eq!(methods, ["publish", "presence_stats"]);
    }

    #[test]
    fn binary_data_and_bad_close_codes_are_refused() {
        let publish: Publish =
            serde_json::from_str(r#"{"channel":"a","data":null,"b64data":"AA=="}"#).unwrap();
        assert_eq!(check_publish(&publish).unwrap_err().code, crate::ErrorCode::NotAvailable);
        let empty: Publish = serde_json::from_str(r#"{"channel":"","data":1}"#).unwrap();
        assert_eq!(check_publish(&empty).unwrap_err().code, crate::ErrorCode::BadRequest);
        let disconnect: Disconnect =
            serde_json::from_str(r#"{"user":"u","disconnect":{"code":1005,"reason":""}}"#).unwrap();
        assert!(check_disconnect(&disconnect).is_err());
        let fine: Disconnect =
            serde_json::from_str(r#"{"user":"u","disconnect":{"code":4001,"reason":"bye"}}"#)
                .unwrap();
        check_disconnect(&fine).unwrap();
    }
}
