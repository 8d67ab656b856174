//! One WAMP session over a raw WebSocket connection: the TCP connection
//! (loopback only, from a chosen source address), the opening handshake
//! asking for the serializer's subprotocol, HELLO → WELCOME; then frames
//! split off the stream whole, pings answered, a close frame or ABORT
//! taken as the router ending the session.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use capstan::ws::OpCode;
use capstan_testkit::client::{Client, dial};
use capstan_testkit::frame::{Frame, client_frame};
use capstan_testkit::handshake;
use capstan_wamp::{Id, Message, Serializer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::codec::{Codec, mask, subprotocol_line};
use super::error::LoadError;
use super::messages;

/// Bytes a session reads at once.
pub const READ_SIZE: usize = 16 * 1024;

/// Where the sessions go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The router's address (loopback).
    pub addr: SocketAddr,
    /// The WebSocket path (`/ws`).
    pub path: String,
    /// The realm to join.
    pub realm: String,
    /// The serializer to ask for.
    pub serializer: Serializer,
}

/// A joined session.
#[derive(Debug)]
pub struct Session {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read and not yet taken.
    pub buf: BytesMut,
    /// Its framing.
    pub codec: Codec,
    /// The session ID the router gave.
    pub id: Id,
    /// Frames sent (for their mask keys).
    frames: u64,
    /// The last request ID used.
    requests: u64,
}

impl Session {
    /// Connects session `index` to `target` from `source`, and joins its
    /// realm; each wait bounded by `timeout`.
    pub async fn join(
        target: &Target,
        index: usize,
        source: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<Session, LoadError> {
        let connect = |why: String| LoadError::Connect { index, why };
        let stream = within(timeout, "the TCP connection", dial(target.addr, source))
            .await?
            .map_err(connect)?;
        stream.set_nodelay(true).map_err(|e| connect(format!("nodelay: {e}")))?;
        let key = handshake::key(index as u64);
        let extra = subprotocol_line(target.serializer);
        let request = handshake::request(&target.addr.to_string(), &target.path, &key, &extra);
        let client =
            within(timeout, "the opening handshake", Client::upgrade(stream, request.as_bytes()))
                .await?
                .map_err(|e| connect(e.to_string()))?;
        let wanted = target.serializer.subprotocol();
        let agreed = client.response().header("sec-websocket-protocol").map(str::trim);
        if agreed != Some(wanted) {
            return Err(LoadError::Subprotocol { wanted, got: agreed.map(str::to_owned) });
        }
        let (stream, buf) = client.into_parts();
        let codec = Codec::new(target.serializer);
        let mut session =
            Session { stream, buf, codec, id: messages::request(1), frames: 0, requests: 0 };
        session.send(&messages::hello(&target.realm)).await?;
        match session.next(timeout, "WELCOME").await? {
            Message::Welcome { session: id, .. } => session.id = id,
            other => return Err(unexpected("WELCOME", &other)),
        }
        Ok(session)
    }

    /// A new request ID of this session.
    pub fn next_request(&mut self) -> u64 {
        self.requests += 1;
        self.requests
    }

    /// A new frame number, for [`Codec::frame`]'s mask.
    pub fn next_frame(&mut self) -> u64 {
        self.frames += 1;
        self.frames
    }

    /// Sends `message` in one frame.
    pub async fn send(&mut self, message: &Message) -> Result<(), LoadError> {
        let n = self.next_frame();
        let frame = self.codec.frame(message, n)?;
        self.write(&frame).await
    }

    /// Writes bytes already framed.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), LoadError> {
        self.stream.write_all(bytes).await.map_err(|e| LoadError::Io(format!("write: {e}")))
    }

    /// The next WAMP message (pings answered on the way), within
    /// `timeout`; `what` names it for the error.
    pub async fn next(&mut self, timeout: Duration, what: &str) -> Result<Message, LoadError> {
        within(timeout, what, async {
            loop {
                let mut replies = Vec::new();
                let mut found = None;
                let codec = self.codec;
                drain_frames(&mut self.buf, &mut replies, |frame| {
                    if found.is_none() {
                        found = Some(codec.read(&frame));
                        return Ok(Flow::Stop);
                    }
                    Ok(Flow::Continue)
                })?;
                if !replies.is_empty() {
                    self.write(&replies).await?;
                }
                if let Some(message) = found {
                    return match message? {
                        Message::Abort { reason, .. } => {
                            Err(LoadError::Ended(format!("ABORT {reason}")))
                        }
                        Message::Goodbye { reason, .. } => {
                            Err(LoadError::Ended(format!("GOODBYE {reason}")))
                        }
                        message => Ok(message),
                    };
                }
                read_more(&mut self.stream, &mut self.buf).await?;
            }
        })
        .await?
    }
}

