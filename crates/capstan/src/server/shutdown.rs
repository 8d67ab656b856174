//! Graceful shutdown: one trigger, a signal every connection watches, and a
//! count of live connections to drain.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::sync::{Notify, watch};

/// Fires the shutdown of a server. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
    waiters: Arc<Waiters>,
}

impl ShutdownHandle {
    pub(crate) fn new() -> Self {
        Self { sender: Arc::new(watch::Sender::new(false)), waiters: Arc::default() }
    }

    /// Starts a graceful shutdown: listeners stop, every connection is
    /// closed with 1001 and the server waits for them to drain.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
        self.waiters.triggered.store(true, Ordering::SeqCst);
        // After the flag: a connection that registers from now on sees it.
        for waker in self.waiters.lock().slots.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }

    /// Whether shutdown was started.
    pub fn is_shutting_down(&self) -> bool {
        *self.sender.borrow()
    }

    pub(crate) fn signal(&self) -> ShutdownSignal {
        ShutdownSignal { receiver: self.sender.subscribe(), waiters: self.waiters.clone() }
    }
}

/// The wakers of connections waiting for shutdown through
/// [`ShutdownSignal::poll_started`]: a slot each, instead of a future each.
#[derive(Debug, Default)]
struct Waiters {
    inner: Mutex<Slots>,
    /// Shutdown has started: set before the wakers are taken. Read on
    /// every poll of every connection, so a plain load, not the `watch`
    /// channel's lock (measured: two read-lock round trips per poll, most
    /// of this function's cost, 3.5 % of the server's CPU in the echo).
    triggered: AtomicBool,
}

#[derive(Debug, Default)]
struct Slots {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Waiters {
    /// Whether shutdown has started.
    fn is_triggered(&self) -> bool {
        self.triggered.load(Ordering::SeqCst)
    }

    fn lock(&self) -> MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection's place among the shutdown waiters; given back when
/// dropped.
#[derive(Debug)]
pub(crate) struct ShutdownSlot {
    waiters: Arc<Waiters>,
    index: usize,
}

impl Drop for ShutdownSlot {
    fn drop(&mut self) {
        let mut slots = self.waiters.lock();
        slots.slots[self.index] = None;
        slots.free.push(self.index);
    }
}

/// A waker registered to be woken at shutdown, and the flag to read once
/// woken ([`ShutdownSignal::register_for_life`]).
#[derive(Debug)]
pub(crate) struct ShutdownRegistration {
    slot: ShutdownSlot,
}

impl ShutdownRegistration {
    /// Whether shutdown has started.
    pub(crate) fn is_triggered(&self) -> bool {
        self.slot.waiters.is_triggered()
    }
}

/// What a connection watches to learn that the server is shutting down.
#[derive(Debug, Clone)]
pub struct ShutdownSignal {
    receiver: watch::Receiver<bool>,
    waiters: Arc<Waiters>,
}

impl ShutdownSignal {
    /// Ready once shutdown has started; otherwise registers `cx`'s waker
    /// in `slot` (taking a slot on first use). Unlike [`Self::wait`], the
    /// caller keeps no future: a waiting connection holds 16 bytes for it.
    pub(crate) fn poll_started(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<ShutdownSlot>,
    ) -> Poll<()> {
        if self.is_triggered() {
            return Poll::Ready(());
        }
        let registered = slot.as_ref().is_some_and(|slot| {
            self.waiters.lock().slots[slot.index].as_ref().is_some_and(|w| w.will_wake(cx.waker()))
        });
        if !registered {
            self.register(cx.waker().clone(), slot);
        }
        // Checked again once registered: a shutdown that started in between
        // has set the flag before taking the wakers.
        if self.is_triggered() { Poll::Ready(()) } else { Poll::Pending }
    }

    /// Has `waker` woken when shutdown starts, from now on (taking a slot
    /// on first use; once is enough for a waker that stays valid, as a
    /// connection's own does). The caller then checks
    /// [`Self::is_triggered`] after each time it registers to wait: no lock
    /// per poll.
    pub(crate) fn register(&self, waker: Waker, slot: &mut Option<ShutdownSlot>) {
        let mut slots = self.waiters.lock();
        let index = match slot {
            Some(slot) => slot.index,
            None => {
                let index = slots.free.pop().unwrap_or_else(|| {
                    slots.slots.push(None);
                    slots.slots.len() - 1
                });
                *slot = Some(ShutdownSlot { waiters: self.waiters.clone(), index });
                index
            }
        };
        slots.slots[index] = Some(waker);
    }

    /// Has `waker` woken when shutdown starts, for as long as the returned
    /// registration is kept; the signal itself is let go (a connection
    /// keeps 16 bytes for it, not the signal and a slot).
    pub(crate) fn register_for_life(self, waker: Waker) -> ShutdownRegistration {
        let mut slot = None;
        self.register(waker, &mut slot);
        ShutdownRegistration { slot: slot.expect("registered") }
    }

    /// Resolves once shutdown has started (never, if it does not).
    pub async fn wait(&mut self) {
        if self.receiver.wait_for(|started| *started).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Whether shutdown has started.
    pub fn is_triggered(&self) -> bool {
        self.waiters.is_triggered()
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
