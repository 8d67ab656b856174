//! Echo: each connection keeps `in_flight` stamped messages outstanding,
//! sending a new one for each echo, and times each round trip. In session
//! mode the messages go as `m…` and the connection acknowledges what it
//! received every [`ACK_EVERY`] echoes, in the write of its next message.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use capstan::ws::OpCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::messages::{Event, Messages};
use super::{mask_for, open_all, wait_for_go};
use crate::client::Connected;
use crate::clock;
use crate::loadgen::plan::WorkerPlan;
use crate::loadgen::tally::Tally;
use crate::loadgen::transport::{ACK_EVERY, Transport};
use crate::session_mode::prefix::{self, DATA};
use crate::stamp::StampedFrame;
use capstan_testkit::counter::FrameCounter;

/// Bytes read at once.
const READ_SIZE: usize = 64 * 1024;

/// Opens the connections; each starts sending when told to go.
pub async fn run(
    plan: WorkerPlan,
    tally: Arc<Tally>,
    go: watch::Receiver<bool>,
) -> Result<(), String> {
    let (first, size, in_flight) = (plan.first, plan.size, plan.in_flight);
    let session = plan.transport == Transport::Session;
    let shared = tally.clone();
    open_all(&plan, &tally, move |local, conn| {
        let (tally, go) = (shared.clone(), go.clone());
        let mask = mask_for(first + local);
        let prefix: &[u8] = if session { &[DATA] } else { b"" };
        let frame = StampedFrame::with_prefix(prefix, size, mask);
        let sender = Sender { frame, size, session, mask };
        tokio::spawn(async move {
            let why = echo(conn, local, sender, in_flight, &tally, go).await;
            tally.progress.on_end(local, why);
        });
    })
    .await?;
    Ok(())
}

/// What one connection sends.
struct Sender {
    frame: StampedFrame,
    /// Payload bytes.
    size: usize,
    /// Session mode: acknowledge what was received.
    session: bool,
    /// The connection's mask key.
    mask: [u8; 4],
}

/// Runs one connection until it fails; returns why it ended.
async fn echo(
    conn: Connected,
    local: usize,
    mut sender: Sender,
    in_flight: usize,
    tally: &Tally,
    mut go: watch::Receiver<bool>,
) -> String {
    if !wait_for_go(&mut go).await {
        return "the worker stopped".into();
    }
    let (mut read, mut write) = conn.stream.into_split();
    let mut out = Vec::with_capacity(sender.frame.len() * in_flight);
    let (mut counter, mut messages) = (FrameCounter::default(), Messages::new(sender.session));
    let mut buf = vec![0u8; READ_SIZE];
    // The first round: `in_flight` messages, and any echo already read.
    let echoed = match take(&mut counter, &mut messages, &conn.leftover, &sender, local, tally) {
        Ok(echoed) => echoed,
        Err(why) => return why,
    };
    let mut due = echoed + in_flight;
    // Echoes received and acknowledged (session mode).
    let (mut received, mut acked) = (echoed as u64, 0u64);
    loop {
        out.clear();
        let now = clock::now_ns();
        for _ in 0..due {
            sender.frame.append(now, &mut out);
        }
        if sender.session && prefix::ack_due(received, acked, ACK_EVERY) {
            out.extend_from_slice(&prefix::control_frame(&prefix::ack_text(received), sender.mask));
            acked = received;
        }
        if let Err(e) = write.write_all(&out).await {
            return format!("send: {e}");
        }
        tally.sent.fetch_add(due as u64, Relaxed);
        due = 0;
        while due == 0 {
            let n = match read.read(&mut buf).await {
                Ok(0) => return "closed by the server".into(),
                Ok(n) => n,
                Err(e) => return format!("read: {e}"),
            };
            due = match take(&mut counter, &mut messages, &buf[..n], &sender, local, tally) {
                Ok(echoed) => echoed,
                Err(why) => return why,
            };
        }
        received += due as u64;
    }
}

/// Counts the echoes completed by `data`; fails on anything unexpected.
fn take(
    counter: &mut FrameCounter,
    messages: &mut Messages,
    data: &[u8],
    sender: &Sender,
    local: usize,
    tally: &Tally,
) -> Result<usize, String> {
    let (mut echoed, mut problem) = (0, None);
    counter
        .feed(data, |f| match messages.on_frame(f) {
            Some(Event::Message { stamp: Some(sent), len, wire_len })
                if len == sender.size as u64 =>
            {
                tally.record_latency(clock::now_ns().saturating_sub(sent));
                tally.progress.on_message(local, false, wire_len);
                echoed += 1;
            }
            Some(Event::Message { len, .. }) => {
                problem.get_or_insert(format!(
                    "an echo of {len} bytes without the timestamp sent, or not the {} sent",
                    sender.size
                ));
            }
            Some(Event::Control(OpCode::Close)) => {
                problem.get_or_insert("closed by the server".into());
            }
            Some(Event::Control(_) | Event::SessionControl) => tally.progress.on_control(),
            None => {}
        })
        .map_err(|e| format!("bad frame: {e}"))?;
    problem.map_or(Ok(echoed), Err)
}
