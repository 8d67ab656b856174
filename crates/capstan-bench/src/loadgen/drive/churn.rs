//! Churn: `concurrency` loops, each connecting, echoing a few messages,
//! closing with a close handshake (the server then closes the TCP
//! connection, as RFC 6455 has it), and starting over; until the plan's
//! cycles are done or its time is up.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use capstan::ws::{OpCode, encode_client_frame};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::messages::Event;
use super::reader::EventReader;
use super::{connect, mask_for, wait_for_go};
use crate::clock;
use crate::loadgen::plan::WorkerPlan;
use crate::loadgen::tally::Tally;
use crate::stamp::StampedFrame;

/// Longest one cycle may take.
const CYCLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the cycles once told to go; marks the tally finished at the end.
pub async fn run(
    plan: WorkerPlan,
    tally: Arc<Tally>,
    mut go: watch::Receiver<bool>,
) -> Result<(), String> {
    tally.ready.store(true, Relaxed);
    if !wait_for_go(&mut go).await {
        return Ok(());
    }
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let plan = Arc::new(plan);
    let mut loops = JoinSet::new();
    for _ in 0..plan.concurrency.min(plan.count) {
        let (plan, tally, next) = (plan.clone(), tally.clone(), next.clone());
        loops.spawn(async move {
            while started.elapsed() < plan.duration {
                let index = next.fetch_add(1, Relaxed);
                if index >= plan.count {
                    break;
                }
                let global = plan.first + index;
                match tokio::time::timeout(CYCLE_TIMEOUT, cycle(&plan, global)).await {
                    Ok(Ok(())) => {
                        tally.cycles.fetch_add(1, Relaxed);
                    }
                    Ok(Err(e)) => tally.fail(format!("cycle {global}: {e}")),
                    Err(_) => {
                        tally.fail(format!("cycle {global}: not over after {CYCLE_TIMEOUT:?}"))
                    }
                }
            }
        });
    }
    while loops.join_next().await.is_some() {}
    tally.busy_ms.store(started.elapsed().as_millis() as u64, Relaxed);
    tally.finished.store(true, Relaxed);
    Ok(())
}

/// One connection's life: open, echo, close.
async fn cycle(plan: &WorkerPlan, global: usize) -> Result<(), String> {
    let conn = connect(plan, global).await?;
    let (read, mut write) = conn.stream.into_split();
    let mut events = EventReader::new(read, &conn.leftover)?;
    let mask = mask_for(global);
    let mut frame = StampedFrame::new(plan.size, mask);
    for _ in 0..plan.messages_per_cycle {
        write.write_all(frame.stamp(clock::now_ns())).await.map_err(|e| format!("send: {e}"))?;
        loop {
            match events.next().await? {
                Some(Event::Message { len, .. }) if len == plan.size as u64 => break,
                Some(Event::Message { len, .. }) => return Err(format!("an echo of {len} bytes")),
                Some(Event::Control(OpCode::Close)) | None => {
                    return Err("closed by the server before the echo".into());
                }
                Some(Event::Control(_) | Event::SessionControl) => {}
            }
        }
    }
    let close = encode_client_frame(OpCode::Close, true, &1000u16.to_be_bytes(), mask);
    write.write_all(&close).await.map_err(|e| format!("send close: {e}"))?;
    // The server's close frame, then the end of the stream.
    let mut answered = false;
    while let Some(event) = events.next().await? {
        answered |= event == Event::Control(OpCode::Close);
    }
    if answered { Ok(()) } else { Err("the stream ended without a close frame".into()) }
}
