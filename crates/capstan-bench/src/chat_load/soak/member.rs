//! One soak connection: opened, named, in its room and out of `general`;
//! then a task that takes everything the server sends into the books,
//! answers the server's pings, and sends a ping of its own every interval,
//! each of which must be answered before the next is due.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use bytes::BytesMut;
use capstan::ws::OpCode;
use capstan_testkit::frame::{Frame, MASK, client_frame};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use super::books::{Books, Seat};
use super::error::SoakError;
use super::layout::room_name;
use crate::{client, clock};

/// Bytes read at once (messages here are a few hundred bytes; a larger
/// buffer would be kept by every one of thousands of connections).
const READ_SIZE: usize = 4 * 1024;

/// Where the worker's run is; every connection follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Connections opening.
    Setup,
    /// Pings and messages, since the instant given.
    Run(Instant),
    /// No more pings or messages sent: the last answers come in.
    Drain,
    /// The end: a ping still unanswered is missed.
    Finish,
}

impl Stage {
    /// Whether pings may be sent.
    pub fn pings(self) -> bool {
        matches!(self, Self::Run(_))
    }
}

/// When a connection pings.
#[derive(Debug, Clone, Copy)]
pub struct Pinging {
    /// Between two pings.
    pub every: Duration,
    /// The first ping comes this long after the run starts (connections
    /// are spread over the interval).
    pub offset: Duration,
}

/// An open connection, for the publisher.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its number in the run.
    pub index: usize,
    /// Its room's number.
    pub room: usize,
    /// Its socket's writing half (shared with its reading task).
    pub write: Arc<Mutex<OwnedWriteHalf>>,
}

impl Member {
    /// Sends the text `text` (a masked frame whose mask varies with `seq`).
    pub async fn send_text(&self, text: &str, seq: u64) -> std::io::Result<()> {
        let frame = client::text_frame(text, false, self.index.wrapping_mul(7919) + seq as usize);
        self.write.lock().await.write_all(&frame).await
    }
}

/// Opens connection `index` from `source`, takes `seat`'s name, joins its
/// room and leaves `general`; then starts its reading task.
pub async fn open(
    addr: SocketAddr,
    source: Option<IpAddr>,
    index: usize,
    seat: Seat,
    pinging: Pinging,
    books: Arc<StdMutex<Books>>,
    stage: watch::Receiver<Stage>,
) -> Result<Member, SoakError> {
    let connected = client::connect_from(source, addr, "/ws", index as u64, None)
        .await
        .map_err(SoakError::Connect)?;
    let (mut read, write) = connected.stream.into_split();
    let write = Arc::new(Mutex::new(write));
    let room = room_name(seat.room);
    let mut requests = Vec::new();
    for (seq, (kind, data)) in [
        ("add_user", json!({ "username": seat.name })),
        ("join", json!({ "room": room })),
        ("leave", json!({ "room": "general" })),
    ]
    .into_iter()
    .enumerate()
    {
        let text = json!({ "type": kind, "data": data }).to_string();
        requests.extend(client::text_frame(&text, false, index * 8 + seq));
    }
    let io = |e: std::io::Error| SoakError::Connect(e.to_string());
    write.lock().await.write_all(&requests).await.map_err(io)?;
    let mut buf = BytesMut::from(&connected.leftover[..]);
    let mut waiting = ["add_user", "joined", "left"].to_vec();
    while !waiting.is_empty() {
        while let Some(frame) = Frame::split(&mut buf).map_err(SoakError::Connect)? {
            match frame.header.opcode {
                OpCode::Ping => pong(&write, &frame.payload).await.map_err(io)?,
                OpCode::Close => return Err(SoakError::Connect("closed during setup".into())),
                OpCode::Text => {
                    let Ok(envelope) = serde_json::from_slice::<Value>(&frame.payload) else {
                        continue;
                    };
                    let kind = envelope["type"].as_str().unwrap_or("");
                    if kind == "error" {
                        let data = &envelope["data"];
                        return Err(SoakError::Refused {
                            request: data["type"].as_str().unwrap_or("?").to_owned(),
                            code: data["code"].as_str().unwrap_or("?").to_owned(),
                        });
                    }
                    waiting.retain(|&w| w != kind);
                }
                _ => {}
            }
        }
        if waiting.is_empty() {
            break;
        }
        buf.reserve(READ_SIZE);
        if read.read_buf(&mut buf).await.map_err(io)? == 0 {
            return Err(SoakError::Connect("closed during setup".into()));
        }
    }
    books.lock().expect("books").tally.connected += 1;
    let member = Member { index, room: seat.room, write: write.clone() };
    tokio::spawn(Reader { read, buf, write, seat, books, pinging, outstanding: None }.run(stage));
    Ok(member)
}

