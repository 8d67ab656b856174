//! Broadcast subscribers: each connection only reads, timing every
//! stamped message from the publisher's timestamp (probes, stamped 0,
//! are counted but not timed).

use std::sync::Arc;

use capstan::ws::OpCode;
use tokio::io::AsyncReadExt;

use super::messages::{Event, Messages};
use super::open_all;
use crate::client::Connected;
use crate::clock;
use crate::loadgen::plan::WorkerPlan;
use crate::loadgen::tally::Tally;
use capstan_testkit::counter::FrameCounter;

/// Bytes read at once.
const READ_SIZE: usize = 16 * 1024;

/// Opens the subscribers; each reads from the moment it is open.
pub async fn run(plan: WorkerPlan, tally: Arc<Tally>) -> Result<(), String> {
    let shared = tally.clone();
    open_all(&plan, &tally, move |local, conn| {
        let tally = shared.clone();
        tokio::spawn(async move {
            let why = listen(conn, local, &tally).await;
            tally.progress.on_end(local, why);
        });
    })
    .await?;
    Ok(())
}

/// Reads one connection until it ends; returns why it ended.
async fn listen(conn: Connected, local: usize, tally: &Tally) -> String {
    let mut stream = conn.stream;
    let (mut counter, mut messages) = (FrameCounter::default(), Messages::default());
    if let Err(why) = take(&mut counter, &mut messages, &conn.leftover, local, tally) {
        return why;
    }
    let mut buf = vec![0u8; READ_SIZE];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) => return "closed by the server".into(),
            Ok(n) => n,
            Err(e) => return format!("read: {e}"),
        };
        if let Err(why) = take(&mut counter, &mut messages, &buf[..n], local, tally) {
            return why;
        }
    }
}

/// Counts (and times) the messages completed by `data`.
fn take(
    counter: &mut FrameCounter,
    messages: &mut Messages,
    data: &[u8],
    local: usize,
    tally: &Tally,
) -> Result<(), String> {
    let mut problem = None;
    counter
        .feed(data, |f| match messages.on_frame(f) {
            Some(Event::Message { stamp: Some(sent), wire_len, .. }) => {
                if sent != 0 {
                    tally.record_latency(clock::now_ns().saturating_sub(sent));
                }
                tally.progress.on_message(local, false, wire_len);
            }
            Some(Event::Message { .. }) => {
                problem.get_or_insert("a message without a timestamp".to_string());
            }
            Some(Event::Control(OpCode::Close)) => {
                problem.get_or_insert("closed by the server".into());
            }
            Some(Event::Control(_) | Event::SessionControl) => tally.progress.on_control(),
            None => {}
        })
        .map_err(|e| format!("bad frame: {e}"))?;
    problem.map_or(Ok(()), Err)
}
