//! The engine's two connections to Redis, each a redis-rs
//! `ConnectionManager` over RESP3 that reconnects by itself: one for
//! commands (the scripts, reads, presence), one for pub/sub. Every command
//! is bounded by the command timeout: while Redis is down, the manager
//! retries its connection for a while and a command waits for that whole
//! cycle; bounded, it fails within the timeout instead.

use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    Client, FromRedisValue, IntoConnectionInfo, Pipeline, ProtocolVersion, PushInfo,
    ScriptInvocation,
};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::RedisConfig;
use crate::engine::ConnectError;
use crate::unavailable::Unavailable;

/// The first wait before a reconnect attempt; it doubles up to
/// [`MAX_RECONNECT_DELAY`].
const MIN_RECONNECT_DELAY: Duration = Duration::from_millis(50);

/// The longest wait between reconnect attempts: a Redis that is back is
/// found within it.
const MAX_RECONNECT_DELAY: Duration = Duration::from_millis(500);

/// Reconnect attempts in one cycle (about 4 s). When a cycle fails, the
/// next command starts another: the pub/sub connection's keepalive sends
/// one every second.
const RECONNECT_ATTEMPTS: usize = 10;

/// Opens a connection manager to `config.url` over RESP3; with `pushes`,
/// its pushes (messages, subscription confirmations, disconnections) go
/// there and its subscriptions are restored after each reconnect.
pub(crate) async fn open(
    config: &RedisConfig,
    pushes: Option<UnboundedSender<PushInfo>>,
) -> Result<ConnectionManager, ConnectError> {
    let info = config
        .url
        .as_str()
        .into_connection_info()
        .map_err(|e| ConnectError::InvalidUrl(format!("{}: {e}", config.url)))?;
    let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
    let client = Client::open(info.set_redis_settings(settings))
        .map_err(|e| ConnectError::InvalidUrl(format!("{}: {e}", config.url)))?;
    let mut manager_config = ConnectionManagerConfig::new()
        .set_response_timeout(Some(config.command_timeout))
        .set_connection_timeout(Some(config.command_timeout))
        .set_min_delay(MIN_RECONNECT_DELAY)
        .set_max_delay(MAX_RECONNECT_DELAY)
        .set_number_of_retries(RECONNECT_ATTEMPTS);
    if let Some(pushes) = pushes {
        manager_config = manager_config.set_push_sender(pushes).set_automatic_resubscription();
    }
    let opening = ConnectionManager::new_with_config(client, manager_config);
    match tokio::time::timeout(config.command_timeout, opening).await {
        Ok(Ok(manager)) => Ok(manager),
        Ok(Err(e)) => {
            Err(ConnectError::Unreachable(Unavailable::from_redis(&e, config.command_timeout)))
        }
        Err(_) => {
            Err(ConnectError::Unreachable(Unavailable::TimedOut { after: config.command_timeout }))
        }
    }
}

/// A connection whose every command is bounded by the command timeout.
#[derive(Clone)]
pub(crate) struct Redis {
    manager: ConnectionManager,
    timeout: Duration,
}

impl Redis {
    pub(crate) fn new(manager: ConnectionManager, timeout: Duration) -> Self {
        Self { manager, timeout }
    }

    /// Runs `cmd`.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, Unavailable> {
        let mut manager = self.manager.clone();
        self.bounded(async move { cmd.query_async(&mut manager).await }).await
    }

    /// Runs a script by its hash (loading it first if Redis lost it).
    pub(crate) async fn script<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, Unavailable> {
        let mut manager = self.manager.clone();
        self.bounded(async move { invocation.invoke_async(&mut manager).await }).await
    }

    /// Runs `pipeline`, answers in order.
    pub(crate) async fn pipeline<T: FromRedisValue>(
        &self,
        pipeline: &Pipeline,
    ) -> Result<T, Unavailable> {
        let mut manager = self.manager.clone();
        self.bounded(async move { pipeline.query_async(&mut manager).await }).await
    }

    async fn bounded<T>(
        &self,
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Unavailable> {
        match tokio::time::timeout(self.timeout, command).await {
            Ok(answer) => answer.map_err(|e| Unavailable::from_redis(&e, self.timeout)),
            Err(_) => Err(Unavailable::TimedOut { after: self.timeout }),
        }
    }
}
