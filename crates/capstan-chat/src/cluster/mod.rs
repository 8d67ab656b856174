//! The chat across nodes (`--redis URL`): every node a `capstan-chat`
//! process on the same Redis, behind a load balancer, as one chat.
//!
//! - Room and direct messages are kept publications on the room's topic
//!   (capstan-redis: one Lua script appends to the room's stream and
//!   publishes): a message's id is the stream's offset, one gap-free
//!   sequence per room across the cluster; `client_id` is the idempotency
//!   key; the sender's ack waits for Redis.
//! - Every node delivers each message once, in id order, to its members,
//!   framed by [`ChatFraming`] (ids in, blocked authors skipped); joins and
//!   resumes get exactly what was missed, cut at one point against the live
//!   stream, from whichever node they reach.
//! - History pages are read from the stream; block lists live in Redis.
//! - Names are unique across nodes ([`ClusterNames`]: leases in Redis); a
//!   direct message reaches its users' connections on every node through
//!   their inboxes; the rooms' member lists are every node's members
//!   ([`ClusterMembers`], on Redis presence).
//!
//! See docs/CLUSTER.md for what is shared across nodes and what is not yet.

mod framing;
mod inbox;
mod members;
mod names;
mod payload;
mod room_list;
mod worker;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use capstan::Topics;
use capstan_redis::{RedisConfig, RedisEngine};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

pub use framing::ChatFraming;
pub use members::ClusterMembers;
pub use names::{ClusterNames, LEASE, RemoteHolder};
pub use room_list::ClusterRooms;

use crate::blocks::Blocks;
use crate::store::{Job, Shared, StoreBusy, StoreConfig};

/// Jobs waiting at most; past it, requests are refused (`storage_failed`).
const QUEUE: usize = 65_536;

/// A node's connection to the cluster's Redis.
#[derive(Clone)]
pub struct Cluster {
    engine: RedisEngine,
}

impl Cluster {
    /// Connects to the Redis at `url`: messages kept per room at most
    /// `store.retain_messages` (0: the engine's default) and for the rooms'
    /// idle time.
    pub async fn connect(url: &str, store: &StoreConfig) -> io::Result<Self> {
        let mut config = RedisConfig::new(url);
        config.prefix = "capstan-chat".into();
        if store.retain_messages > 0 {
            config.history_max_len = store.retain_messages as usize;
        }
        let days = store.room_idle_days.max(store.retain_days).max(1);
        config.history_ttl = Duration::from_secs(days * 86_400);
        config.meta_ttl = config.history_ttl.max(config.meta_ttl);
        let engine = RedisEngine::connect(config)
            .await
            .map_err(|e| io::Error::other(format!("redis {url}: {e}")))?;
        Ok(Self { engine })
    }

    /// The node's topics on the cluster's broker, framed for the chat.
    pub fn topics(&self, blocks: Arc<Blocks>) -> Topics {
        let framing = Arc::new(ChatFraming { blocks });
        Topics::with_engine(self.engine.engine().with_framing(framing))
    }

    /// The names this node holds across the cluster, on `topics` (from
    /// [`Cluster::topics`]).
    pub fn names(&self, topics: Topics) -> ClusterNames {
        ClusterNames::new(self.engine.clone(), topics, self.engine.broker().node_id().to_owned())
    }

    /// The public rooms of every node.
    pub fn rooms(&self) -> ClusterRooms {
        ClusterRooms::new(self.engine.clone())
    }

    /// The cluster's presence (entries that expire unless their node
    /// refreshes them).
    pub fn presence(&self) -> Arc<dyn capstan::pubsub::Presence> {
        self.engine.presence()
    }

    /// This node's id in the cluster.
    pub fn node_id(&self) -> String {
        self.engine.broker().node_id().to_owned()
    }

    /// This node's side of the rooms' member lists across the cluster.
    pub fn members(&self) -> ClusterMembers {
        ClusterMembers::new(self.engine.presence(), self.engine.broker().node_id().to_owned())
    }

    /// Starts the job runner over `shared` (its topics from [`Cluster::topics`]).
    pub fn start(
        &self,
        config: StoreConfig,
        shared: Shared,
        members: ClusterMembers,
    ) -> ClusterStore {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let worker = worker::Worker {
            engine: self.engine.clone(),
            topics: shared.topics.clone(),
            config,
            inboxes: inbox::Inboxes::new(shared.topics.clone(), shared.rooms.clone()),
            room_list: room_list::ClusterRooms::new(self.engine.clone()),
            members,
            shared,
        };
        let task = tokio::spawn(worker.run(queue));
        ClusterStore { jobs, task: Arc::new(Mutex::new(Some(task))) }
    }
}

/// The handle to a node's cluster job runner. Cheap to clone.
#[derive(Clone)]
pub struct ClusterStore {
    jobs: mpsc::Sender<Job>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl ClusterStore {
    /// Queues a job without waiting.
    pub fn submit(&self, job: Job) -> Result<(), StoreBusy> {
        self.jobs.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => StoreBusy::Full,
            mpsc::error::TrySendError::Closed(_) => StoreBusy::Stopped,
        })
    }

    /// Lets the runner finish what is queued, and waits for it.
    pub async fn stop(&self) {
        let _ = self.jobs.send(Job::Stop).await;
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}
