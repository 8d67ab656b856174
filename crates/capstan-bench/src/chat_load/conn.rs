//! One chat connection over the testkit's raw client: JSON requests out as
//! masked text frames; a reader task that answers pings, counts every byte
//! received, and hands over the messages the caller wants to see.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use bytes::BytesMut;
use capstan::ws::OpCode;
use capstan_testkit::frame::{Frame, MASK, client_frame};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, mpsc};
use tokio::task::AbortHandle;

use crate::client;

/// Bytes read at once.
const READ_SIZE: usize = 16 * 1024;

/// Which messages the reader hands over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Every message.
    All,
    /// Messages until the answer to `add_user` (or an error), then none:
    /// the rest is only counted.
    UntilNamed,
}

/// A connected chat client.
#[derive(Debug)]
pub struct ChatConn {
    write: Arc<Mutex<OwnedWriteHalf>>,
    frames_sent: usize,
    index: usize,
    /// Bytes received (frames, headers included).
    pub received: Arc<AtomicU64>,
    messages: mpsc::UnboundedReceiver<Vec<u8>>,
    reader: AbortHandle,
}

impl Drop for ChatConn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl ChatConn {
    /// Connects to the chat's WebSocket at `addr` (path `/ws`).
    pub async fn connect(addr: SocketAddr, index: usize, keep: Keep) -> Result<Self, String> {
        let connected = client::connect(addr, "/ws", index as u64, None).await?;
        let (read, write) = connected.stream.into_split();
        let write = Arc::new(Mutex::new(write));
        let received = Arc::new(AtomicU64::new(0));
        let (tx, messages) = mpsc::unbounded_channel();
        let task = tokio::spawn(read_frames(
            read,
            connected.leftover,
            write.clone(),
            received.clone(),
            tx,
            keep,
        ));
        Ok(Self { write, frames_sent: 0, index, received, messages, reader: task.abort_handle() })
    }

    /// Sends `{"type": kind, "data": data}`.
    pub async fn send(&mut self, kind: &str, data: Value) -> Result<(), String> {
        let text = serde_json::json!({ "type": kind, "data": data }).to_string();
        self.frames_sent += 1;
        let frame =
            client::text_frame(&text, false, self.index.wrapping_mul(7919) + self.frames_sent);
        self.write.lock().await.write_all(&frame).await.map_err(|e| format!("send: {e}"))
    }

    /// The next message handed over; `None` once the connection ended.
    pub async fn next(&mut self) -> Option<Vec<u8>> {
        self.messages.recv().await
    }

    /// A message handed over already, if any.
    pub fn try_next(&mut self) -> Option<Vec<u8>> {
        self.messages.try_recv().ok()
    }
}

/// Whether `payload` is an envelope of type `kind` (serde_json writes the
/// keys in order, so `type` comes after `data`; either order is accepted).
pub fn is_type(payload: &[u8], kind: &str) -> bool {
    let field = format!("\"type\":\"{kind}\"");
    payload.starts_with(format!("{{{field}").as_bytes())
        || payload.ends_with(format!("{field}}}").as_bytes())
}

async fn read_frames(
    mut read: OwnedReadHalf,
    leftover: Vec<u8>,
    write: Arc<Mutex<OwnedWriteHalf>>,
    received: Arc<AtomicU64>,
    tx: mpsc::UnboundedSender<Vec<u8>>,
    keep: Keep,
) {
    let mut buf = BytesMut::from(&leftover[..]);
    let mut handing_over = true;
    loop {
        // Whole frames are split off the buffer without a copy; a frame no
        // server may send ends the connection.
        while let Some(frame) = match Frame::split(&mut buf) {
            Ok(frame) => frame,
            Err(_) => return,
        } {
            received.fetch_add(frame.raw.len() as u64, Relaxed);
            let payload = &frame.payload[..];
            match frame.header.opcode {
                OpCode::Ping => {
                    let pong = client_frame(OpCode::Pong, true, false, payload, MASK);
                    if write.lock().await.write_all(&pong).await.is_err() {
                        return;
                    }
                }
                OpCode::Close => return,
                _ if handing_over => {
                    if keep == Keep::UntilNamed
                        && (is_type(payload, "add_user") || is_type(payload, "error"))
                    {
                        handing_over = false;
                    }
                    if tx.send(payload.to_vec()).is_err() {
                        handing_over = false;
                    }
                }
                _ => {}
            }
        }
        buf.reserve(READ_SIZE);
        match read.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_types_either_key_order() {
        assert!(is_type(br#"{"data":{"username":"a"},"type":"add_user"}"#, "add_user"));
        assert!(is_type(br#"{"type":"add_user","data":{}}"#, "add_user"));
        assert!(!is_type(
            br#"{"data":{"content":"\"type\":\"add_user\""},"type":"message"}"#,
            "add_user"
        ));
    }
}
