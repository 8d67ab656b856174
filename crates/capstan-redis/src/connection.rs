//! The engine's two connections to Redis, each a redis-rs
//! `ConnectionManager` over RESP3 that reconnects by itself: one for
//! commands (the scripts, reads, presence), one for pub/sub. Every command
//! is bounded by the command timeout: while Redis is down, the manager
//! retries its connection for a while and a command waits for that whole
//! cycle; bounded, it fails within the timeout instead.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    Client, ErrorKind, FromRedisValue, IntoConnectionInfo, Pipeline, ProtocolVersion, PushInfo,
    RedisResult, ServerErrorKind,
};
use tokio::sync::mpsc::UnboundedSender;

use crate::config::RedisConfig;
use crate::connect_error::ConnectError;
use crate::scripts::{self, Call, SCRIPTS};
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

/// Room for commands queued on a connection before its writer takes them
/// (redis-rs's default is 50). A command that finds no room waits, and
/// waiting commands may go out in another order than they were called
/// (they resume in their own tasks): with this much room a command never
/// waits, and a node's commands reach Redis in call order (see
/// `dispatch`). Slots are allocated as they fill, 32 at a time.
const QUEUE_ROOM: usize = 1 << 16;

/// What a connection does with its pushes.
pub(crate) enum Pushes {
    /// Sends them (disconnections) to a channel.
    To(UnboundedSender<PushInfo>),
    /// Sends them (messages, subscription confirmations, disconnections)
    /// to a channel, and subscribes again after each reconnect.
    AndResubscribe(UnboundedSender<PushInfo>),
}

/// Opens a connection manager to `config.url` over RESP3.
pub(crate) async fn open(
    config: &RedisConfig,
    pushes: Pushes,
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
        .set_number_of_retries(RECONNECT_ATTEMPTS)
        .set_pipeline_buffer_size(QUEUE_ROOM);
    manager_config = match pushes {
        Pushes::To(pushes) => manager_config.set_push_sender(pushes),
        Pushes::AndResubscribe(pushes) => {
            manager_config.set_push_sender(pushes).set_automatic_resubscription()
        }
    };
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
/// It knows which scripts Redis has: those it loaded since it last
/// connected, sent by hash; the others, whole.
#[derive(Clone)]
pub(crate) struct Redis {
    manager: ConnectionManager,
    timeout: Duration,
    loaded: Arc<[AtomicBool; SCRIPTS]>,
}

impl Redis {
    pub(crate) fn new(manager: ConnectionManager, timeout: Duration) -> Self {
        Self { manager, timeout, loaded: Arc::default() }
    }

    /// Loads every script (`SCRIPT LOAD`), so that they go by hash.
    pub(crate) async fn load_scripts(&self) -> Result<(), Unavailable> {
        for lua in scripts::all() {
            let hash: String =
                self.query(redis::cmd("SCRIPT").arg("LOAD").arg(&lua.source)).await?;
            if hash != lua.hash {
                return Err(Unavailable::UnexpectedReply(format!("SCRIPT LOAD gave {hash}")));
            }
            self.loaded[lua.id].store(true, Ordering::Release);
        }
        Ok(())
    }

    /// What to call when the connection is cut (Redis may have restarted
    /// without the scripts): it does not hold the connection.
    pub(crate) fn forget_scripts(&self) -> impl Fn() + Send + 'static {
        let loaded = self.loaded.clone();
        move || {
            for one in loaded.iter() {
                one.store(false, Ordering::Release);
            }
        }
    }

    /// Calls a script: by hash if Redis has it, else whole (which caches
    /// it). Either is sent in this call's first step (see `dispatch`).
    pub(crate) async fn script<T: FromRedisValue>(
        &self,
        call: &Call<'_>,
    ) -> Result<T, Unavailable> {
        let loaded = &self.loaded[call.lua.id];
        if loaded.load(Ordering::Acquire) {
            match self.bounded_raw(self.send(call.command(true))).await? {
                Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                    loaded.store(false, Ordering::Release);
                }
                answer => return answer.map_err(|e| Unavailable::from_redis(&e, self.timeout)),
            }
        }
        let answer = self.bounded(self.send(call.command(false))).await;
        if answer.is_ok() {
            loaded.store(true, Ordering::Release);
        }
        answer
    }

    fn send<T: FromRedisValue>(
        &self,
        cmd: redis::Cmd,
    ) -> impl Future<Output = RedisResult<T>> + use<T> {
        let mut manager = self.manager.clone();
        async move { cmd.query_async(&mut manager).await }
    }

    /// Runs `cmd`.
    pub(crate) async fn query<T: FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, Unavailable> {
        let mut manager = self.manager.clone();
        self.bounded(async move { cmd.query_async(&mut manager).await }).await
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
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<T, Unavailable> {
        self.bounded_raw(command).await?.map_err(|e| Unavailable::from_redis(&e, self.timeout))
    }

    /// `command`'s answer as redis-rs gives it, or a timeout.
    async fn bounded_raw<T>(
        &self,
        command: impl Future<Output = RedisResult<T>>,
    ) -> Result<RedisResult<T>, Unavailable> {
        tokio::time::timeout(self.timeout, command)
            .await
            .map_err(|_| Unavailable::TimedOut { after: self.timeout })
    }
}
