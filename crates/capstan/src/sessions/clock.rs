//! One timer for all the sessions of a route: each session is in a queue
//! by its next deadline (an ack owed, a heartbeat due, the end of its grace
//! period), and one task per route sleeps until the earliest. A session
//! waiting costs a queue entry, not a task and a timer of its own.
//!
//! A session is queued when its deadline comes earlier than the one it is
//! queued for (an ack became owed, a transport left); a later deadline
//! (a heartbeat pushed back by traffic) is found when the earlier one
//! fires, and queued then. Entries a session no longer waits for are
//! dropped as they come up.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

/// Something the clock wakes at its deadlines.
pub(crate) trait Timed: Send + Sync + 'static {
    /// The deadline `at` came at `now`: does what is due, and says when
    /// to come again (`None`: never, the session is finished or waits for
    /// nothing).
    fn fire(self: Arc<Self>, at: Instant, now: Instant) -> Option<Instant>;
}

/// One deadline queued (a session waiting has one or two: kept small).
struct Due<T> {
    at: Instant,
    whom: Weak<T>,
}

/// By deadline only: ties fire in any order.
impl<T> PartialEq for Due<T> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl<T> Eq for Due<T> {}

impl<T> PartialOrd for Due<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Due<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

struct Queue<T> {
    heap: BinaryHeap<Reverse<Due<T>>>,
    running: bool,
}

/// A route's clock, for the things of type `T` it wakes.
pub(crate) struct Clock<T> {
    queue: Mutex<Queue<T>>,
    /// Wakes the clock's task: an earlier deadline was queued.
    earlier: Notify,
}

impl<T> Default for Clock<T> {
    fn default() -> Self {
        let queue = Queue { heap: BinaryHeap::new(), running: false };
        Self { queue: Mutex::new(queue), earlier: Notify::new() }
    }
}

impl<T: Timed> Clock<T> {
    fn lock(&self) -> MutexGuard<'_, Queue<T>> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes `whom` at `at` (it decides then whether it still cares).
    /// Starts the clock's task on first use (within the runtime).
    pub(crate) fn wake_at(self: &Arc<Self>, at: Instant, whom: Weak<T>) {
        let mut queue = self.lock();
        let earliest = queue.heap.peek().is_none_or(|Reverse(first)| at < first.at);
        queue.heap.push(Reverse(Due { at, whom }));
        if !queue.running {
            queue.running = true;
            tokio::spawn(run(self.clone()));
        } else if earliest {
            self.earlier.notify_one();
        }
    }

    /// Entries queued (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().heap.len()
    }

    /// Takes what is due at `now`, or says when the next is.
    fn take_due(&self, now: Instant) -> Result<Due<T>, Option<Instant>> {
        let mut queue = self.lock();
        match queue.heap.peek() {
            Some(Reverse(first)) if first.at <= now => Ok(queue.heap.pop().expect("peeked").0),
            Some(Reverse(first)) => Err(Some(first.at)),
            None => Err(None),
        }
    }
}

/// The clock's task: fires what is due, sleeps until the next deadline or
/// an earlier one is queued; ends when nothing is queued (the next
/// `wake_at` starts another).
async fn run<T: Timed>(clock: Arc<Clock<T>>) {
    loop {
        let earlier = clock.earlier.notified();
        tokio::pin!(earlier);
        earlier.as_mut().enable();
        let now = Instant::now();
        let next = loop {
            match clock.take_due(now) {
                Ok(due) => {
                    if let Some(whom) = due.whom.upgrade()
                        && let Some(again) = whom.fire(due.at, now)
                    {
                        clock.wake_at(again, due.whom);
                    }
                }
                Err(next) => break next,
            }
        };
        match next {
            Some(at) => tokio::select! {
                () = sleep_until(at) => {}
                () = &mut earlier => {}
            },
            None => {
                let mut queue = clock.lock();
                if queue.heap.is_empty() {
                    queue.running = false;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    /// Fires `times` times, `every` apart, counting.
    struct Counter {
        fired: AtomicU32,
        times: u32,
        every: Duration,
        done: Notify,
    }

    impl Timed for Counter {
        fn fire(self: Arc<Self>, _at: Instant, now: Instant) -> Option<Instant> {
            let fired = self.fired.fetch_add(1, Ordering::Relaxed) + 1;
            if fired == self.times {
                self.done.notify_one();
                return None;
            }
            Some(now + self.every)
        }
    }

    fn counter(times: u32, every: Duration) -> Arc<Counter> {
        Arc::new(Counter { fired: AtomicU32::new(0), times, every, done: Notify::new() })
    }

    async fn done(counter: &Counter) {
        let wait = tokio::time::timeout(Duration::from_secs(10), counter.done.notified());
        wait.await.expect("fired in time");
    }

    #[tokio::test]
    async fn a_timed_thing_fires_until_it_says_enough() {
        let clock = Arc::new(Clock::default());
        let counter = counter(3, Duration::from_millis(1));
        clock.wake_at(Instant::now() + Duration::from_millis(1), Arc::downgrade(&counter));
        done(&counter).await;
        assert_eq!(counter.fired.load(Ordering::Relaxed), 3);
        assert_eq!(clock.len(), 0, "nothing left queued");
    }

    /// The clock sleeps until an hour from now; an earlier deadline queued
    /// meanwhile wakes it.
    #[tokio::test]
    async fn an_earlier_deadline_wakes_the_sleeping_clock() {
        let clock = Arc::new(Clock::default());
        let hour = counter(1, Duration::ZERO);
        let soon = counter(1, Duration::ZERO);
        clock.wake_at(Instant::now() + Duration::from_secs(3600), Arc::downgrade(&hour));
        tokio::task::yield_now().await;
        clock.wake_at(Instant::now() + Duration::from_millis(5), Arc::downgrade(&soon));
        done(&soon).await;
        assert_eq!(hour.fired.load(Ordering::Relaxed), 0);
        assert_eq!(clock.len(), 1, "the hour's entry waits on");
    }
}
