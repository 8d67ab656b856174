//! The `events` scenario: S subscribers on one topic, P publishers
//! publishing unacknowledged events in windows, then one acknowledged end
//! marker each. A subscriber is complete once it has every publisher's
//! marker (events from one publisher reach a subscriber in order, WAMP
//! guarantees it), so the run ends at the last subscriber's last marker;
//! every EVENT is counted ([`peek`]), none is assumed.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capstan_wamp::Message;
use tokio::sync::Notify;

use super::args::EventsPlan;
use super::conn::{Flow, Session, Target, drain_frames, read_more, unexpected};
use super::error::LoadError;
use super::figures::CpuWindow;
use super::messages;
use super::open::{Batch, open};
use super::outcome::EventsOutcome;
use super::peek::{Peek, peek};
use super::probe::Snapshot;
use crate::procfs;

/// How long after publishing stops the deliveries may take to finish.
const DRAIN: Duration = Duration::from_secs(30);

/// What the subscribers and publishers share.
#[derive(Debug, Default)]
struct Shared {
    /// EVENTs received (markers apart).
    delivered: AtomicU64,
    /// Markers received.
    markers: AtomicU64,
    /// Events written by the publishers.
    published: AtomicU64,
    /// Subscribers with every marker.
    complete: AtomicU64,
    /// Subscribers whose session ended early.
    ended: AtomicU64,
    /// When the last subscriber completed.
    last_complete: Mutex<Option<Instant>>,
    /// Deliveries arrived (publishers waiting for room).
    progress: Notify,
    /// A subscriber finished, one way or the other.
    finished: Notify,
    /// What went wrong.
    problems: Mutex<Vec<String>>,
}

impl Shared {
    fn problem(&self, what: String) {
        eprintln!("wamp-load: {what}");
        self.problems.lock().expect("not poisoned").push(what);
    }
}

/// Runs the scenario against `target`, whose process is `pid`.
pub async fn run(
    target: Arc<Target>,
    pid: u32,
    plan: &EventsPlan,
    concurrency: usize,
    wait: Duration,
) -> Result<EventsOutcome, LoadError> {
    let shared = Arc::new(Shared::default());
    let subscribers = plan.subscribers;
    let batch =
        Batch { what: "subscribers", count: subscribers, first_index: 0, concurrency, wait };
    let sessions = open(target.clone(), &batch, move |mut session: Session, _| async move {
        let request = session.next_request();
        session.send(&messages::subscribe(request)).await?;
        match session.next(wait, "SUBSCRIBED").await? {
            Message::Subscribed { .. } => Ok(session),
            other => Err(unexpected("SUBSCRIBED", &other)),
        }
    })
    .await?;
    let publishers = plan.publishers as u64;
    let mut subscriber_tasks = Vec::with_capacity(subscribers);
    for (index, session) in sessions.into_iter().enumerate() {
        subscriber_tasks.push(tokio::spawn(subscribe(session, index, publishers, shared.clone())));
    }
    let batch = Batch {
        what: "publishers",
        count: plan.publishers,
        first_index: subscribers,
        concurrency,
        wait,
    };
    let publisher_sessions = open(target, &batch, |session, _| async move { Ok(session) }).await?;

    let start = Snapshot::take(pid)?;
    let deadline = start.at + plan.duration;
    let mut publisher_tasks = Vec::with_capacity(plan.publishers);
    for (index, session) in publisher_sessions.into_iter().enumerate() {
        let (plan, shared) = (plan.clone(), shared.clone());
        publisher_tasks.push(tokio::spawn(publish(session, index, plan, shared, deadline, wait)));
    }
    // Until every subscriber is complete or ended, or the drain runs out.
    let give_up = deadline + plan.stall + DRAIN;
    loop {
        let finished = shared.finished.notified();
        let done = shared.complete.load(Relaxed) + shared.ended.load(Relaxed);
        if done >= subscribers as u64 {
            break;
        }
        let left = give_up.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, finished).await.is_err() {
            shared.problem(format!(
                "events: {} of {subscribers} subscribers had every marker {:.0} s after the \
                 start ({} events published, {} delivered)",
                shared.complete.load(Relaxed),
                give_up.duration_since(start.at).as_secs_f64(),
                shared.published.load(Relaxed),
                shared.delivered.load(Relaxed),
            ));
            break;
        }
    }
    let end = Snapshot::take(pid)?;
    let last = shared.last_complete.lock().expect("not poisoned").unwrap_or(end.at);
    let mut keep = Vec::new();
    for task in publisher_tasks {
        match tokio::time::timeout(wait, task).await {
            Ok(Ok(Ok((_, session)))) => keep.push(session),
            Ok(Ok(Err(e))) => shared.problem(format!("a publisher failed: {e}")),
            Ok(Err(e)) => shared.problem(format!("a publisher's task failed: {e}")),
            Err(_) => shared.problem("a publisher did not finish".into()),
        }
    }
    for task in &subscriber_tasks {
        task.abort();
    }
    let problems = std::mem::take(&mut *shared.problems.lock().expect("not poisoned"));
    Ok(EventsOutcome {
        subscribers: subscribers as u64,
        publishers,
        window: plan.window,
        published: shared.published.load(Relaxed),
        delivered: shared.delivered.load(Relaxed),
        markers: shared.markers.load(Relaxed),
        complete: shared.complete.load(Relaxed),
        cpu: CpuWindow::between(&start, &end, procfs::clock_ticks_per_second()),
        delivery_seconds: last.saturating_duration_since(start.at).as_secs_f64(),
        problems,
    })
}

