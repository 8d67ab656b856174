//! Opening many connections at once: a bounded number in flight, a time
//! limit on each, the results in index order, the first failure reported.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `open(index)` for every index below `count`, at most `concurrency`
/// at once and each within `timeout`; calls `on_opened(done)` after each
/// success. Returns what was opened, in index order, or the first failure.
pub async fn open_many<T, F, Fut>(
    count: usize,
    concurrency: usize,
    timeout: Duration,
    open: F,
    mut on_opened: impl FnMut(usize),
) -> Result<Vec<T>, String>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut opening = JoinSet::new();
    let mut opened: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut done = 0;
    let mut record = |result: Result<(usize, Result<T, String>), _>| match result {
        Ok((index, Ok(conn))) => {
            opened[index] = Some(conn);
            done += 1;
            on_opened(done);
            Ok(())
        }
        Ok((index, Err(e))) => Err(format!("connection {index}: {e}")),
        Err(e) => Err(format!("connecting task failed: {e}")),
    };
    for index in 0..count {
        let permit = permits.clone().acquire_owned().await.expect("never closed");
        let attempt = open(index);
        opening.spawn(async move {
            let _permit = permit;
            let result = tokio::time::timeout(timeout, attempt)
                .await
                .unwrap_or_else(|_| Err(format!("not open after {} s", timeout.as_secs())));
            (index, result)
        });
        while let Some(result) = opening.try_join_next() {
            record(result)?;
        }
    }
    while let Some(result) = opening.join_next().await {
        record(result)?;
    }
    Ok(opened.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_in_index_order_and_stops_at_a_failure() {
        let mut seen = 0;
        let opened = open_many(
            50,
            7,
            Duration::from_secs(5),
            |i| async move { Ok::<_, String>(i * 2) },
            |done| seen = done,
        )
        .await
        .unwrap();
        assert_eq!(opened, (0..50).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(seen, 50);
        let failed = open_many(
            10,
            3,
            Duration::from_secs(5),
            |i| async move { if i == 4 { Err("refused".to_string()) } else { Ok(i) } },
            |_| {},
        )
        .await;
        assert_eq!(failed, Err("connection 4: refused".into()));
    }
}
