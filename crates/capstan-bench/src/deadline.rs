//! The limit on the whole run: every wait is bounded by what is left.

use std::future::Future;
use std::time::{Duration, Instant};

/// When the run must be over.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    limit: Duration,
}

impl Deadline {
    /// `limit` from now.
    pub fn new(limit: Duration) -> Self {
        Self { start: Instant::now(), limit }
    }

    /// Runs `work`, failing clearly if the deadline passes first.
    pub async fn run<T>(
        &self,
        what: &str,
        work: impl Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        let left = self.limit.saturating_sub(self.start.elapsed());
        tokio::time::timeout(left, work).await.unwrap_or_else(|_| {
            Err(format!(
                "timed out while {what}: the run's limit of {} s is used up (see --timeout)",
                self.limit.as_secs()
            ))
        })
    }
}
