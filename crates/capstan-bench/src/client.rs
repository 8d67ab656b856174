//! The load generator's connections: the testkit's raw client connects
//! and makes the handshake; then frames to send, and a reader task that
//! counts what arrives without decoding it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use capstan::ws::OpCode;
use capstan::ws::deflate::compress_shared;
use capstan_testkit::client::{Client, dial};
use capstan_testkit::counter::{Counted, FrameCounter};
use capstan_testkit::frame::client_frame;
use capstan_testkit::handshake::{self, offer_line};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio::task::AbortHandle;

use crate::progress::Progress;

/// Bytes read at once by a reader task.
const READ_SIZE: usize = 16 * 1024;

/// A connection after its handshake.
#[derive(Debug)]
pub struct Connected {
    /// The socket.
    pub stream: TcpStream,
    /// The server's Sec-WebSocket-Extensions answer.
    pub extensions: Option<String>,
    /// Bytes read past the response head (frames already sent).
    pub leftover: Vec<u8>,
}

/// Connects to `addr` and upgrades `path`, offering `offer`.
pub async fn connect(
    addr: SocketAddr,
    path: &str,
    index: u64,
    offer: Option<&str>,
) -> Result<Connected, String> {
    connect_from(None, addr, path, index, offer).await
}

/// Connects to `addr` from `source` (see [`dial`]: loopback addresses
/// only) with TCP_NODELAY, and upgrades `path` with key `index`, offering
/// `offer`.
pub async fn connect_from(
    source: Option<IpAddr>,
    addr: SocketAddr,
    path: &str,
    index: u64,
    offer: Option<&str>,
) -> Result<Connected, String> {
    let stream = dial(addr, source).await?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let key = handshake::key(index);
    let extra = offer.map(offer_line).unwrap_or_default();
    let request = handshake::request(&addr.to_string(), path, &key, &extra);
    let client = Client::upgrade(stream, request.as_bytes()).await.map_err(|e| e.to_string())?;
    let extensions = client.extensions().map(str::to_owned);
    let (stream, leftover) = client.into_parts();
    Ok(Connected { stream, extensions, leftover: leftover.to_vec() })
}

/// A masked text frame carrying `text`, compressed (RSV1) if `compress`.
pub fn text_frame(text: &str, compress: bool, index: usize) -> Vec<u8> {
    let mask = (index as u32).wrapping_mul(0x9e37_79b1).to_be_bytes();
    if compress {
        // A fresh window: valid with or without client context takeover.
        client_frame(OpCode::Text, true, true, &compress_shared(text.as_bytes(), 6, 15), mask)
    } else {
        client_frame(OpCode::Text, true, false, text.as_bytes(), mask)
    }
}

/// Starts the task that counts connection `index`'s incoming frames into
/// `progress`, beginning with `leftover`.
pub fn spawn_reader(
    mut read: OwnedReadHalf,
    index: usize,
    leftover: Vec<u8>,
    progress: Arc<Progress>,
) -> AbortHandle {
    let task = tokio::spawn(async move {
        let mut counter = FrameCounter::default();
        let on_frame = |frame: Counted| {
            let h = frame.header;
            if h.opcode.is_control() {
                progress.on_control();
            } else if h.fin {
                // Compressed messages have RSV1 on their first frame; the
                // server sends every message in one frame.
                progress.on_message(index, h.rsv1, frame.wire_len);
            }
        };
        if let Err(e) = counter.feed(&leftover, on_frame) {
            return progress.on_end(index, format!("bad frame: {e}"));
        }
        let mut buf = vec![0u8; READ_SIZE];
        loop {
            match read.read(&mut buf).await {
                Ok(0) => return progress.on_end(index, "closed by the server".into()),
                Ok(n) => {
                    if let Err(e) = counter.feed(&buf[..n], on_frame) {
                        return progress.on_end(index, format!("bad frame: {e}"));
                    }
                }
                Err(e) => return progress.on_end(index, format!("read: {e}")),
            }
        }
    });
    task.abort_handle()
}
