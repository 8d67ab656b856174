//! When a topic hands what it holds to its subscribers: in a task of its
//! own that first lets every task already due run (and publish), so that a
//! flood is handed over in batches, once per turn of the runtime, and a
//! lone publish a moment after it was made. Outside a Tokio runtime, at
//! once.

use super::topic::Topic;

/// Hands `topic`'s held publishes over, soon; one flush per topic at a
/// time (its batcher schedules only one).
pub(crate) fn schedule(topic: Topic) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                loop {
                    // Behind the tasks already due, and the I/O that is
                    // ready: what they publish joins this batch.
                    tokio::task::yield_now().await;
                    if !topic.flush_once() {
                        break;
                    }
                }
            });
        }
        Err(_) => while topic.flush_once() {},
    }
}
