//! The `calls` scenario: K callees register one echo procedure (shared,
//! round-robin, when K > 1); C callers each keep F calls outstanding, a
//! new one sent for each result. After a warm-up, a window of calls is
//! measured: results received, their round trips, the router's CPU.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capstan_wamp::Message;

use super::args::CallsPlan;
use super::conn::{Flow, Session, Target, drain_frames, read_more, unexpected};
use super::error::LoadError;
use super::figures::CpuWindow;
use super::messages;
use super::open::{Batch, open};
use super::outcome::CallsOutcome;
use super::probe::Snapshot;
use crate::histogram::Histogram;
use crate::procfs;

/// How long the outstanding calls may take to be answered at the end.
const DRAIN: Duration = Duration::from_secs(10);

/// What the callers share.
#[derive(Debug, Default)]
struct Shared {
    /// Results received.
    completed: AtomicU64,
    /// ERRORs received.
    errors: AtomicU64,
    /// Latencies are recorded while set.
    measuring: AtomicBool,
    /// No new call once set.
    stop: AtomicBool,
    /// Round trips in the measured window, ns.
    latency: Mutex<Histogram>,
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
    plan: &CallsPlan,
    concurrency: usize,
    wait: Duration,
) -> Result<CallsOutcome, LoadError> {
    let shared = Arc::new(Shared::default());
    let shared_registration = plan.callees > 1;
    let batch = Batch { what: "callees", count: plan.callees, first_index: 0, concurrency, wait };
    let callees = open(target.clone(), &batch, move |mut session: Session, _| async move {
        let request = session.next_request();
        session.send(&messages::register(request, shared_registration)).await?;
        match session.next(wait, "REGISTERED").await? {
            Message::Registered { .. } => Ok(session),
            other => Err(unexpected("REGISTERED", &other)),
        }
    })
    .await?;
    let mut callee_tasks = Vec::new();
    for (index, session) in callees.into_iter().enumerate() {
        callee_tasks.push(tokio::spawn(answer(session, index, shared.clone())));
    }
    let batch = Batch {
        what: "callers",
        count: plan.callers,
        first_index: plan.callees,
        concurrency,
        wait,
    };
    let callers = open(target, &batch, |session, _| async move { Ok(session) }).await?;
    let mut caller_tasks = Vec::new();
    for (index, session) in callers.into_iter().enumerate() {
        let (plan, shared) = (plan.clone(), shared.clone());
        caller_tasks.push(tokio::spawn(call(session, index, plan, shared)));
    }

    tokio::time::sleep(plan.warmup).await;
    let start = Snapshot::take(pid)?;
    let completed_before = shared.completed.load(Relaxed);
    shared.measuring.store(true, Relaxed);
    tokio::time::sleep(plan.duration).await;
    let end = Snapshot::take(pid)?;
    let completed = shared.completed.load(Relaxed) - completed_before;
    shared.measuring.store(false, Relaxed);
    shared.stop.store(true, Relaxed);

    let mut unanswered = 0;
    let give_up = Instant::now() + DRAIN;
    for (index, task) in caller_tasks.into_iter().enumerate() {
        let left = give_up.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, task).await {
            Ok(Ok(Ok(0))) => {}
            Ok(Ok(Ok(outstanding))) => unanswered += outstanding,
            Ok(Ok(Err(e))) => shared.problem(format!("caller {index}: {e}")),
            Ok(Err(e)) => shared.problem(format!("caller {index}'s task: {e}")),
            Err(_) => {
                shared.problem(format!(
                    "caller {index}: calls unanswered {} s after the window",
                    DRAIN.as_secs()
                ));
                unanswered += plan.in_flight as u64;
            }
        }
    }
    for task in &callee_tasks {
        task.abort();
    }
    let latency = shared.latency.lock().expect("not poisoned").clone();
    let us = |q: f64| latency.quantile(q).map(|ns| ns as f64 / 1000.0);
    let problems = std::mem::take(&mut *shared.problems.lock().expect("not poisoned"));
    Ok(CallsOutcome {
        callers: plan.callers as u64,
        callees: plan.callees as u64,
        in_flight: plan.in_flight as u64,
        completed,
        errors: shared.errors.load(Relaxed),
        unanswered,
        cpu: CpuWindow::between(&start, &end, procfs::clock_ticks_per_second()),
        latency_us: [us(0.5), us(0.99), latency.max().map(|ns| ns as f64 / 1000.0)],
        problems,
    })
}

