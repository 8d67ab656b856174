//! A future's first step, taken now in the caller's thread. A broker
//! takes it so that its commands leave in call order (the step queues the
//! command before the call returns) and so that it answers at once when it
//! can (an in-memory history).
//!
//! Tokio's cooperative budget is set aside for that one step. A task that
//! spent its budget (128 ready operations in one poll: a loop of
//! publishes) sees every Tokio primitive answer "not yet"; the step would
//! then be taken later, in a task of its own, and two commands could
//! reach the broker in either order.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// Polls `future` once, now, outside Tokio's cooperative budget, with a
/// waker that does nothing: its answer if it has one. A future still
/// pending is finished by polling it again (in a task of its own).
pub fn poll_now<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    let mut unconstrained = pin!(tokio::task::unconstrained(future));
    unconstrained.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More ready operations than one poll's budget: each is taken now.
    #[tokio::test]
    async fn every_first_step_is_taken_now_even_past_the_tasks_budget() {
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1_000);
        for n in 0..500 {
            let send = pin!(sender.send(n));
            assert!(poll_now(send).is_ready(), "send {n} was taken now");
        }
        let sent: Vec<i32> = std::iter::from_fn(|| receiver.try_recv().ok()).collect();
        assert_eq!(sent, (0..500).collect::<Vec<_>>());
    }
}
