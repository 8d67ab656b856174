//! The feed: one sampler task for every admin page. Once per interval it
//! samples the [`AdminSource`], reads the topics and nodes through the
//! [`Api`], keeps the point in the history and publishes one update to
//! the pages' [`Topic`] (encoded once, whatever the number of pages). A
//! page that joins gets the snapshot, then every update after it: both
//! happen under the state's lock, so none is missed or doubled. The task
//! holds the feed weakly and is aborted when the feed is dropped. At each
//! update, a page whose right to watch is gone (its session ended) is
//! closed instead (1008).

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use capstan::{CloseCode, Conn, Message, Topic};
use tokio::task::JoinHandle;
// Tokio's clock: the sampler's intervals are measured on the clock its
// ticks follow.
use tokio::time::Instant;

use super::frame::{self, Latest, Totals};
use super::history::History;
use super::rates::Point;
use super::source::{AdminSample, AdminSource};
use super::view::{self, TopTopics};
use crate::handle::Api;

/// How often the feed samples, how much it keeps, how much it shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeedSettings {
    /// Between two samples.
    pub(crate) interval: Duration,
    /// Points kept (the charts' width).
    pub(crate) capacity: usize,
    /// Rows of the top-topics table.
    pub(crate) top_topics: usize,
}

/// The feed, shared by the admin endpoint's connections; cheap to clone.
#[derive(Clone)]
pub(crate) struct Feed(Arc<Inner>);

struct Inner {
    state: Mutex<State>,
    /// The admin pages connected.
    pages: Topic,
    settings: FeedSettings,
    /// Whether a page may still watch.
    allowed: Allowed,
    /// The sampler, aborted when the feed goes.
    sampler: Mutex<Option<JoinHandle<()>>>,
}

/// The check of a page's right to watch, at each update.
pub(crate) type Allowed = Box<dyn Fn(&Conn) -> bool + Send + Sync>;

struct State {
    history: History,
    latest: Latest,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.sampler.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            task.abort();
        }
    }
}

impl Feed {
    /// Starts the sampler (on the current Tokio runtime); pages stay while
    /// `allowed` says so.
    pub(crate) fn start(
        source: Arc<dyn AdminSource>,
        api: Api,
        settings: FeedSettings,
        allowed: Allowed,
    ) -> Self {
        let first = source.sample();
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                history: History::new(settings.capacity),
                latest: Latest { totals: Totals::from(&first), ..Latest::default() },
            }),
            pages: Topic::new("capstan:admin"),
            settings,
            allowed,
            sampler: Mutex::new(None),
        });
        let task = tokio::spawn(sample(Arc::downgrade(&inner), source, api, first));
        *inner.sampler.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Self(inner)
    }

    /// Sends `conn` the snapshot and subscribes it to the updates.
    pub(crate) fn join(&self, conn: &Conn) {
        let state = self.0.state();
        let text = frame::snapshot(
            self.0.settings.interval.as_millis() as u64,
            self.0.settings.capacity,
            state.history.points(),
            &state.latest,
        );
        if conn.send(Message::text(text)).is_ok() {
            self.0.pages.subscribe(conn);
        }
    }

    /// The snapshot a page joining now would get (for tests).
    #[cfg(test)]
    fn snapshot(&self) -> serde_json::Value {
        let state = self.0.state();
        let text = frame::snapshot(0, 0, state.history.points(), &state.latest);
        serde_json::from_str(&text).unwrap()
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `point` and the latest readings, and sends every page the
    /// update (a topic or node reading that failed keeps the last one).
    fn advance(
        &self,
        point: Point,
        sample: &AdminSample,
        topics: Option<TopTopics>,
        nodes: Option<Vec<crate::reply::NodeInfo>>,
    ) {
        let mut state = self.state();
        state.latest.totals = Totals::from(sample);
        if let Some(topics) = topics {
            state.latest.topics = topics;
        }
        if let Some(nodes) = nodes {
            state.latest.nodes = nodes;
        }
        let text = frame::update(&point, &state.latest);
        state.history.push(point);
        for page in self.pages.subscribers() {
            if !(self.allowed)(&page) {
                self.pages.unsubscribe(&page);
                page.close(CloseCode::POLICY_VIOLATION, "the admin session ended");
            }
        }
        // Under the lock: a page joining now gets this point either in its
        // snapshot or as this update, never both, never neither.
        self.pages.publish(Message::text(text));
    }
}

