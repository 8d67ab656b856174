//! One game connection over the testkit's raw client: JSON requests out as
//! masked text frames; a reader task that answers pings, takes each
//! `add_move_resp` into the [`Book`] with the time its bytes were read,
//! and hands the other messages over while the game is being set up.
//! After the setup, any message but `add_move_resp` is a failure.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use capstan::ws::OpCode;
use capstan_testkit::frame::{Frame, MASK, client_frame};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, mpsc};
use tokio::task::AbortHandle;

use super::book::{Book, Seat};
use crate::client;

/// Bytes read at once (the messages are a few hundred bytes; thousands
/// of connections each keep a buffer).
const READ_SIZE: usize = 4 * 1024;

/// The writing half of a connection, for its game's mover.
#[derive(Debug, Clone)]
pub struct Sender {
    write: Arc<Mutex<OwnedWriteHalf>>,
    index: usize,
}

impl Sender {
    /// Sends `text` as a text frame, masked with a key that varies with `seq`.
    pub async fn send_text(&self, text: &str, seq: usize) -> Result<(), String> {
        let frame = client::text_frame(text, false, self.index.wrapping_mul(7919) + seq);
        self.write.lock().await.write_all(&frame).await.map_err(|e| format!("send: {e}"))
    }
}

/// A connection during its game's setup.
#[derive(Debug)]
pub struct GameConn {
    sender: Sender,
    sent: usize,
    seat: Seat,
    setup: mpsc::UnboundedReceiver<Value>,
    reader: AbortHandle,
}

impl Drop for GameConn {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl GameConn {
    /// Connects (connection `index` of the run, from `source`) as `seat`
    /// of game `game`, and starts its reader.
    pub async fn connect(
        addr: SocketAddr,
        source: Option<IpAddr>,
        index: usize,
        game: usize,
        seat: Seat,
        book: Arc<Book>,
    ) -> Result<Self, String> {
        let connected = client::connect_from(source, addr, "/", index as u64, None).await?;
        let (read, write) = connected.stream.into_split();
        let write = Arc::new(Mutex::new(write));
        let (tx, setup) = mpsc::unbounded_channel();
        let reader = Reader {
            read,
            buf: BytesMut::from(&connected.leftover[..]),
            write: write.clone(),
            game,
            seat,
            book,
            setup: tx,
        };
        let task = tokio::spawn(reader.run());
        Ok(Self {
            sender: Sender { write, index },
            sent: 0,
            seat,
            setup,
            reader: task.abort_handle(),
        })
    }

    /// Sends `{"type": kind, "data": data}`.
    pub async fn send(&mut self, kind: &str, data: Value) -> Result<(), String> {
        let text = serde_json::json!({ "type": kind, "data": data }).to_string();
        self.sent += 1;
        self.sender.send_text(&text, self.sent).await
    }

    /// Waits, `within` at most, for a message of type `kind`, skipping
    /// others (`info_resp` …); its `data`. An `error` fails.
    pub async fn expect(&mut self, kind: &str, within: Duration) -> Result<Value, String> {
        let seat = self.seat;
        let waiting = async {
            while let Some(mut message) = self.setup.recv().await {
                match message["type"].as_str() {
                    Some(k) if k == kind => return Ok(message["data"].take()),
                    Some("error") => {
                        return Err(format!(
                            "{seat:?} waiting for {kind}: error {}",
                            message["data"]
                        ));
                    }
                    _ => {}
                }
            }
            Err(format!("{seat:?}: the connection ended while waiting for {kind}"))
        };
        tokio::time::timeout(within, waiting)
            .await
            .unwrap_or_else(|_| Err(format!("{seat:?}: no {kind} within {within:?}")))
    }

    /// The setup is over: from now on, anything but `add_move_resp` is a failure.
    pub fn end_setup(&mut self) {
        self.setup.close();
    }

    /// The writing half, for the mover.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }
}

/// A connection's reading task.
struct Reader {
    read: OwnedReadHalf,
    buf: BytesMut,
    write: Arc<Mutex<OwnedWriteHalf>>,
    game: usize,
    seat: Seat,
    book: Arc<Book>,
    setup: mpsc::UnboundedSender<Value>,
}

impl Reader {
    async fn run(mut self) {
        // Frames that came with the handshake's answer first.
        let mut at = Instant::now();
        loop {
            if let Err(why) = self.frames(at).await {
                return self.book.fail(self.game, false, format!("{:?}: {why}", self.seat));
            }
            self.buf.reserve(READ_SIZE);
            match self.read.read_buf(&mut self.buf).await {
                Ok(0) => {
                    let why = format!("{:?}: closed by the server", self.seat);
                    return self.book.fail(self.game, false, why);
                }
                Err(e) => {
                    return self.book.fail(self.game, false, format!("{:?}: read: {e}", self.seat));
                }
                Ok(_) => at = Instant::now(),
            }
        }
    }

    /// Takes every whole frame in the buffer, read at `at`.
    async fn frames(&mut self, at: Instant) -> Result<(), String> {
        while let Some(frame) = Frame::split(&mut self.buf)? {
            match frame.header.opcode {
                OpCode::Text => self.message(&frame.payload, at),
                OpCode::Ping => {
                    let pong = client_frame(OpCode::Pong, true, false, &frame.payload, MASK);
                    self.write
                        .lock()
                        .await
                        .write_all(&pong)
                        .await
                        .map_err(|e| format!("write: {e}"))?;
                }
                OpCode::Close => {
                    return Err(format!(
                        "close frame from the server, code {:?}",
                        frame.close_code()
                    ));
                }
                other => return Err(format!("unexpected {other:?} frame")),
            }
        }
        Ok(())
    }

    /// One message from the server.
    fn message(&self, payload: &[u8], at: Instant) {
        let fail = |error: bool, why: String| {
            self.book.fail(self.game, error, format!("{:?}: {why}", self.seat))
        };
        let Ok(message) = serde_json::from_slice::<Value>(payload) else {
            return fail(false, format!("not JSON: {}", String::from_utf8_lossy(payload)));
        };
        match message["type"].as_str().unwrap_or("") {
            "add_move_resp" => {
                let data = &message["data"];
                let number = data["move_number"].as_u64().and_then(|n| u32::try_from(n).ok());
                match (number, data["symbol"].as_str()) {
                    (Some(number), Some(symbol)) => {
                        self.book.received(self.game, self.seat, number, symbol, at)
                    }
                    _ => fail(
                        false,
                        format!("add_move_resp without move_number or symbol: {message}"),
                    ),
                }
            }
            "error" => {
                let text = message["data"]["message"].as_str().unwrap_or("?").to_owned();
                // The setup quotes it too.
                let _ = self.setup.send(message);
                fail(true, format!("error: {text}"));
            }
            kind => {
                let kind = kind.to_owned();
                if let Err(unwanted) = self.setup.send(message) {
                    fail(false, format!("unexpected {kind}: {}", unwanted.0));
                }
            }
        }
    }
}