/// Whether to go on splitting frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Split the next one.
    Continue,
    /// Leave the rest in the buffer.
    Stop,
}

/// Splits the whole frames off `buf`: data frames go to `on_data`, pings
/// get their pong appended to `replies`, pongs are dropped, a close frame
/// is the router ending the session.
pub fn drain_frames(
    buf: &mut BytesMut,
    replies: &mut Vec<u8>,
    mut on_data: impl FnMut(Frame) -> Result<Flow, LoadError>,
) -> Result<(), LoadError> {
    while let Some(frame) = Frame::split(buf).map_err(LoadError::Protocol)? {
        match frame.header.opcode {
            OpCode::Ping => replies.extend_from_slice(&pong(&frame.payload)),
            OpCode::Pong => {}
            OpCode::Close => {
                let code = frame.close_code().map_or("no code".into(), |c| c.to_string());
                let reason = String::from_utf8_lossy(frame.payload.get(2..).unwrap_or_default());
                return Err(LoadError::Ended(format!("close frame {code} {reason:?}")));
            }
            _ => {
                if on_data(frame)? == Flow::Stop {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The pong answering a ping with `payload`.
pub fn pong(payload: &Bytes) -> Vec<u8> {
    client_frame(OpCode::Pong, true, false, payload, mask(payload.len() as u64))
}

/// Reads more of `stream` into `buf`; the router closing it is an error.
pub async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<usize, LoadError> {
    buf.reserve(READ_SIZE);
    match stream.read_buf(buf).await {
        Ok(0) => Err(LoadError::Ended("the TCP connection closed".into())),
        Ok(n) => Ok(n),
        Err(e) => Err(LoadError::Io(format!("read: {e}"))),
    }
}

/// `work`, or a timeout naming `what`.
pub async fn within<T>(
    timeout: Duration,
    what: &str,
    work: impl Future<Output = T>,
) -> Result<T, LoadError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| LoadError::Timeout { what: what.to_owned(), after: timeout })
}

/// A message that came instead of `wanted`.
pub fn unexpected(wanted: &str, got: &Message) -> LoadError {
    match got {
        Message::Error { error, .. } => {
            LoadError::Protocol(format!("expected {wanted}, got ERROR {error}"))
        }
        other => LoadError::Protocol(format!("expected {wanted}, got {:?}", other.code())),
    }
}

#[cfg(test)]
mod tests {
    use capstan::ws::{FrameHeader, encode_frame};

    use super::*;

    fn server_frame(opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let header = FrameHeader {
            fin: true,
            rsv1: false,
            rsv23: false,
            opcode,
            mask: None,
            payload_len: 0,
        };
        encode_frame(header, payload)
    }

    #[test]
    fn pings_are_answered_and_data_handed_over() {
        let mut wire = server_frame(OpCode::Ping, b"hi");
        wire.extend(server_frame(OpCode::Text, b"[2,1,{}]"));
        wire.extend(server_frame(OpCode::Pong, b""));
        wire.extend(server_frame(OpCode::Text, b"[2,2,{}]"));
        // Half a frame stays in the buffer.
        let last = server_frame(OpCode::Text, b"[2,3,{}]");
        wire.extend(&last[..3]);
        let mut buf = BytesMut::from(&wire[..]);
        let mut replies = Vec::new();
        let mut data = Vec::new();
        drain_frames(&mut buf, &mut replies, |frame| {
            data.push(frame.payload);
            Ok(Flow::Continue)
        })
        .unwrap();
        assert_eq!(data, vec![Bytes::from_static(b"[2,1,{}]"), Bytes::from_static(b"[2,2,{}]")]);
        assert_eq!(replies, pong(&Bytes::from_static(b"hi")));
        assert_eq!(&buf[..], &last[..3]);
    }

    #[test]
    fn stop_leaves_the_rest() {
        let mut wire = server_frame(OpCode::Text, b"a");
        wire.extend(server_frame(OpCode::Text, b"b"));
        let mut buf = BytesMut::from(&wire[..]);
        let mut seen = 0;
        drain_frames(&mut buf, &mut Vec::new(), |_| {
            seen += 1;
            Ok(Flow::Stop)
        })
        .unwrap();
        assert_eq!(seen, 1);
        assert_eq!(&buf[..], &server_frame(OpCode::Text, b"b")[..]);
    }

    #[test]
    fn a_close_frame_ends_the_session() {
        let mut payload = 1008u16.to_be_bytes().to_vec();
        payload.extend(b"slow consumer");
        let mut buf = BytesMut::from(&server_frame(OpCode::Close, &payload)[..]);
        let error = drain_frames(&mut buf, &mut Vec::new(), |_| Ok(Flow::Continue)).unwrap_err();
        assert_eq!(error, LoadError::Ended("close frame 1008 \"slow consumer\"".into()));
    }
}