/// The sampler: one point per interval until the feed is gone.
async fn sample(feed: Weak<Inner>, source: Arc<dyn AdminSource>, api: Api, first: AdminSample) {
    let Some(settings) = feed.upgrade().map(|inner| inner.settings) else { return };
    let mut ticker = tokio::time::interval(settings.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await; // the first tick is at once
    let (mut before, mut at) = (first, Instant::now());
    loop {
        ticker.tick().await;
        let now = source.sample();
        let now_at = Instant::now();
        // Each reading bounded by the interval: a slow backend delays
        // nothing but its own numbers.
        let topics = reading(settings.interval, TopTopics::read(&api, settings.top_topics)).await;
        let nodes = reading(settings.interval, view::read_nodes(&api)).await;
        let Some(inner) = feed.upgrade() else { return };
        let point = Point::between(&before, &now, now_at - at, unix_millis());
        inner.advance(point, &now, topics, nodes);
        drop(inner);
        (before, at) = (now, now_at);
    }
}

/// What `read` gives within `bound`; `None` (logged) if it failed or took
/// longer.
async fn reading<T>(
    bound: Duration,
    read: impl Future<Output = Result<T, crate::error::ApiError>>,
) -> Option<T> {
    match tokio::time::timeout(bound, read).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            tracing::debug!(%error, "admin feed: a reading failed; the last one stays");
            None
        }
        Err(_) => {
            tracing::debug!("admin feed: a reading took longer than the interval");
            None
        }
    }
}

/// Now, in milliseconds since the Unix epoch.
fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::{AdminSample, AdminSource, Api, Arc, Duration, Feed, FeedSettings};
    use crate::backend::{ApiFuture, ServerApi};
    use crate::command::{
        Channels, Disconnect, History, Info, Presence, PresenceStats, Publish, Unsubscribe,
    };
    use crate::error::{ApiError, ErrorCode};
    use crate::reply::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// An API with one channel per call made so far, and one node.
    struct Fake(AtomicU64);

    fn refused<T>() -> ApiFuture<'static, T> {
        Box::pin(async { Err(ApiError::new(ErrorCode::NotAvailable)) })
    }

    impl ServerApi for Fake {
        fn publish(&self, _: Publish) -> ApiFuture<'_, PublishReply> {
            refused()
        }
        fn presence(&self, _: Presence) -> ApiFuture<'_, PresenceReply> {
            refused()
        }
        fn presence_stats(&self, _: PresenceStats) -> ApiFuture<'_, PresenceStatsReply> {
            refused()
        }
        fn history(&self, _: History) -> ApiFuture<'_, HistoryReply> {
            refused()
        }
        fn channels(&self, _: Channels) -> ApiFuture<'_, ChannelsReply> {
            let n = self.0.fetch_add(1, Ordering::Relaxed) + 1;
            let mut reply = ChannelsReply::default();
            reply.channels.insert("room".into(), ChannelInfo { num_clients: n });
            Box::pin(async move { Ok(reply) })
        }
        fn disconnect(&self, _: Disconnect) -> ApiFuture<'_, Empty> {
            refused()
        }
        fn unsubscribe(&self, _: Unsubscribe) -> ApiFuture<'_, Empty> {
            refused()
        }
        fn info(&self, _: Info) -> ApiFuture<'_, InfoReply> {
            refused()
        }
    }

    /// A source whose message counter grows by 10 at each sample.
    struct Counting(AtomicU64);

    impl AdminSource for Counting {
        fn sample(&self) -> AdminSample {
            let n = self.0.fetch_add(10, Ordering::Relaxed);
            AdminSample { messages_in_total: n, ..AdminSample::default() }
        }
    }

    fn settings() -> FeedSettings {
        FeedSettings { interval: Duration::from_secs(1), capacity: 3, top_topics: 5 }
    }

    /// Lets the paused clock run `seconds` of the sampler's ticks.
    async fn run_for(seconds: u64) {
        tokio::time::sleep(Duration::from_millis(seconds * 1000 + 500)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn samples_once_a_second_into_a_bounded_history() {
        let source = Arc::new(Counting(AtomicU64::new(0)));
        let feed =
            Feed::start(source, Api::new(Fake(AtomicU64::new(0))), settings(), Box::new(|_| true));
        run_for(5).await;
        let snapshot = feed.snapshot();
        let history = snapshot["history"].as_array().unwrap();
        assert_eq!(history.len(), 3, "{snapshot}");
        assert!(history.iter().all(|p| p["messages_in_per_s"] == 10.0), "{snapshot}");
        assert_eq!(snapshot["topics"]["rows"][0]["subscribers"], 5, "the latest reading");
        assert!(snapshot["nodes"].as_array().unwrap().is_empty(), "info refused: none yet");
    }

    #[tokio::test(start_paused = true)]
    async fn the_sampler_ends_with_the_feed() {
        let source = Arc::new(Counting(AtomicU64::new(0)));
        let feed = Feed::start(
            source.clone(),
            Api::new(Fake(AtomicU64::new(0))),
            settings(),
            Box::new(|_| true),
        );
        run_for(2).await;
        assert_eq!(Arc::strong_count(&source), 2, "the sampler holds the source");
        drop(feed);
        // Aborted, the task lets go of what it held once it is dropped.
        for _ in 0..100 {
            if Arc::strong_count(&source) == 1 {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the sampler still runs after the feed was dropped");
    }
}
