//! Each topic's recent publications in a Redis Stream, with their
//! positions: the offset is the entry's id (`<offset>-0`), the epoch is in
//! the topic's meta hash (see [`Keys`]). Any node reads what any node
//! appended.
//!
//! A topic never published to gets its epoch when first asked for its
//! latest position (offset 0), not at its first publication: a client
//! that starts from that answer, on any node, later recovers everything
//! that follows it instead of being told "another epoch".

use std::time::Duration;

use bytes::Bytes;
use capstan::Message;
use capstan::pubsub::{
    Appended, BoxFuture, History, HistoryError, PageRange, Position, Recovery, Stored,
};
use redis::Value;

use crate::config::RedisConfig;
use crate::connection::Redis;
use crate::envelope;
use crate::id::random_hex;
use crate::keys::Keys;
use crate::scripts::{LATEST, PAGE, PUBLISH, SINCE, millis};
use crate::unavailable::Unavailable;

/// A [`History`] in Redis Streams.
#[derive(Clone)]
pub struct RedisHistory {
    redis: Redis,
    keys: Keys,
    max_len: usize,
    ttl: Duration,
    meta_ttl: Duration,
}

/// Where the publish script publishes what it appended.
pub(crate) struct Announce<'a> {
    /// `PUBLISH` or `SPUBLISH`.
    pub command: &'static str,
    /// The topic's channel.
    pub channel: &'a str,
    /// The envelope's header (the script completes it).
    pub header: &'a str,
}

impl RedisHistory {
    pub(crate) fn new(redis: Redis, config: &RedisConfig) -> Self {
        Self {
            redis,
            keys: Keys::new(config.prefix.clone()),
            max_len: config.history_max_len,
            ttl: config.history_ttl,
            meta_ttl: config.meta_ttl,
        }
    }

    /// Appends `message` to `topic`'s stream (nothing if `idempotency_key`
    /// was kept already in this epoch) and, with `announce`, publishes it
    /// on the topic's channel, in one script.
    pub(crate) async fn keep(
        &self,
        topic: &str,
        message: &Message,
        idempotency_key: Option<&str>,
        announce: Option<Announce<'_>>,
    ) -> Result<Appended, Unavailable> {
        let mut call = PUBLISH.call();
        call.key(self.keys.stream(topic)).key(self.keys.meta(topic));
        if let Some(key) = idempotency_key {
            call.key(self.keys.idempotency(topic, key));
        }
        call.arg(random_hex())
            .arg(millis(self.meta_ttl))
            .arg(self.max_len)
            .arg(millis(self.ttl))
            .arg(envelope::opcode(message))
            .arg(message.as_bytes());
        match announce {
            Some(Announce { command, channel, header }) => {
                call.arg(command).arg(channel).arg(header)
            }
            None => call.arg("").arg("").arg(""),
        };
        let (offset, epoch, duplicate): (u64, String, u8) = self.redis.script(&call).await?;
        Ok(Appended { position: Position::new(offset, epoch), duplicate: duplicate == 1 })
    }

    async fn recover(&self, topic: &str, since: Position) -> Result<Recovery, Unavailable> {
        let mut call = SINCE.call();
        call.key(self.keys.stream(topic))
            .key(self.keys.meta(topic))
            .arg(random_hex())
            .arg(millis(self.meta_ttl))
            .arg(since.offset)
            .arg(&since.epoch)
            .arg(millis(self.ttl))
            .arg(self.max_len);
        let answer: Vec<Value> = self.redis.script(&call).await?;
        read_recovery(answer)
    }

    async fn read_page(
        &self,
        topic: &str,
        range: PageRange,
        limit: usize,
    ) -> Result<Vec<Stored>, Unavailable> {
        let (how, offset) = match range {
            PageRange::Latest => ("latest", 0),
            PageRange::Before(offset) => ("before", offset),
            PageRange::After(offset) => ("after", offset),
        };
        let mut call = PAGE.call();
        call.key(self.keys.stream(topic))
            .key(self.keys.meta(topic))
            .arg(random_hex())
            .arg(millis(self.meta_ttl))
            .arg(how)
            .arg(offset)
            .arg(limit.max(1))
            .arg(millis(self.ttl));
        let answer: Vec<Value> = self.redis.script(&call).await?;
        let mut fields = answer.into_iter();
        let epoch = fields.next().and_then(bytes).and_then(|e| String::from_utf8(e.to_vec()).ok());
        let epoch = epoch.ok_or_else(|| Unavailable::UnexpectedReply("page: no epoch".into()))?;
        read_entries(fields, &epoch)
    }

