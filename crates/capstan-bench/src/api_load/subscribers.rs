//! The subscribers: WebSocket connections that count the publications
//! they receive (frames carrying the run's marker), all into one counter,
//! and wake the run when the last one arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bytes::BytesMut;
use capstan::ws::OpCode;
use capstan_testkit::frame::{Frame, MASK, client_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinSet;

use super::args::{Options, Protocol};
use crate::client;
use crate::deadline::Deadline;

/// What every publication of a run carries, and nothing else does.
pub const MARKER: &[u8] = b"api-load-";

/// Deliveries counted across the subscribers.
#[derive(Debug, Default)]
pub struct Deliveries {
    /// Publications received, all subscribers together.
    pub count: AtomicU64,
    /// Woken when `count` reaches `expected`.
    pub done: Notify,
    /// The count that completes the run.
    pub expected: AtomicU64,
}

/// Connects `options.subscribers` subscribers, each ready (named, for the
/// chat) before this returns; their readers count into `deliveries`.
pub async fn connect_all(
    options: &Options,
    deliveries: Arc<Deliveries>,
    deadline: &Deadline,
) -> Result<JoinSet<()>, String> {
    let mut readers = JoinSet::new();
    for index in 0..options.subscribers {
        let connected = client::connect(options.addr, "/ws", index as u64, None).await?;
        let (mut read, write) = connected.stream.into_split();
        let write = Arc::new(Mutex::new(write));
        let mut buf = BytesMut::from(&connected.leftover[..]);
        if options.protocol == Protocol::Chat {
            let name = format!("sub{index}");
            let add_user = format!(r#"{{"type":"add_user","data":{{"username":"{name}"}}}}"#);
            let frame = client::text_frame(&add_user, false, index);
            write.lock().await.write_all(&frame).await.map_err(|e| format!("send: {e}"))?;
            deadline.run("waiting for add_user answers", until_named(&mut read, &mut buf)).await?;
        }
        readers.spawn(count(read, buf, write, deliveries.clone()));
    }
    Ok(readers)
}

/// Reads until the `add_user` answer (refused: an error).
async fn until_named(read: &mut OwnedReadHalf, buf: &mut BytesMut) -> Result<(), String> {
    loop {
        while let Some(frame) = Frame::split(buf)? {
            let payload = &frame.payload[..];
            if contains(payload, br#""type":"add_user""#) {
                return Ok(());
            }
            if contains(payload, br#""type":"error""#) {
                return Err(format!("add_user refused: {}", String::from_utf8_lossy(payload)));
            }
        }
        if read.read_buf(buf).await.map_err(|e| format!("read: {e}"))? == 0 {
            return Err("closed before add_user was answered".into());
        }
    }
}

async fn count(
    mut read: OwnedReadHalf,
    mut buf: BytesMut,
    write: Arc<Mutex<OwnedWriteHalf>>,
    deliveries: Arc<Deliveries>,
) {
    loop {
        while let Ok(Some(frame)) = Frame::split(&mut buf) {
            match frame.header.opcode {
                OpCode::Ping => {
                    let pong = client_frame(OpCode::Pong, true, false, &frame.payload, MASK);
                    if write.lock().await.write_all(&pong).await.is_err() {
                        return;
                    }
                }
                OpCode::Close => return,
                _ if contains(&frame.payload, MARKER) => {
                    let now = deliveries.count.fetch_add(1, Relaxed) + 1;
                    if now == deliveries.expected.load(Relaxed) {
                        deliveries.done.notify_one();
                    }
                }
                _ => {}
            }
        }
        buf.reserve(16 * 1024);
        match read.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}
