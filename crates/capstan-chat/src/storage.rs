//! Where the chat's messages live: SQLite behind one thread on a single
//! node (the default), or the cluster's Redis across nodes (`--redis`).
//! Both take the same jobs, in queue order.

use std::io;

use crate::cluster::ClusterStore;
use crate::store::{Job, Store, StoreBusy};

/// The chat's store, on one node or across nodes. Cheap to clone.
#[derive(Clone)]
pub enum Storage {
    /// SQLite on this node.
    Local(Store),
    /// Redis, shared by every node.
    Cluster(ClusterStore),
}

impl Storage {
    /// Queues a job without waiting.
    pub fn submit(&self, job: Job) -> Result<(), StoreBusy> {
        match self {
            Self::Local(store) => store.submit(job),
            Self::Cluster(store) => store.submit(job),
        }
    }

    /// Whether the store answers (through its queue): the `/readyz` probe.
    pub async fn ping(&self) -> Result<(), String> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.submit(Job::Ping(reply)).map_err(|busy| format!("the store's queue: {busy:?}"))?;
        answer.await.map_err(|_| "the store stopped".to_owned())?
    }

    /// Lets the store finish what is queued, and waits for it.
    pub async fn stop(self) -> io::Result<()> {
        match self {
            Self::Local(store) => {
                tokio::task::spawn_blocking(move || store.stop()).await.map_err(io::Error::other)
            }
            Self::Cluster(store) => {
                store.stop().await;
                Ok(())
            }
        }
    }
}