/// Answers a ping.
async fn pong(write: &Mutex<OwnedWriteHalf>, payload: &[u8]) -> std::io::Result<()> {
    let frame = client_frame(OpCode::Pong, true, false, payload, MASK);
    write.lock().await.write_all(&frame).await
}

/// A connection's reading task.
struct Reader {
    read: OwnedReadHalf,
    buf: BytesMut,
    write: Arc<Mutex<OwnedWriteHalf>>,
    seat: Seat,
    books: Arc<StdMutex<Books>>,
    pinging: Pinging,
    /// The ping awaiting its pong: its number, and when it left.
    outstanding: Option<(u64, Instant)>,
}

impl Reader {
    async fn run(mut self, mut stage: watch::Receiver<Stage>) {
        let mut next_ping: Option<Instant> = None;
        let mut seq = 0u64;
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        loop {
            tokio::select! {
                read = { self.buf.reserve(READ_SIZE); self.read.read_buf(&mut self.buf) } => {
                    let why = match read {
                        Ok(0) => "closed by the server".to_owned(),
                        Err(e) => format!("read: {e}"),
                        Ok(_) => match self.frames().await {
                            Ok(()) => continue,
                            Err(why) => why,
                        },
                    };
                    return self.ended(why, *stage.borrow());
                }
                () = tokio::time::sleep_until(next_ping.unwrap_or(far)), if next_ping.is_some() => {
                    // The stage may have moved on while this task was not
                    // running: a ping sent now, past the drain, would be
                    // counted missed at the end without having had a chance.
                    if !stage.borrow().pings() {
                        next_ping = None;
                        continue;
                    }
                    self.give_up_on_ping();
                    seq += 1;
                    let frame = client_frame(OpCode::Ping, true, false, &seq.to_be_bytes(), MASK);
                    let written = self.write.lock().await.write_all(&frame).await;
                    if let Err(e) = written {
                        return self.ended(format!("write: {e}"), *stage.borrow());
                    }
                    self.outstanding = Some((seq, Instant::now()));
                    let mut books = self.books.lock().expect("books");
                    books.tally.pings += 1;
                    books.pings_open += 1;
                    next_ping = next_ping.map(|at| at + self.pinging.every);
                }
                changed = stage.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = *stage.borrow();
                    match now {
                        Stage::Setup => {}
                        Stage::Run(start) => next_ping = Some(start + self.pinging.offset),
                        Stage::Drain => next_ping = None,
                        Stage::Finish => return self.give_up_on_ping(),
                    }
                }
            }
        }
    }

    /// Takes every whole frame in the buffer; `Err` says why the
    /// connection must end.
    async fn frames(&mut self) -> Result<(), String> {
        while let Some(frame) = Frame::split(&mut self.buf)? {
            match frame.header.opcode {
                OpCode::Text => {
                    let now = clock::now_ns();
                    self.books.lock().expect("books").take(&self.seat, &frame.payload, now);
                }
                OpCode::Ping => {
                    pong(&self.write, &frame.payload).await.map_err(|e| format!("write: {e}"))?
                }
                OpCode::Pong => {
                    let answered =
                        self.outstanding.filter(|(seq, _)| frame.payload[..] == seq.to_be_bytes());
                    if let Some((_, sent)) = answered {
                        self.outstanding = None;
                        let mut books = self.books.lock().expect("books");
                        books.tally.pongs += 1;
                        books.pings_open -= 1;
                        books.tally.pong_rtt.record(sent.elapsed().as_nanos() as u64);
                    }
                }
                OpCode::Close => {
                    let code = frame.payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    return Err(format!("close frame from the server, code {code:?}"));
                }
                other => return Err(format!("unexpected {other:?} frame")),
            }
        }
        Ok(())
    }

    /// Counts the ping awaiting its pong, if any, as missed.
    fn give_up_on_ping(&mut self) {
        if self.outstanding.take().is_some() {
            let mut books = self.books.lock().expect("books");
            books.tally.pongs_missed += 1;
            books.pings_open -= 1;
        }
    }

    /// The connection ended: dropped, unless the run is over.
    fn ended(mut self, why: String, stage: Stage) {
        self.give_up_on_ping();
        if stage != Stage::Finish {
            self.books.lock().expect("books").tally.drop_one(format!("{}: {why}", self.seat.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_only_while_running() {
        assert!(Stage::Run(Instant::now()).pings());
        assert!(![Stage::Setup, Stage::Drain, Stage::Finish].into_iter().any(Stage::pings));
    }
}
