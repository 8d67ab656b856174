//! Echo over session mode's HTTP fallback: each connection is a session
//! opened by POST, whose echoes come down a Server-Sent Events response
//! and whose messages go up in batch POSTs, one at a time, each carrying
//! every message due since the last (and an `ack` at least every
//! [`ACK_EVERY`] echoes). `in_flight` messages are kept outstanding, as
//! over WebSocket; a round trip is timed from its batch's POST.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use super::{CONNECT_TIMEOUT, wait_for_go};
use crate::clock;
use crate::fleet::open_many;
use crate::loadgen::plan::WorkerPlan;
use crate::loadgen::tally::Tally;
use crate::loadgen::transport::ACK_EVERY;
use crate::session_mode::sse::{Kind, SseReader};
use crate::session_mode::{batch, http, prefix};
use crate::sources;
use crate::stamp;

/// Bytes read at once from a downstream.
const READ_SIZE: usize = 64 * 1024;

/// One session, open and welcomed.
struct Session {
    addr: SocketAddr,
    source: Option<IpAddr>,
    token: String,
    down: TcpStream,
    reader: SseReader,
}

/// Opens the sessions; each starts sending when told to go.
pub async fn run(
    plan: WorkerPlan,
    tally: Arc<Tally>,
    go: watch::Receiver<bool>,
) -> Result<(), String> {
    let plan = Arc::new(plan);
    let opener = plan.clone();
    let open = move |local: usize| {
        let plan = opener.clone();
        async move { open(&plan, plan.first + local).await }
    };
    let sessions = open_many(plan.count, plan.concurrency, CONNECT_TIMEOUT, open, |done| {
        tally.opened.store(done as u64, Relaxed)
    })
    .await?;
    tally.ready.store(true, Relaxed);
    for (local, session) in sessions.into_iter().enumerate() {
        let (plan, tally, go) = (plan.clone(), tally.clone(), go.clone());
        tokio::spawn(async move {
            let why = echo(session, local, &plan, &tally, go).await;
            tally.progress.on_end(local, why);
        });
    }
    Ok(())
}

/// Opens run-wide session `global`: the open POST, the downstream, and
/// its `welcome`.
async fn open(plan: &WorkerPlan, global: usize) -> Result<Session, String> {
    let source = sources::source_for(global, plan.sources);
    let addr = plan.addrs[global % plan.addrs.len()];
    let token = http::open(addr, source, &plan.path, "sse").await?;
    let (mut down, leftover) = http::downstream(addr, source, &plan.path, "sse", &token).await?;
    let mut reader = SseReader::default();
    let (mut welcomed, mut bytes) = (false, leftover);
    let mut buf = vec![0u8; 4096];
    while !welcomed {
        let mut problem = None;
        reader.feed(&bytes, |event| match event.kind {
            Kind::Control if event.data.starts_with(r#"{"welcome""#) => welcomed = true,
            _ => {
                problem.get_or_insert(format!(
                    "{:?} event before welcome: {}",
                    event.kind, event.data
                ));
            }
        })?;
        if let Some(problem) = problem {
            return Err(problem);
        }
        let n = down.read(&mut buf).await.map_err(|e| format!("downstream: {e}"))?;
        if n == 0 && !welcomed {
            return Err("the downstream ended before welcome".into());
        }
        bytes = buf[..n].to_vec();
    }
    Ok(Session { addr, source, token, down, reader })
}

/// Runs one session until it fails; returns why it ended.
async fn echo(
    mut session: Session,
    local: usize,
    plan: &WorkerPlan,
    tally: &Arc<Tally>,
    mut go: watch::Receiver<bool>,
) -> String {
    if !wait_for_go(&mut go).await {
        return "the worker stopped".into();
    }
    // Echoes to answer and echoes received so far, to the poster.
    let (due, due_rx) = mpsc::unbounded_channel::<(usize, u64)>();
    let path = format!("{}?capstan=send&transport={}", plan.path, session.token);
    let mut poster = tokio::spawn(post_batches(
        session.addr,
        session.source,
        path,
        plan.size,
        due_rx,
        tally.clone(),
    ));
    let _ = due.send((plan.in_flight, 0));
    let (mut buf, mut received) = (vec![0u8; READ_SIZE], 0u64);
    loop {
        tokio::select! {
            read = session.down.read(&mut buf) => {
                let n = match read {
                    Ok(0) => return "the downstream ended".into(),
                    Ok(n) => n,
                    Err(e) => return format!("downstream: {e}"),
                };
                let echoed = match take(&mut session.reader, &buf[..n], plan.size, local, tally) {
                    Ok(echoed) => echoed,
                    Err(why) => return why,
                };
                if echoed > 0 {
                    received += echoed as u64;
                    let _ = due.send((echoed, received));
                }
            }
            ended = &mut poster => {
                return ended.unwrap_or_else(|e| format!("poster: {e}"));
            }
        }
    }
}

/// Counts the echoes in `data`; fails on anything unexpected.
fn take(
    reader: &mut SseReader,
    data: &[u8],
    size: usize,
    local: usize,
    tally: &Tally,
) -> Result<usize, String> {
    let (mut echoed, mut problem) = (0, None);
    let ended = reader.feed(data, |event| match event.kind {
        Kind::Text(_) => {
            // A JSON string without escapes: the payload between quotes.
            let text = event.data.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
            match text.map(|t| (t.len(), stamp::decode(t.as_bytes()))) {
                Some((len, Some(sent))) if len == size => {
                    tally.record_latency(clock::now_ns().saturating_sub(sent));
                    tally.progress.on_message(local, false, event.len as u64);
                    echoed += 1;
                }
                _ => {
                    problem.get_or_insert(format!("an echo that is not the {size} B sent"));
                }
            }
        }
        Kind::Control => tally.progress.on_control(),
        Kind::Close => {
            problem.get_or_insert(format!("closed by the server: {}", event.data));
        }
        other => {
            problem.get_or_insert(format!("unexpected {other:?} event"));
        }
    })?;
    if ended {
        problem.get_or_insert("the downstream ended".into());
    }
    problem.map_or(Ok(echoed), Err)
}

/// Sends the messages due, one batch POST at a time: each batch holds
/// every message due when it is sent. Returns why it stopped.
async fn post_batches(
    addr: SocketAddr,
    source: Option<IpAddr>,
    path: String,
    size: usize,
    mut due_rx: mpsc::UnboundedReceiver<(usize, u64)>,
    tally: Arc<Tally>,
) -> String {
    let (mut next, mut acked, mut body) = (1u64, 0u64, String::new());
    while let Some((mut count, mut received)) = due_rx.recv().await {
        while let Ok((more, now_received)) = due_rx.try_recv() {
            count += more;
            received = received.max(now_received);
        }
        let ack = if prefix::ack_due(received, acked, ACK_EVERY) { received } else { 0 };
        let payload = stamp::payload(size, clock::now_ns());
        let text = String::from_utf8(payload).unwrap_or_default();
        batch::body(next, &text, count, ack, &mut body);
        match http::post(addr, source, &path, &body).await {
            Ok(answer) if answer.status() == 204 => {}
            Ok(answer) => {
                return format!("batch: {} {}", answer.status(), answer.body_text());
            }
            Err(e) => return e,
        }
        acked = acked.max(ack);
        next += count as u64;
        tally.sent.fetch_add(count as u64, Relaxed);
    }
    "stopped".into()
}
