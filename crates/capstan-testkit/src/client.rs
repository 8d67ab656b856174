//! The raw WebSocket client: a TCP stream after the opening handshake, on
//! which a test writes frames as it likes (well-formed or not, whole or a
//! byte at a time) and reads the server's frames, raw or decoded, each
//! read bounded by [`WAIT`](crate::wait::WAIT).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use bytes::BytesMut;
use capstan::ws::{CloseFrame, Decoder, Event, OpCode, Role};
use capstan::{Limits, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::frame::{Frame, MASK, client_frame};
use crate::handshake::{self, upgrade_request};
use crate::http::{self, HeadError, Response};
use crate::wait::within;

/// Opens a TCP connection to `addr` from `source` (bound before
/// connecting, port chosen by the kernel; the default address when
/// `None`). Refuses any `addr` that is not a loopback address: what these
/// clients load is always on this machine.
pub async fn dial(addr: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream, String> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to connect to {addr}: not a loopback address"));
    }
    match source {
        None => TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}")),
        Some(source) => {
            let socket = if source.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }
                .map_err(|e| format!("socket: {e}"))?;
            socket.bind(SocketAddr::new(source, 0)).map_err(|e| format!("bind {source}: {e}"))?;
            socket.connect(addr).await.map_err(|e| format!("connect from {source}: {e}"))
        }
    }
}

/// Why an opening handshake did not give a WebSocket connection.
#[derive(Debug)]
pub enum UpgradeError {
    /// Writing the request or reading the answer failed, or the server
    /// closed before the end of its answer's head.
    Io(String),
    /// The server answered, with another status than 101.
    Refused(Response),
    /// A 101 that a client must fail (RFC 6455 §4.1), or a head that is
    /// not HTTP.
    Invalid(String),
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpgradeError::Io(why) | UpgradeError::Invalid(why) => f.write_str(why),
            UpgradeError::Refused(response) => {
                write!(f, "expected 101, got {:?}", response.status_line)
            }
        }
    }
}

impl std::error::Error for UpgradeError {}

/// A WebSocket connection on a bare TCP stream, written and read by hand.
/// Server frames are decoded by Capstan's codec as a client's, without
/// size limits and without extensions (a compressed frame fails
/// [`next_event`](Client::next_event); read those with
/// [`next_frame`](Client::next_frame)).
#[derive(Debug)]
pub struct Client {
    /// The socket, for what a test does to it directly (shut it down,
    /// write a byte at a time, read its address).
    pub stream: TcpStream,
    /// Received bytes not yet taken.
    buf: BytesMut,
    decoder: Decoder,
    response: Response,
    extensions: Option<String>,
}

impl Client {
    /// Connects to `addr` and upgrades `path` with the tests' request
    /// ([`upgrade_request`]); panics if that fails.
    pub async fn connect(addr: SocketAddr, path: &str) -> Client {
        Client::connect_with(addr, path, "").await
    }

