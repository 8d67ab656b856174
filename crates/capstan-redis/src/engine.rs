//! A node's connection to Redis, and the three parts it gives: the
//! broker, the history and the presence.

use std::fmt;
use std::sync::Arc;

use capstan::pubsub::Engine;
use tokio::runtime::Handle;
use tokio::sync::mpsc::unbounded_channel;

use crate::broker::{Parts, RedisBroker};
use crate::config::RedisConfig;
use crate::connect_error::ConnectError;
use crate::connection::{self, Pushes, Redis};
use crate::history::RedisHistory;
use crate::id::random_hex;
use crate::keys::Keys;
use crate::presence::RedisPresence;
use crate::subscriber::{Delivering, Requests, Subscriber};
use crate::unavailable::Unavailable;

/// A node's Redis engine: two connections (commands; pub/sub) and the
/// parts built on them. Cheap to keep; its parts are shared.
#[derive(Clone)]
pub struct RedisEngine {
    broker: Arc<RedisBroker>,
    history: Arc<RedisHistory>,
    presence: Arc<RedisPresence>,
    commands: Redis,
    keys: Keys,
    config: RedisConfig,
}

impl RedisEngine {
    /// Checks `config`, connects to Redis (both connections, each within
    /// the command timeout) and starts the pub/sub and presence tasks on
    /// the current tokio runtime.
    pub async fn connect(config: RedisConfig) -> Result<RedisEngine, ConnectError> {
        config.validate().map_err(ConnectError::Config)?;
        let runtime = Handle::current();
        let (cuts, mut cut) = unbounded_channel();
        let commands = connection::open(&config, Pushes::To(cuts)).await?;
        let redis = Redis::new(commands, config.command_timeout);
        if config.sharded {
            check_sharded_pubsub(&redis).await?;
        }
        redis.load_scripts().await?;
        // After a cut Redis may have restarted without the scripts: they
        // are sent whole until they are known again (see `scripts`).
        let forget_scripts = redis.forget_scripts();
        runtime.spawn(async move {
            while let Some(push) = cut.recv().await {
                if push.kind == redis::PushKind::Disconnection {
                    forget_scripts();
                }
            }
        });
        let (pushes, pushed) = unbounded_channel();
        let subscriber = connection::open(&config, Pushes::AndResubscribe(pushes)).await?;
        let subscriber = Redis::new(subscriber, config.command_timeout);
        let keys = Keys::new(config.prefix.clone());
        let history = RedisHistory::new(redis.clone(), &config);
        let delivering = Arc::new(Delivering { node: random_hex(), ..Delivering::default() });
        let (requests, requested) = unbounded_channel();
        let task = Subscriber::new(
            subscriber,
            keys.clone(),
            config.sharded,
            config.command_timeout,
            delivering.clone(),
            runtime.clone(),
        );
        runtime.spawn(task.run(requested, pushed));
        let broker = RedisBroker::new(Parts {
            redis: redis.clone(),
            history: history.clone(),
            keys: keys.clone(),
            sharded: config.sharded,
            timeout: config.command_timeout,
            delivering,
            requests: Requests(requests),
            runtime: runtime.clone(),
        });
        let presence =
            RedisPresence::new(redis.clone(), keys.clone(), config.presence_ttl, &runtime);
        Ok(RedisEngine {
            broker: Arc::new(broker),
            history: Arc::new(history),
            presence: Arc::new(presence),
            commands: redis,
            keys,
            config,
        })
    }

    /// The broker: publications between nodes.
    pub fn broker(&self) -> Arc<RedisBroker> {
        self.broker.clone()
    }

    /// The history: kept publications, recovered from any node.
    pub fn history(&self) -> Arc<RedisHistory> {
        self.history.clone()
    }

    /// The presence: who is on each topic, across nodes.
    pub fn presence(&self) -> Arc<RedisPresence> {
        self.presence.clone()
    }

    /// What a [`Topics`](capstan::Topics) registry runs on: this broker,
    /// recovering from this history.
    pub fn engine(&self) -> Engine {
        Engine::new(self.broker()).with_history(self.history())
    }

    /// Runs a command of the application's own (its keys beside the
    /// engine's) on the engine's command connection, bounded by the
    /// command timeout like the engine's own.
    pub async fn query<T: redis::FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
    ) -> Result<T, Unavailable> {
        self.commands.query(cmd).await
    }

    /// The names of the topics' keys and channels.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &RedisConfig {
        &self.config
    }
}

/// Sharded pub/sub came with Redis 7.0.
async fn check_sharded_pubsub(redis: &Redis) -> Result<(), ConnectError> {
    let info: String = redis.query(redis::cmd("INFO").arg("server")).await?;
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let major: u32 = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 7 {
        return Err(ConnectError::ShardedPubSubNeedsRedis7 { version });
    }
    Ok(())
}

impl fmt::Debug for RedisEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisEngine")
            .field("node", &self.broker.node_id())
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}