/// One callee: every INVOCATION answered with a YIELD of its arguments,
/// the answers to one read written at once. Runs until aborted.
async fn answer(mut session: Session, index: usize, shared: Arc<Shared>) {
    let codec = session.codec;
    let (mut out, mut yields) = (Vec::new(), Vec::new());
    let ended = loop {
        let mut frames = 0;
        let drained = drain_frames(&mut session.buf, &mut out, |frame| {
            match codec.read(&frame)? {
                Message::Invocation { request, payload, .. } => {
                    frames += 1;
                    codec.push(&messages::echo(request, payload), frames, &mut yields)?;
                }
                other => return Err(unexpected("INVOCATION", &other)),
            }
            Ok(Flow::Continue)
        });
        if let Err(e) = drained {
            break e;
        }
        // Pongs first, then the yields, in one write.
        out.append(&mut yields);
        if !out.is_empty() {
            if let Err(e) = session.write(&out).await {
                break e;
            }
            out.clear();
        }
        if let Err(e) = read_more(&mut session.stream, &mut session.buf).await {
            break e;
        }
    };
    shared.problem(format!("callee {index} ended: {ended}"));
}

/// One caller: `in_flight` calls outstanding until told to stop, then the
/// rest awaited. Returns how many were never answered (0 unless the
/// session ended).
async fn call(
    mut session: Session,
    index: usize,
    plan: CallsPlan,
    shared: Arc<Shared>,
) -> Result<u64, LoadError> {
    let codec = session.codec;
    let mut sent: HashMap<u64, Instant> = HashMap::with_capacity(plan.in_flight * 2);
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut local = Histogram::default();
    for _ in 0..plan.in_flight {
        let (request, frame) = (session.next_request(), session.next_frame());
        codec.push(&messages::call(request, seq, plan.padding), frame, &mut out)?;
        sent.insert(request, Instant::now());
        seq += 1;
    }
    session.write(&out).await?;
    out.clear();
    while !sent.is_empty() {
        let mut answered = Vec::new();
        let drained = drain_frames(&mut session.buf, &mut out, |frame| {
            match codec.read(&frame)? {
                Message::Result { request, .. } => answered.push((request.get(), true)),
                Message::Error { request, error, .. } => {
                    if shared.errors.fetch_add(1, Relaxed) == 0 {
                        shared.problem(format!("caller {index}: ERROR {error}"));
                    }
                    answered.push((request.get(), false));
                }
                other => return Err(unexpected("RESULT", &other)),
            }
            Ok(Flow::Continue)
        });
        let now = Instant::now();
        let measuring = shared.measuring.load(Relaxed);
        let stop = shared.stop.load(Relaxed);
        for (request, ok) in answered {
            let Some(at) = sent.remove(&request) else {
                return Err(LoadError::Protocol(format!(
                    "an answer to request {request}, never sent"
                )));
            };
            if ok {
                shared.completed.fetch_add(1, Relaxed);
                if measuring {
                    local.record(now.duration_since(at).as_nanos() as u64);
                }
            }
            if !stop {
                let (request, frame) = (session.next_request(), session.next_frame());
                codec.push(&messages::call(request, seq, plan.padding), frame, &mut out)?;
                sent.insert(request, now);
                seq += 1;
            }
        }
        drained?;
        if !out.is_empty() {
            session.write(&out).await?;
            out.clear();
        }
        if sent.is_empty() {
            break;
        }
        if let Err(e) = read_more(&mut session.stream, &mut session.buf).await {
            shared.latency.lock().expect("not poisoned").merge(&local);
            shared.problem(format!(
                "caller {index} ended with {} calls outstanding: {e}",
                sent.len()
            ));
            return Ok(sent.len() as u64);
        }
    }
    shared.latency.lock().expect("not poisoned").merge(&local);
    Ok(0)
}