/// One subscriber: counts EVENTs until it has `publishers` markers, then
/// keeps its session (closing it would load the router while the others
/// still receive) until the run aborts it.
async fn subscribe(mut session: Session, index: usize, publishers: u64, shared: Arc<Shared>) {
    let codec = session.codec;
    let serializer = codec.serializer();
    let mut markers_seen = 0;
    let mut replies = Vec::new();
    let ended = loop {
        let (mut events, mut markers) = (0, 0);
        let drained = drain_frames(&mut session.buf, &mut replies, |frame| {
            match peek(serializer, &frame.payload) {
                Peek::Event => events += 1,
                Peek::Marker => markers += 1,
                Peek::Other => return Err(unexpected("EVENT", &codec.read(&frame)?)),
            }
            Ok(Flow::Continue)
        });
        shared.delivered.fetch_add(events, Relaxed);
        shared.markers.fetch_add(markers, Relaxed);
        shared.progress.notify_waiters();
        markers_seen += markers;
        if let Err(e) = drained {
            break e;
        }
        if !replies.is_empty() {
            if let Err(e) = session.write(&replies).await {
                break e;
            }
            replies.clear();
        }
        if markers_seen >= publishers {
            shared.complete.fetch_add(1, Relaxed);
            *shared.last_complete.lock().expect("not poisoned") = Some(Instant::now());
            shared.finished.notify_one();
            // Held until aborted; pings are not answered any more, the run
            // is over in well under the router's ping interval.
            std::future::pending::<()>().await;
        }
        if let Err(e) = read_more(&mut session.stream, &mut session.buf).await {
            break e;
        }
    };
    shared.ended.fetch_add(1, Relaxed);
    shared.problem(format!(
        "subscriber {index} ended after {markers_seen} of {publishers} markers: {ended}"
    ));
    shared.finished.notify_one();
}

/// One publisher: windows of events until its count or the deadline, then
/// the acknowledged marker. Returns how many events it published, and its
/// session (kept open until the run ends).
async fn publish(
    mut session: Session,
    index: usize,
    plan: EventsPlan,
    shared: Arc<Shared>,
    deadline: Instant,
    wait: Duration,
) -> Result<(u64, Session), LoadError> {
    let codec = session.codec;
    let mut seq = 0;
    let mut out = Vec::new();
    while seq < plan.events && Instant::now() < deadline {
        if let Err(stall) = room(&shared, &plan).await {
            shared.problem(format!("publisher {index} after {seq} events: {stall}"));
            break;
        }
        let n = plan.window.min(plan.events - seq);
        out.clear();
        for _ in 0..n {
            let (request, frame) = (session.next_request(), session.next_frame());
            codec.push(&messages::publish(request, seq, plan.padding), frame, &mut out)?;
            seq += 1;
        }
        shared.published.fetch_add(n, Relaxed);
        session.write(&out).await?;
    }
    let request = session.next_request();
    session.send(&messages::publish_marker(request)).await?;
    match session.next(plan.stall + wait, "PUBLISHED for the end marker").await? {
        Message::Published { request: r, .. } if r.get() == request => Ok((seq, session)),
        other => Err(unexpected("PUBLISHED", &other)),
    }
}

/// Waits until the subscribers still there have received all but about
/// one window per publisher of what was published; an error if no
/// delivery arrives for `plan.stall`.
async fn room(shared: &Shared, plan: &EventsPlan) -> Result<(), LoadError> {
    let allowance = plan.window * plan.publishers as u64;
    loop {
        let progress = shared.progress.notified();
        let live = (plan.subscribers as u64).saturating_sub(shared.ended.load(Relaxed));
        let needed = live * shared.published.load(Relaxed).saturating_sub(allowance);
        let delivered = shared.delivered.load(Relaxed);
        if delivered >= needed {
            return Ok(());
        }
        if tokio::time::timeout(plan.stall, progress).await.is_err()
            && shared.delivered.load(Relaxed) == delivered
        {
            return Err(LoadError::Timeout {
                what: format!(
                    "deliveries stalled at {delivered} ({needed} needed to go on; {} published)",
                    shared.published.load(Relaxed)
                ),
                after: plan.stall,
            });
        }
    }
}
