//! The cluster's fault tests' parts: the cluster started for real
//! ([`cluster`]), users that keep going through faults ([`member`]), load
//! made of them ([`Load`]), and the count-and-compare check ([`ledger`]).
#![allow(dead_code)]

pub mod cluster;
pub mod ledger;
pub mod member;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Barrier, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use member::{Links, Log, Plan};

/// Longest a whole load may take, faults included; only guards against a
/// hang.
const LOAD_BOUND: Duration = Duration::from_secs(180);

/// Users posting to rooms through the balancer.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Users, spread over the rooms in turn.
    pub members: usize,
    /// Rooms.
    pub rooms: usize,
    /// Messages each user posts.
    pub messages: usize,
    /// Messages a user may have waiting for their ack.
    pub window: usize,
    /// A user's pause between two sends.
    pub pause: Duration,
}

/// A load under way.
pub struct Running {
    members: Vec<JoinHandle<Log>>,
    acked: Arc<AtomicUsize>,
    published: mpsc::UnboundedReceiver<(String, u64)>,
    targets: watch::Sender<Option<BTreeMap<String, u64>>>,
}

impl Load {
    /// Messages in all, once every user has posted.
    pub fn total(&self) -> usize {
        self.members * self.messages
    }

    /// Connects every user through `addr`, names them and puts each in
    /// its room; returns once all are in and posting has begun.
    pub async fn start(&self, addr: SocketAddr) -> Running {
        let ready = Arc::new(Barrier::new(self.members + 1));
        let acked = Arc::new(AtomicUsize::new(0));
        let (published_tx, published) = mpsc::unbounded_channel();
        let (targets, targets_rx) = watch::channel(None);
        let links = Links {
            addr,
            ready: ready.clone(),
            acked: acked.clone(),
            published: published_tx,
            targets: targets_rx,
        };
        let members = (0..self.members)
            .map(|n| {
                let plan = Plan {
                    name: format!("user{n}"),
                    room: format!("room{}", n % self.rooms),
                    messages: self.messages,
                    window: self.window,
                    pause: self.pause,
                };
                tokio::spawn(member::run(plan, links.clone()))
            })
            .collect();
        let everyone_in = tokio::time::timeout(LOAD_BOUND, ready.wait()).await;
        everyone_in.expect("every user named and in its room");
        Running { members, acked, published, targets }
    }
}

impl Running {
    /// Messages acknowledged so far, in all.
    pub fn acked(&self) -> usize {
        self.acked.load(Ordering::Relaxed)
    }

    /// Returns once `count` messages were acknowledged.
    pub async fn until_acked(&self, count: usize) {
        let deadline = Instant::now() + LOAD_BOUND;
        while self.acked() < count {
            assert!(Instant::now() < deadline, "only {} of {count} acknowledged", self.acked());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until every user has every message acknowledged, tells them
    /// each room's last id, waits until each has read its room to it, and
    /// returns their logs.
    pub async fn finish(mut self) -> Vec<Log> {
        let deadline = Instant::now() + LOAD_BOUND;
        let mut last_ids: BTreeMap<String, u64> = BTreeMap::new();
        let mut reports = 0;
        while reports < self.members.len() {
            assert!(
                Instant::now() < deadline,
                "only {reports} users had every message acknowledged"
            );
            // A user ends only once told the last ids: one that ended
            // before failed, and fails the test now.
            if let Some(failed) = self.members.iter().position(JoinHandle::is_finished) {
                let failed = self.members.swap_remove(failed).await;
                std::panic::resume_unwind(failed.expect_err("a user ended early").into_panic());
            }
            let wait = Duration::from_millis(100);
            if let Ok(Some((room, count))) = tokio::time::timeout(wait, self.published.recv()).await
            {
                *last_ids.entry(room).or_default() += count;
                reports += 1;
            }
        }
        self.targets.send_replace(Some(last_ids));
        let mut logs = Vec::with_capacity(self.members.len());
        for member in self.members {
            let log = tokio::time::timeout_at(deadline, member).await;
            logs.push(log.expect("every user read its room to the end").expect("a user's task"));
        }
        logs
    }
}