    /// Like [`connect`](Client::connect), with `extra` header lines (each
    /// ending in CRLF).
    pub async fn connect_with(addr: SocketAddr, path: &str, extra: &str) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let request = upgrade_request(path, extra);
        let upgraded = within("the handshake", Client::upgrade(stream, request.as_bytes())).await;
        upgraded.unwrap_or_else(|e| panic!("not upgraded: {e}"))
    }

    /// Sends `request` (a whole request head, and whatever a test sends
    /// right behind it) on `stream` and reads the answer, checked as a
    /// client must (see [`handshake::check`]) against the request's own
    /// Sec-WebSocket-Key. Unbounded in time: the caller bounds it.
    pub async fn upgrade(mut stream: TcpStream, request: &[u8]) -> Result<Client, UpgradeError> {
        let io = |what: &str, e: std::io::Error| UpgradeError::Io(format!("{what}: {e}"));
        stream.write_all(request).await.map_err(|e| io("send the request", e))?;
        let mut buf = BytesMut::with_capacity(1024);
        let response = http::read_head(&mut stream, &mut buf).await.map_err(|e| match e {
            HeadError::Invalid(why) => UpgradeError::Invalid(why),
            other => UpgradeError::Io(other.to_string()),
        })?;
        if !handshake::is_101(&response) {
            return Err(UpgradeError::Refused(response));
        }
        let head = String::from_utf8_lossy(request);
        let key = request_key(&head).unwrap_or_default();
        let extensions = handshake::check(&response, key).map_err(UpgradeError::Invalid)?;
        let limits = Limits { max_frame_size: usize::MAX, max_message_size: usize::MAX };
        let decoder = Decoder::new(Role::Client, limits);
        Ok(Client { stream, buf, decoder, response, extensions })
    }

    /// The server's 101 answer.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// The extensions the server agreed to (its Sec-WebSocket-Extensions).
    pub fn extensions(&self) -> Option<&str> {
        self.extensions.as_deref()
    }

    /// The stream, and the bytes already read from it past the handshake
    /// (frames the server sent at once), for a reader of one's own.
    pub fn into_parts(self) -> (TcpStream, BytesMut) {
        (self.stream, self.buf)
    }

    /// Sends a frame masked with [`MASK`], RSV bits clear.
    pub async fn send_frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        self.send_raw(&client_frame(opcode, fin, false, payload, MASK)).await;
    }

    /// Sends bytes as they are.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("send");
    }

    /// Reads more of the stream into the buffer; `false` once the server
    /// has closed it (or reset it).
    async fn read_more(&mut self) -> bool {
        let read = within("the server's answer", self.stream.read_buf(&mut self.buf)).await;
        matches!(read, Ok(n) if n > 0)
    }

    /// The next frame as the server sent it, or `None` when it closed the
    /// socket. Panics on a frame header no server may send.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(frame) = Frame::split(&mut self.buf).unwrap_or_else(|e| panic!("{e}")) {
                return Some(frame);
            }
            if !self.read_more().await {
                return None;
            }
        }
    }

    /// The next event from the server, decoded (fragments joined, UTF-8
    /// and close payloads checked), or `None` when it closed the socket.
    /// Panics on anything invalid.
    pub async fn next_event(&mut self) -> Option<Event> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(event)) => return Some(event),
                Ok(None) => {}
                Err(e) => panic!("server frames are valid: {e}"),
            }
            if !self.read_more().await {
                return None;
            }
        }
    }

    /// The next data message, skipping pings and pongs; panics on anything
    /// else.
    pub async fn next_message(&mut self) -> Message {
        loop {
            match self.next_event().await {
                Some(Event::Message(message)) => return message,
                Some(Event::Ping(_) | Event::Pong(_)) => continue,
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// The server's close frame (skipping anything before it); then checks
    /// the server closes the TCP connection too, and closes ours.
    pub async fn expect_close(&mut self) -> Option<CloseFrame> {
        loop {
            match self.next_event().await {
                Some(Event::Close(frame)) => {
                    assert_eq!(
                        self.next_event().await,
                        None,
                        "socket closes after the close frame"
                    );
                    let _ = self.stream.shutdown().await;
                    return frame;
                }
                Some(_) => continue,
                None => panic!("connection closed without a close frame"),
            }
        }
    }
}

/// The value of the (first) Sec-WebSocket-Key line of a request head.
fn request_key(request: &str) -> Option<&str> {
    let head = request.split("\r\n\r\n").next().unwrap_or_default();
    head.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::SAMPLE_KEY;

    #[test]
    fn the_key_is_read_from_the_request() {
        assert_eq!(request_key(&upgrade_request("/", "")), Some(SAMPLE_KEY));
        assert_eq!(request_key("GET / HTTP/1.1\r\nsec-websocket-key:  abc \r\n\r\n"), Some("abc"));
        assert_eq!(request_key("GET / HTTP/1.1\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn refuses_addresses_off_this_machine() {
        let error = dial("192.0.2.1:80".parse().unwrap(), None).await.unwrap_err();
        assert!(error.contains("not a loopback address"), "{error}");
    }
}
