//! The `idle` scenario: K sessions join the realm and stay idle; the
//! router's resident memory before the first and once all have joined
//! gives its memory per session. Each session's task answers the
//! router's pings and notes if the router ends it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::args::IdlePlan;
use super::conn::{Session, Target, drain_frames, read_more, unexpected};
use super::error::LoadError;
use super::open::{Batch, open};
use super::outcome::IdleOutcome;
use super::probe::{fd_limit, rss_kib};

/// Descriptors kept free for everything but the sessions.
const SPARE_FDS: u64 = 64;

/// Runs the scenario against `target`, whose process is `pid`.
pub async fn run(
    target: Arc<Target>,
    pid: u32,
    plan: &IdlePlan,
    concurrency: usize,
    wait: Duration,
) -> Result<IdleOutcome, LoadError> {
    let sessions = plan.sessions as u64;
    for (who, limit) in [("wamp-load", fd_limit(std::process::id())), ("the router", fd_limit(pid))]
    {
        if let Some(limit) = limit.filter(|&l| sessions + SPARE_FDS > l) {
            return Err(LoadError::Setup(format!(
                "{sessions} sessions need more descriptors than {who} may open ({limit})"
            )));
        }
    }
    let rss_before_kib = rss_kib(pid)?;
    let started = Instant::now();
    let batch =
        Batch { what: "idle sessions", count: plan.sessions, first_index: 0, concurrency, wait };
    let joined = open(target, &batch, |session, _| async move { Ok(session) }).await?;
    let join_seconds = started.elapsed().as_secs_f64();
    let ended = Arc::new(AtomicU64::new(0));
    let problems = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::with_capacity(joined.len());
    for (index, session) in joined.into_iter().enumerate() {
        tasks.push(tokio::spawn(hold(session, index, ended.clone(), problems.clone())));
    }
    tokio::time::sleep(plan.settle).await;
    let rss_joined_kib = rss_kib(pid)?;
    tokio::time::sleep(plan.hold).await;
    let rss_held_kib = rss_kib(pid)?;
    for task in &tasks {
        task.abort();
    }
    let problems = std::mem::take(&mut *problems.lock().expect("not poisoned"));
    Ok(IdleOutcome {
        sessions,
        rss_before_kib,
        rss_joined_kib,
        rss_held_kib,
        join_seconds,
        ended: ended.load(Relaxed),
        problems,
    })
}

/// Holds one idle session: pings answered, anything else is a problem.
async fn hold(
    mut session: Session,
    index: usize,
    ended: Arc<AtomicU64>,
    problems: Arc<std::sync::Mutex<Vec<String>>>,
) {
    let codec = session.codec;
    let mut replies = Vec::new();
    let error = loop {
        let drained = drain_frames(&mut session.buf, &mut replies, |frame| {
            Err(unexpected("nothing", &codec.read(&frame)?))
        });
        if let Err(e) = drained {
            break e;
        }
        if !replies.is_empty() {
            if let Err(e) = session.write(&replies).await {
                break e;
            }
            replies.clear();
        }
        if let Err(e) = read_more(&mut session.stream, &mut session.buf).await {
            break e;
        }
    };
    ended.fetch_add(1, Relaxed);
    let mut problems = problems.lock().expect("not poisoned");
    if problems.len() < 10 {
        problems.push(format!("idle session {index} ended: {error}"));
    }
}
