//! Who is on each topic, across nodes: a sorted set of members by expiry
//! (Redis's clock, in ms) and a hash of their information. A node
//! refreshes the members it added, every third of the time-to-live, in
//! one pipeline, until it removes them; when the node dies its members
//! expire within the time-to-live. Reads drop the expired members first.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capstan::pubsub::{BoxFuture, Presence, PresenceError, Present};
use redis::Value;
use tokio::task::JoinHandle;

use crate::connection::Redis;
use crate::keys::Keys;
use crate::scripts::{PRESENCE_ADD, PRESENCE_LIST, millis};
use crate::unavailable::Unavailable;

/// This node's members: (topic, member) → info.
type Own = Arc<Mutex<BTreeMap<(String, String), String>>>;

/// A [`Presence`] in Redis, entries refreshed by the node that added them.
pub struct RedisPresence {
    redis: Redis,
    keys: Keys,
    ttl: Duration,
    own: Own,
    refresher: JoinHandle<()>,
}

impl RedisPresence {
    /// Starts refreshing this node's members (a task on `runtime`).
    pub(crate) fn new(
        redis: Redis,
        keys: Keys,
        ttl: Duration,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let own = Own::default();
        let refresher = runtime.spawn(refresh(redis.clone(), keys.clone(), ttl, own.clone()));
        Self { redis, keys, ttl, own, refresher }
    }

    async fn add_member(&self, topic: &str, member: &str, info: &str) -> Result<(), Unavailable> {
        let mut call = PRESENCE_ADD.call();
        call.key(self.keys.presence(topic))
            .key(self.keys.presence_info(topic))
            .arg(member)
            .arg(info)
            .arg(millis(self.ttl));
        self.redis.script::<Value>(&call).await?;
        self.own().insert((topic.to_owned(), member.to_owned()), info.to_owned());
        Ok(())
    }

    async fn remove_member(&self, topic: &str, member: &str) -> Result<(), Unavailable> {
        self.own().remove(&(topic.to_owned(), member.to_owned()));
        let mut pipeline = redis::pipe();
        pipeline
            .atomic()
            .zrem(self.keys.presence(topic), member)
            .ignore()
            .hdel(self.keys.presence_info(topic), member)
            .ignore();
        self.redis.pipeline::<Value>(&pipeline).await?;
        Ok(())
    }

    async fn members(&self, topic: &str) -> Result<Vec<Present>, Unavailable> {
        let answer: Vec<String> = self.read(topic, "list").await?;
        let mut present: Vec<Present> = answer
            .chunks_exact(2)
            .map(|pair| Present { member: pair[0].clone(), info: pair[1].clone() })
            .collect();
        present.sort();
        Ok(present)
    }

    async fn read<T: redis::FromRedisValue>(
        &self,
        topic: &str,
        what: &str,
    ) -> Result<T, Unavailable> {
        let mut call = PRESENCE_LIST.call();
        call.key(self.keys.presence(topic)).key(self.keys.presence_info(topic)).arg(what);
        self.redis.script(&call).await
    }

    fn own(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), String>> {
        self.own.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Refreshes `own` every third of `ttl`: one pipeline, the script loaded
/// first (Redis may have restarted and lost it).
async fn refresh(redis: Redis, keys: Keys, ttl: Duration, own: Own) {
    let mut every = tokio::time::interval(ttl / 3);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let entries: Vec<_> = {
            let own = own.lock().unwrap_or_else(|p| p.into_inner());
            own.iter().map(|((t, m), i)| (t.clone(), m.clone(), i.clone())).collect()
        };
        if entries.is_empty() {
            continue;
        }
        let mut pipeline = redis::pipe();
        pipeline.cmd("SCRIPT").arg("LOAD").arg(&PRESENCE_ADD.source).ignore();
        for (topic, member, info) in &entries {
            let mut call = PRESENCE_ADD.call();
            call.key(keys.presence(topic))
                .key(keys.presence_info(topic))
                .arg(member)
                .arg(info)
                .arg(millis(ttl));
            pipeline.add_command(call.command(true)).ignore();
        }
        if let Err(error) = redis.pipeline::<Value>(&pipeline).await {
            tracing::warn!(%error, members = entries.len(), "presence refresh failed");
        }
    }
}

impl Drop for RedisPresence {
    fn drop(&mut self) {
        // Its members are no longer refreshed: they expire within the TTL.
        self.refresher.abort();
    }
}

impl Presence for RedisPresence {
    fn add(
        &self,
        topic: &str,
        member: &str,
        info: &str,
    ) -> BoxFuture<'_, Result<(), PresenceError>> {
        let (topic, member, info) = (topic.to_owned(), member.to_owned(), info.to_owned());
        Box::pin(async move { Ok(self.add_member(&topic, &member, &info).await?) })
    }

    fn remove(&self, topic: &str, member: &str) -> BoxFuture<'_, Result<(), PresenceError>> {
        let (topic, member) = (topic.to_owned(), member.to_owned());
        Box::pin(async move { Ok(self.remove_member(&topic, &member).await?) })
    }

    fn list(&self, topic: &str) -> BoxFuture<'_, Result<Vec<Present>, PresenceError>> {
        let topic = topic.to_owned();
        Box::pin(async move { Ok(self.members(&topic).await?) })
    }

    fn count(&self, topic: &str) -> BoxFuture<'_, Result<usize, PresenceError>> {
        let topic = topic.to_owned();
        Box::pin(async move { Ok(self.read::<usize>(&topic, "count").await?) })
    }
}

impl std::fmt::Debug for RedisPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisPresence")
            .field("keys", &self.keys)
            .field("ttl", &self.ttl)
            .field("own", &self.own().len())
            .finish_non_exhaustive()
    }
}
