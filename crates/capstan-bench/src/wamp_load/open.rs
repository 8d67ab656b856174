//! Many sessions joined at once: a bounded number connecting at a time
//! (the bench's [`open_many`]), each within the wait, from as many
//! source addresses as the count needs ([`crate::sources`]), each then
//! set up by the scenario (subscribed, registered).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fleet::open_many;
use crate::sources;

use super::conn::{Session, Target};
use super::error::LoadError;

/// How to open a batch.
#[derive(Debug, Clone)]
pub struct Batch {
    /// What they are, for progress lines ("subscribers").
    pub what: &'static str,
    /// How many.
    pub count: usize,
    /// The index of the first (distinct handshake keys across batches).
    pub first_index: usize,
    /// Connecting at once.
    pub concurrency: usize,
    /// The bound of each session's connect, join and set-up.
    pub wait: Duration,
}

/// Joins `batch.count` sessions to `target` and hands each to `set_up`;
/// returns what `set_up` made, in index order, or the first failure.
pub async fn open<T, F, Fut>(
    target: Arc<Target>,
    batch: &Batch,
    set_up: F,
) -> Result<Vec<T>, LoadError>
where
    T: Send + 'static,
    F: Fn(Session, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<T, LoadError>> + Send + 'static,
{
    let addresses = sources::needed(batch.count);
    sources::check(addresses, target.addr.ip()).map_err(LoadError::Setup)?;
    let started = Instant::now();
    let (what, count, first, wait) = (batch.what, batch.count, batch.first_index, batch.wait);
    let step = (count / 10).max(1000);
    let opened = open_many(
        count,
        batch.concurrency,
        wait,
        move |i| {
            let target = target.clone();
            let set_up = set_up.clone();
            async move {
                let source = sources::source_for(i, addresses);
                let session = Session::join(&target, first + i, source, wait)
                    .await
                    .map_err(|e| e.to_string())?;
                set_up(session, i).await.map_err(|e| e.to_string())
            }
        },
        |done| {
            if done % step == 0 && done < count {
                eprintln!(
                    "wamp-load: {done}/{count} {what} joined ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
            }
        },
    )
    .await
    .map_err(|e| LoadError::Open(format!("{what}: {e}")))?;
    eprintln!("wamp-load: {count} {what} joined in {:.2} s", started.elapsed().as_secs_f64());
    Ok(opened)
}
