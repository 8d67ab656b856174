//! History in this process's memory: each topic's last publications,
//! bounded in number and in age. Its epoch is new each time it is made, so
//! positions from before a restart are answered `NotRecovered`.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::history::{Appended, BoxFuture, History, HistoryError, PageRange, Recovery, Stored};
use super::position::Position;
use crate::ws::Message;

/// How much of each topic a [`MemoryHistory`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Most publications kept per topic.
    pub max_len: usize,
    /// Publications older than this are dropped.
    pub ttl: Duration,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self { max_len: 100, ttl: Duration::from_secs(300) }
    }
}

/// One topic's stream.
#[derive(Debug, Default)]
struct Stream {
    /// The offset of the latest publication (0: none yet). Kept when
    /// everything expired, so offsets never repeat within an epoch.
    latest: u64,
    /// The kept publications, oldest first, with when they came and their
    /// idempotency key.
    kept: VecDeque<(Instant, Stored, Option<String>)>,
    /// The idempotency keys of the kept publications: their offsets.
    keys: HashMap<String, u64>,
}

impl Stream {
    fn pop_oldest(&mut self) {
        if let Some((_, _, Some(key))) = self.kept.pop_front() {
            self.keys.remove(&key);
        }
    }
}

/// A [`History`] kept in memory, for one process.
#[derive(Debug)]
pub struct MemoryHistory {
    epoch: String,
    limits: HistoryLimits,
    streams: Mutex<HashMap<String, Stream>>,
}

impl MemoryHistory {
    /// An empty history under `limits`, with a new epoch.
    pub fn new(limits: HistoryLimits) -> Self {
        Self { epoch: new_epoch(), limits, streams: Mutex::default() }
    }

    /// This history's epoch.
    pub fn epoch(&self) -> &str {
        &self.epoch
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, HashMap<String, Stream>> {
        self.streams.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn position(&self, offset: u64) -> Position {
        Position::new(offset, self.epoch.clone())
    }

    /// Drops what is past the limits at `now`.
    fn trim(&self, stream: &mut Stream, now: Instant) {
        while stream.kept.len() > self.limits.max_len {
            stream.pop_oldest();
        }
        while stream.kept.front().is_some_and(|(at, ..)| now.duration_since(*at) >= self.limits.ttl)
        {
            stream.pop_oldest();
        }
    }

    fn append_now(
        &self,
        topic: &str,
        message: Message,
        key: Option<&str>,
        now: Instant,
    ) -> Appended {
        let mut streams = self.streams();
        let stream = streams.entry(topic.to_owned()).or_default();
        self.trim(stream, now);
        if let Some(&offset) = key.and_then(|key| stream.keys.get(key)) {
            return Appended { position: self.position(offset), duplicate: true };
        }
        stream.latest += 1;
        let position = self.position(stream.latest);
        if let Some(key) = key {
            stream.keys.insert(key.to_owned(), stream.latest);
        }
        let stored = Stored { position: position.clone(), message };
        stream.kept.push_back((now, stored, key.map(str::to_owned)));
        self.trim(stream, now);
        Appended { position, duplicate: false }
    }

    fn since_now(&self, topic: &str, since: &Position, now: Instant) -> Recovery {
        let mut streams = self.streams();
        let Some(stream) = streams.get_mut(topic) else {
            // Nothing was ever published here in this epoch.
            let latest = self.position(0);
            return if since.epoch == self.epoch && since.offset == 0 {
                Recovery::Recovered(Vec::new())
            } else {
                Recovery::NotRecovered { latest }
            };
        };
        self.trim(stream, now);
        let latest = self.position(stream.latest);
        if since.epoch != self.epoch || since.offset > stream.latest {
            return Recovery::NotRecovered { latest };
        }
        // The first offset still kept; everything before it is gone.
        let first_kept =
            stream.kept.front().map_or(stream.latest + 1, |(_, s, _)| s.position.offset);
        if since.offset + 1 < first_kept {
            return Recovery::NotRecovered { latest };
        }
        let missed = stream.kept.iter().filter(|(_, s, _)| s.position.offset > since.offset);
        Recovery::Recovered(missed.map(|(_, stored, _)| stored.clone()).collect())
    }

    fn page_now(&self, topic: &str, range: PageRange, limit: usize, now: Instant) -> Vec<Stored> {
        let mut streams = self.streams();
        let Some(stream) = streams.get_mut(topic) else { return Vec::new() };
        self.trim(stream, now);
        let kept = stream.kept.iter().map(|(_, stored, _)| stored);
        match range {
            PageRange::After(after) => {
                kept.filter(|s| s.position.offset > after).take(limit).cloned().collect()
            }
            PageRange::Latest | PageRange::Before(_) => {
                let below = match range {
                    PageRange::Before(before) => before,
                    _ => u64::MAX,
                };
                let mut page: Vec<Stored> =
                    kept.rev().filter(|s| s.position.offset < below).take(limit).cloned().collect();
                page.reverse();
                page
            }
        }
    }

    fn latest_now(&self, topic: &str) -> Position {
        self.position(self.streams().get(topic).map_or(0, |stream| stream.latest))
    }
}

impl History for MemoryHistory {
    fn append(
        &self,
        topic: &str,
        message: Message,
        idempotency_key: Option<&str>,
    ) -> BoxFuture<'_, Result<Appended, HistoryError>> {
        let appended = self.append_now(topic, message, idempotency_key, Instant::now());
        Box::pin(std::future::ready(Ok(appended)))
    }

    fn since(&self, topic: &str, since: Position) -> BoxFuture<'_, Result<Recovery, HistoryError>> {
        let recovery = self.since_now(topic, &since, Instant::now());
        Box::pin(std::future::ready(Ok(recovery)))
    }

    fn latest(&self, topic: &str) -> BoxFuture<'_, Result<Position, HistoryError>> {
        Box::pin(std::future::ready(Ok(self.latest_now(topic))))
    }

    fn page(
        &self,
        topic: &str,
        range: PageRange,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<Stored>, HistoryError>> {
        Box::pin(std::future::ready(Ok(self.page_now(topic, range, limit, Instant::now()))))
    }
}

/// An epoch unlikely to repeat: the time it was made, and a counter for
/// histories made in the same instant.
fn new_epoch() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static MADE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{}", MADE.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests;
