//! Graceful shutdown: one trigger, a signal every connection watches, and a
//! count of live connections to drain.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, watch};

/// Fires the shutdown of a server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
}

impl ShutdownHandle {
    pub(crate) fn new() -> Self {
        Self { sender: Arc::new(watch::Sender::new(false)) }
    }

    /// Starts a graceful shutdown: listeners stop, every connection is
    /// closed with 1001 and the server waits for them to drain.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
    }

    /// Whether shutdown was started.
    pub fn is_shutting_down(&self) -> bool {
        *self.sender.borrow()
    }

    pub(crate) fn signal(&self) -> ShutdownSignal {
        ShutdownSignal { receiver: self.sender.subscribe() }
    }
}

/// What a connection watches to learn that the server is shutting down.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
}

impl ShutdownSignal {
    /// Resolves once shutdown has started (never, if it does not).
    pub async fn wait(&mut self) {
        if self.receiver.wait_for(|started| *started).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        *self.receiver.borrow()
    }
}

/// Counts live connections so shutdown can wait for them.
#[derive(Debug, Default)]
pub(crate) struct Tracker {
    live: AtomicUsize,
    drained: Notify,
}

impl Tracker {
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Counts a new connection until the guard drops.
    pub fn enter(self: &Arc<Self>) -> TrackerGuard {
        self.live.fetch_add(1, Ordering::AcqRel);
        TrackerGuard { tracker: self.clone() }
    }

    /// Waits until no connection is live.
    pub async fn drained(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            // Register before checking, so a drop in between is not missed.
            notified.as_mut().enable();
            if self.live() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// Keeps one connection counted.
#[derive(Debug)]
pub(crate) struct TrackerGuard {
    tracker: Arc<Tracker>,
}

impl Drop for TrackerGuard {
    fn drop(&mut self) {
        if self.tracker.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.tracker.drained.notify_waiters();
        }
    }
}
