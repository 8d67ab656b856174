//! Work started in call order. A publish returns at once and its command
//! goes on in a task; spawned as is, two publishes from one caller could
//! reach Redis in either order. Polled once first, in the caller, a
//! command is queued on its connection before the call returns, so
//! commands go out in the order they were called (the connection's
//! queue has room enough that this step never waits: see `connection`;
//! and the step is outside Tokio's budget, which a loop of publishes
//! spends: see `poll_now`).

use std::future::Future;

use capstan::pubsub::poll_now;
use tokio::runtime::Handle;

/// Starts `work` now (its first step, in this thread, inside `runtime`),
/// and finishes it in a task on `runtime`.
pub(crate) fn start(runtime: &Handle, work: impl Future<Output = ()> + Send + 'static) {
    let _inside = runtime.enter();
    let mut work = Box::pin(work);
    if poll_now(work.as_mut()).is_pending() {
        runtime.spawn(work);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn first_steps_run_in_call_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let runtime = tokio::runtime::Handle::current();
        for n in 0..5 {
            let seen = seen.clone();
            super::start(&runtime, async move {
                seen.lock().unwrap().push(n);
                tokio::task::yield_now().await;
                seen.lock().unwrap().push(10 + n);
            });
        }
        assert_eq!(seen.lock().unwrap()[..5], [0, 1, 2, 3, 4]);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(seen.lock().unwrap().len(), 10, "and each finishes in its task");
    }

    /// A loop of publishes spends the caller's budget (128 ready steps per
    /// poll): past it, every first step is still taken in the call.
    #[tokio::test]
    async fn first_steps_run_in_call_order_past_the_tasks_budget() {
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1_000);
        let runtime = tokio::runtime::Handle::current();
        for n in 0..500 {
            let sender = sender.clone();
            super::start(&runtime, async move { sender.send(n).await.unwrap() });
        }
        let queued: Vec<i32> = std::iter::from_fn(|| receiver.try_recv().ok()).collect();
        assert_eq!(queued, (0..500).collect::<Vec<_>>());
    }
}
