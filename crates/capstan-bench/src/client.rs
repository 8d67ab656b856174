//! One raw-socket WebSocket client: connect and handshake, frames to send,
//! and a reader task that counts what arrives without decoding it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use capstan::ws::deflate::compress_shared;
use capstan::ws::{FrameHeader, OpCode, encode_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::AbortHandle;

use crate::frames::{Frame, FrameCounter};
use crate::handshake;
use crate::progress::Progress;

/// Bytes read at once by a reader task.
const READ_SIZE: usize = 16 * 1024;
/// Longest response head accepted.
const MAX_HEAD: usize = 8 * 1024;

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

/// Connects to `addr` from `source` (bound before connecting, port chosen
/// by the kernel; the default address when `None`) and upgrades `path`,
/// offering `offer`. Refuses any `addr` that is not a loopback address.
pub async fn connect_from(
    source: Option<IpAddr>,
    addr: SocketAddr,
    path: &str,
    index: u64,
    offer: Option<&str>,
) -> Result<Connected, String> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to connect to {addr}: not a loopback address"));
    }
    let mut stream = match source {
        None => TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?,
        Some(source) => {
            let socket = if source.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }
                .map_err(|e| format!("socket: {e}"))?;
            socket.bind(SocketAddr::new(source, 0)).map_err(|e| format!("bind {source}: {e}"))?;
            socket.connect(addr).await.map_err(|e| format!("connect from {source}: {e}"))?
        }
    };
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let key = handshake::key(index);
    let request = handshake::request(&addr.to_string(), path, &key, offer);
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("send request: {e}"))?;
    let mut buf = Vec::with_capacity(512);
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err("response head too long".into());
        }
        let mut chunk = [0u8; 1024];
        match stream.read(&mut chunk).await {
            Ok(0) => return Err("closed during the handshake".into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("read response: {e}")),
        }
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "response head not UTF-8")?;
    let extensions = handshake::check_response(head, &key)?;
    Ok(Connected { stream, extensions, leftover: buf[end..].to_vec() })
}

/// A masked text frame carrying `text`, compressed (RSV1) if `compress`.
pub fn text_frame(text: &str, compress: bool, index: usize) -> Vec<u8> {
    let mask = (index as u32).wrapping_mul(0x9e37_79b1).to_be_bytes();
    let header = FrameHeader {
        fin: true,
        rsv1: compress,
        rsv23: false,
        opcode: OpCode::Text,
        mask: Some(mask),
        payload_len: 0,
    };
    if compress {
        // A fresh window: valid with or without client context takeover.
        encode_frame(header, &compress_shared(text.as_bytes(), 6, 15))
    } else {
        encode_frame(header, text.as_bytes())
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
        let on_frame = |frame: Frame| {
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