    async fn latest_position(&self, topic: &str) -> Result<Position, Unavailable> {
        let mut call = LATEST.call();
        call.key(self.keys.stream(topic))
            .key(self.keys.meta(topic))
            .arg(random_hex())
            .arg(millis(self.meta_ttl));
        let (offset, epoch): (u64, String) = self.redis.script(&call).await?;
        Ok(Position::new(offset, epoch))
    }
}

/// The since script's answer, read.
fn read_recovery(answer: Vec<Value>) -> Result<Recovery, Unavailable> {
    let unexpected = |what: &str| Unavailable::UnexpectedReply(format!("history read: {what}"));
    let mut fields = answer.into_iter();
    let (Some(epoch), Some(latest), Some(recovered)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err(unexpected("fewer than 3 fields"));
    };
    let epoch = String::from_utf8(bytes(epoch).ok_or_else(|| unexpected("epoch"))?.to_vec())
        .map_err(|_| unexpected("epoch is not text"))?;
    let latest = int(&latest).ok_or_else(|| unexpected("latest offset"))?;
    if int(&recovered) != Some(1) {
        return Ok(Recovery::NotRecovered { latest: Position::new(latest, epoch) });
    }
    Ok(Recovery::Recovered(read_entries(fields, &epoch)?))
}

/// Entries as the scripts answer them: offset, opcode, payload, …
fn read_entries(
    mut fields: impl Iterator<Item = Value>,
    epoch: &str,
) -> Result<Vec<Stored>, Unavailable> {
    let unexpected = |what: &str| Unavailable::UnexpectedReply(format!("history read: {what}"));
    let mut stored = Vec::new();
    while let Some(offset) = fields.next() {
        let (Some(offset), Some(op), Some(payload)) =
            (int(&offset), fields.next().and_then(bytes), fields.next().and_then(bytes))
        else {
            return Err(unexpected("an entry is not offset, opcode, payload"));
        };
        let message = envelope::message(&op, payload)
            .map_err(|e| unexpected(&format!("entry {offset}: {e}")))?;
        stored.push(Stored { position: Position::new(offset, epoch), message });
    }
    Ok(stored)
}

fn int(value: &Value) -> Option<u64> {
    match value {
        Value::Int(n) => u64::try_from(*n).ok(),
        Value::BulkString(text) => std::str::from_utf8(text).ok()?.parse().ok(),
        _ => None,
    }
}

fn bytes(value: Value) -> Option<Bytes> {
    match value {
        Value::BulkString(bytes) => Some(Bytes::from(bytes)),
        Value::SimpleString(text) => Some(Bytes::from(text)),
        _ => None,
    }
}

impl History for RedisHistory {
    fn append(
        &self,
        topic: &str,
        message: Message,
        idempotency_key: Option<&str>,
    ) -> BoxFuture<'_, Result<Appended, HistoryError>> {
        let (topic, key) = (topic.to_owned(), idempotency_key.map(str::to_owned));
        Box::pin(async move { Ok(self.keep(&topic, &message, key.as_deref(), None).await?) })
    }

    fn since(&self, topic: &str, since: Position) -> BoxFuture<'_, Result<Recovery, HistoryError>> {
        let topic = topic.to_owned();
        Box::pin(async move { Ok(self.recover(&topic, since).await?) })
    }

    fn latest(&self, topic: &str) -> BoxFuture<'_, Result<Position, HistoryError>> {
        let topic = topic.to_owned();
        Box::pin(async move { Ok(self.latest_position(&topic).await?) })
    }

    fn page(
        &self,
        topic: &str,
        range: PageRange,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Stored>, HistoryError>> {
        let topic = topic.to_owned();
        Box::pin(async move { Ok(self.read_page(&topic, range, limit).await?) })
    }
}

impl std::fmt::Debug for RedisHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisHistory")
            .field("keys", &self.keys)
            .field("max_len", &self.max_len)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}
