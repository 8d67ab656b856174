//! The Redis 7 engine for Capstan's topics: the same topics on many
//! nodes, through one Redis. It gives the three seams of
//! [`capstan::pubsub`]: a [`Broker`](capstan::pubsub::Broker)
//! ([`RedisBroker`]: publications between nodes over pub/sub), a
//! [`History`](capstan::pubsub::History) ([`RedisHistory`]: each topic's
//! recent publications in a Redis Stream, with positions and idempotency
//! keys) and a [`Presence`](capstan::pubsub::Presence)
//! ([`RedisPresence`]: who is on each topic, entries that expire unless
//! their node refreshes them).
//!
//! ```no_run
//! use capstan::Topics;
//! use capstan_redis::{RedisConfig, RedisEngine};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = RedisEngine::connect(RedisConfig::new("redis://127.0.0.1:6379")).await?;
//! let topics = Topics::with_engine(redis.engine());
//! let ack = topics.publish_kept("room", "hello", &[], Default::default()).ack.await?;
//! println!("kept at {}", ack.position.expect("kept publications have one"));
//! # Ok(()) }
//! ```
//!
//! # The client
//!
//! [redis-rs](https://docs.rs/redis) (the `redis` crate): maintained, with
//! monthly releases. Its `ConnectionManager` reconnects by itself and,
//! over RESP3, hands pushes (messages, subscription confirmations,
//! disconnections) to a channel and subscribes again after a reconnect.
//! fred, the other async client, last released in February 2025 and its
//! repository looks abandoned.
//!
//! The engine opens two connections: one for commands (the scripts,
//! history reads, presence), one for pub/sub. Every command is bounded by
//! [`RedisConfig::command_timeout`]: while Redis is down the client keeps
//! a command waiting through its whole reconnect cycle, so the engine
//! answers "unavailable" at the timeout instead (`redis did not answer
//! within 1000 ms`, `redis unreachable: …`).
//!
//! # Keys
//!
//! Every key of a topic shares the Redis Cluster hash tag `{<topic>}`, so
//! each script touches one slot ([`Keys`]). Topic names are escaped, not
//! refused: `{`, `}` and `%` become `%7B`, `%7D` and `%25` (so no name
//! can close its hash tag early and share another topic's slot or keys),
//! and the empty name becomes `%`. The prefix may not hold braces
//! ([`ConfigError::PrefixHasBrace`]).
//!
//! ```text
//! <prefix>:{<topic>}:stream          the history: a Redis Stream, entry id <offset>-0
//! <prefix>:{<topic>}:meta            hash: epoch, offset
//! <prefix>:{<topic>}:idem:<key>      an idempotency key
//! <prefix>:{<topic>}:presence        sorted set: member → expiry (ms)
//! <prefix>:{<topic>}:presence:info   hash: member → info
//! <prefix>:{<topic>}:ch              the pub/sub channel
//! ```
//!
//! # The publish script
//!
//! One Lua script per kept publication, atomic: if its idempotency key is
//! known in the topic's current epoch, it answers the first one's
//! position, marked duplicate, and does nothing else. Otherwise it reads
//! the topic's epoch (or begins one, with an epoch the node made, deleting
//! any stream left from a lost epoch), adds the entry with id
//! `<offset>-0` to the stream trimmed to exactly `history_max_len`
//! entries, moves the offset on, sets the keys' expiries (the meta
//! outlives the stream, so offsets never repeat within an epoch), records
//! the idempotency key, and publishes the envelope (`c1 K <node>
//! <number> <op> <offset> <epoch>\n<payload>`) on the topic's channel.
//! [`RedisHistory`]'s `append` runs the same script without the publish.
//!
//! # History
//!
//! `since` reads the entries after a position (`XRANGE` from
//! `<offset+1>-0`), at most `history_max_len` of them (the most a stream
//! holds), and answers "not recovered" when the position is of another
//! epoch, ahead of the stream, or when the entry after it is gone: trimmed,
//! or older than `history_ttl` (each entry carries Redis's time: a topic
//! published to all the time never expires as a key). `latest` of a topic
//! never published to begins its epoch at offset 0, so a client that
//! starts there, on any node, later recovers everything that followed.
//!
//! # What an ack means
//!
//! A kept publication is acknowledged, with its position, only once the
//! script returned: it is in the stream and was published. Where it is
//! safe from a crash of Redis itself is Redis's persistence: with AOF and
//! `appendfsync always` it is on disk; with `everysec` (Redis's default
//! for AOF) up to a second of acknowledged publications can be lost; with
//! no persistence, a restart loses the history (clients are then told
//! "not recovered": the stream begins a new epoch). An error
//! (`Unavailable`) means it is not known whether the publication was
//! kept: a script that timed out may still run once Redis answers again
//! (publish with an idempotency key to retry safely). A plain
//! publication is acknowledged once `PUBLISH` returned.
//!
//! # Order
//!
//! A node's commands reach Redis in the order `publish` was called: each
//! command is queued on its connection before `publish` returns (its first
//! step is taken in the caller, and the connection's queue has room enough
//! never to make it wait), and scripts are sent whole (`EVAL`) after a cut
//! until Redis has them again, so that none is refused (`NOSCRIPT`) and
//! sent again after later ones. So a node's kept publications take
//! positions in call order, and its plain ones arrive in call order. Every
//! node delivers kept publications in position order (capstan's sequencer
//! reads any gap from the history).
//!
//! # Pub/sub and reconnects
//!
//! Sharded pub/sub (`SPUBLISH` / `SSUBSCRIBE`, Redis 7) by default: in a
//! Redis Cluster a publication goes to its topic's shard only, not to
//! every node of the cluster; on a single Redis it works the same.
//! [`RedisConfig::sharded`] `false` uses `PUBLISH` / `SUBSCRIBE`.
//!
//! Subscriptions are restored after a reconnect in three steps: redis-rs
//! subscribes the pub/sub connection again by itself (automatic
//! resubscription); a `PING` every second on that connection makes it
//! reconnect even after an outage longer than its retry budget (an idle
//! connection would otherwise never try again), and asks again for any
//! channel not confirmed; once every channel is confirmed after a cut,
//! the node's kept topics read what they missed from the history
//! ([`LocalFanout::reconnected`](capstan::pubsub::LocalFanout::reconnected)),
//! and capstan's sequencer delivers it once, in order. Plain
//! publications sent during a cut are lost, as plain publications are.
//! The `exclude` list of a kept publication is held on its node until the
//! publication comes back over pub/sub; one that is read from the history
//! instead (after a cut) goes to every subscriber.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod broker;
mod config;
mod connect_error;
mod connection;
mod dispatch;
mod engine;
mod envelope;
mod exclusions;
mod history;
mod id;
mod keys;
mod presence;
mod scripts;
mod subscriber;
mod unavailable;

pub use broker::RedisBroker;
pub use config::{ConfigError, RedisConfig};
pub use connect_error::ConnectError;
pub use engine::RedisEngine;
pub use envelope::EnvelopeError;
pub use history::RedisHistory;
pub use keys::Keys;
pub use presence::RedisPresence;
/// The Redis client the engine is built on, for [`RedisEngine::query`].
pub use redis;
pub use unavailable::Unavailable;
