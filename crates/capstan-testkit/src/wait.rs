//! How long a test waits for anything: a hang fails, it never passes.

use std::future::Future;
use std::time::Duration;

/// Upper bound for any single wait (a read, an answer, a close).
pub const WAIT: Duration = Duration::from_secs(10);

/// Awaits `future` for at most [`WAIT`]; panics with `what` past it.
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(WAIT, future).await {
        Ok(value) => value,
        Err(_) => panic!("{what}: nothing within {WAIT:?}"),
    }
}
