//! The floor: the loadgen protocol served with as little work as a server
//! can do, to show what the kernel alone costs on this machine. One thread,
//! one `epoll` (mio), one `read` per readiness, the replies to one read in
//! one `write`, and a broadcast written straight from the publisher to each
//! subscriber's socket (one `write` each, a frame encoded once), the way
//! uWebSockets does it. No task, no channel, no lock, no validation beyond
//! what the protocol needs ([`frame`]): it is a measure, not a WebSocket
//! implementation, and must never face anything but the load generator.
//!
//! A subscriber whose socket does not take its frames keeps them in a
//! buffer and is dropped past [`MAX_QUEUED_BYTES`], as the other peers do.

pub mod frame;
pub mod handshake;

use std::io::{self, ErrorKind, Read, Write};
use std::mem;
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use crate::topic::MAX_QUEUED_BYTES;
use frame::{Parsed, opcode};
use handshake::{Answer, Route};

const LISTENER: Token = Token(usize::MAX);

/// Bytes read per `read` call.
const READ_SIZE: usize = 64 << 10;

/// Where a connection is in its life.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading the request head.
    Handshake,
    /// Upgraded.
    Open(Route),
    /// The last bytes are being written; the socket closes after them.
    Closing,
}

/// One accepted connection.
struct Conn {
    stream: TcpStream,
    phase: Phase,
    /// Bytes read that are not yet a whole head or frame.
    unread: Vec<u8>,
    /// Bytes the socket did not take yet.
    unsent: Vec<u8>,
    /// Its position in the subscriber list, once on `/broadcast`.
    subscribed_at: Option<usize>,
}

/// The server: the listener, the connections by token, the subscribers.
pub struct Floor {
    poll: Poll,
    listener: TcpListener,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    subscribers: Vec<usize>,
    read_buf: Box<[u8]>,
    /// The frames answering one read of the connection being served.
    reply: Vec<u8>,
    /// A broadcast frame, encoded once for every subscriber.
    frame: Vec<u8>,
}

impl Floor {
    /// Listens on `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<Floor> {
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(addr)?;
        poll.registry().register(&mut listener, LISTENER, Interest::READABLE)?;
        Ok(Floor {
            poll,
            listener,
            conns: Vec::new(),
            free: Vec::new(),
            subscribers: Vec::new(),
            read_buf: vec![0; READ_SIZE].into_boxed_slice(),
            reply: Vec::new(),
            frame: Vec::new(),
        })
    }

    /// The address listened on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the process is killed.
    pub fn run(mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            match self.poll.poll(&mut events, None) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                result => result?,
            }
            for event in &events {
                match event.token() {
                    LISTENER => self.accept(),
                    Token(i) => {
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.on_readable(i, event.is_read_closed() || event.is_error());
                        }
                        if event.is_writable() {
                            self.on_writable(i);
                        }
                    }
                }
            }
        }
    }

    fn accept(&mut self) {
        loop {
            let mut stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // WouldBlock, or out of descriptors: wait for the next one.
                Err(_) => return,
            };
            let _ = stream.set_nodelay(true);
            let slot = self.free.pop().unwrap_or(self.conns.len());
            let interest = Interest::READABLE | Interest::WRITABLE;
            if self.poll.registry().register(&mut stream, Token(slot), interest).is_err() {
                self.free.push(slot);
                continue;
            }
            let conn = Conn {
                stream,
                phase: Phase::Handshake,
                unread: Vec::new(),
                unsent: Vec::new(),
                subscribed_at: None,
            };
            if slot == self.conns.len() {
                self.conns.push(Some(conn));
            } else {
                self.conns[slot] = Some(conn);
            }
        }
    }

    /// Reads what `i` sent and answers it. One read is enough when it comes
    /// back short (the socket is drained, and new bytes raise a new edge),
    /// unless the peer has closed (`drain`): then read to the end. While
    /// `i` has unsent bytes it is not read: [`Floor::on_writable`] reads
    /// on once they are out.
    fn on_readable(&mut self, i: usize, drain: bool) {
        let mut buf = mem::take(&mut self.read_buf);
        while let Some(conn) = self.conns.get_mut(i).and_then(Option::as_mut) {
            if !conn.unsent.is_empty() {
                // Not read again until what it was answered is written.
                break;
            }
            let n = match conn.stream.read(&mut buf) {
                Ok(0) => {
                    self.close(i);
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    self.close(i);
                    break;
                }
            };
            let served = if conn.unread.is_empty() {
                let consumed = self.serve(i, &mut buf[..n]);
                consumed.map(|at| self.keep_unread(i, &buf[at..n]))
            } else {
                let mut unread = mem::take(&mut conn.unread);
                unread.extend_from_slice(&buf[..n]);
                let consumed = self.serve(i, &mut unread);
                consumed.map(|at| {
                    unread.drain(..at);
                    if let Some(conn) = self.conns[i].as_mut() {
                        conn.unread = unread;
                    }
                })
            };
            if served.is_none() {
                self.close(i);
                break;
            }
            self.send_reply(i);
            if n < buf.len() && !drain {
                break;
            }
        }
        self.read_buf = buf;
    }

    fn keep_unread(&mut self, i: usize, rest: &[u8]) {
        if let Some(conn) = self.conns[i].as_mut()
            && conn.phase != Phase::Closing
        {
            conn.unread.extend_from_slice(rest);
        }
    }

    /// Acts on the whole heads and frames at the start of `data` (read from
    /// `i`), putting `i`'s answers in `self.reply`. Returns how many bytes
    /// it used, or `None` if `i` must be dropped at once.
    fn serve(&mut self, i: usize, data: &mut [u8]) -> Option<usize> {
        let mut at = 0;
        loop {
            let phase = self.conns[i].as_ref()?.phase;
            match phase {
                Phase::Closing => return Some(data.len()),
                Phase::Handshake => {
                    let Some(end) = handshake::head_end(&data[at..]) else {
                        return (data.len() - at <= handshake::MAX_HEAD).then_some(at);
                    };
                    match handshake::answer(&data[at..at + end]) {
                        Answer::Upgrade { response, route } => {
                            self.reply.extend_from_slice(&response);
                            self.set_phase(i, Phase::Open(route));
                            if route == Route::Broadcast {
                                self.subscribe(i);
                            }
                            at += end;
                        }
                        Answer::Refuse(response) => {
                            self.reply.extend_from_slice(response);
                            self.set_phase(i, Phase::Closing);
                            return Some(data.len());
                        }
                    }
                }
                Phase::Open(route) => {
                    let head = match frame::parse(&data[at..]) {
                        Parsed::Incomplete => return Some(at),
                        Parsed::Refused => return None,
                        Parsed::Head(head) => head,
                    };
                    let end = at + head.header_len + head.payload_len;
                    if end > data.len() {
                        return Some(at);
                    }
                    let payload = &mut data[at + head.header_len..end];
                    frame::unmask(payload, head.mask);
                    match (head.opcode, route) {
                        (opcode::PING, _) => {
                            frame::write(&mut self.reply, true, opcode::PONG, payload)
                        }
                        (opcode::CLOSE, _) => {
                            let code = &payload[..payload.len().min(2)];
                            frame::write(&mut self.reply, true, opcode::CLOSE, code);
                            self.set_phase(i, Phase::Closing);
                            return Some(data.len());
                        }
                        (opcode::TEXT | opcode::BINARY | opcode::CONTINUATION, Route::Echo) => {
                            frame::write(&mut self.reply, head.fin, head.opcode, payload)
                        }
                        (opcode::TEXT, Route::Broadcast)
                            if head.fin && payload.starts_with(b"pub:") =>
                        {
                            self.publish(i, payload)
                        }
                        _ => {}
                    }
                    at = end;
                }
            }
        }
    }

    fn set_phase(&mut self, i: usize, phase: Phase) {
        if let Some(conn) = self.conns[i].as_mut() {
            conn.phase = phase;
        }
    }

    fn subscribe(&mut self, i: usize) {
        if let Some(conn) = self.conns[i].as_mut() {
            conn.subscribed_at = Some(self.subscribers.len());
            self.subscribers.push(i);
        }
    }

    /// Writes `payload` as a text frame to every subscriber: straight to its
    /// socket when nothing waits before it, else behind what waits. The
    /// publisher's own copy joins its reply, after what it answered first.
    fn publish(&mut self, publisher: usize, payload: &[u8]) {
        self.frame.clear();
        frame::write(&mut self.frame, true, opcode::TEXT, payload);
        let mut dropped = Vec::new();
        for &j in &self.subscribers {
            if j == publisher {
                self.reply.extend_from_slice(&self.frame);
                continue;
            }
            let Some(conn) = self.conns[j].as_mut() else { continue };
            if !conn.write_or_keep(&self.frame, MAX_QUEUED_BYTES) {
                dropped.push(j);
            }
        }
        for j in dropped {
            self.close(j);
        }
    }

    /// Sends `self.reply` to `i`, then closes `i` if it was its last word.
    /// A reply is never too much to keep: it is no larger than what `i`
    /// sent (an echo), and `i` is not read again until it is written.
    fn send_reply(&mut self, i: usize) {
        let Some(conn) = self.conns[i].as_mut() else { return };
        let kept = self.reply.is_empty() || conn.write_or_keep(&self.reply, usize::MAX);
        self.reply.clear();
        if !kept || (conn.phase == Phase::Closing && conn.unsent.is_empty()) {
            self.close(i);
        }
    }

    fn on_writable(&mut self, i: usize) {
        let Some(conn) = self.conns.get_mut(i).and_then(Option::as_mut) else { return };
        if conn.unsent.is_empty() {
            return;
        }
        if conn.flush().is_err() || (conn.phase == Phase::Closing && conn.unsent.is_empty()) {
            self.close(i);
        } else if conn.unsent.is_empty() {
            self.on_readable(i, false);
        }
    }

    fn close(&mut self, i: usize) {
        let Some(mut conn) = self.conns.get_mut(i).and_then(Option::take) else { return };
        let _ = self.poll.registry().deregister(&mut conn.stream);
        if let Some(at) = conn.subscribed_at {
            self.subscribers.swap_remove(at);
            if let Some(&moved) = self.subscribers.get(at)
                && let Some(other) = self.conns[moved].as_mut()
            {
                other.subscribed_at = Some(at);
            }
        }
        self.free.push(i);
    }
}

impl Conn {
    /// Writes `bytes` now if nothing waits, keeping what the socket does not
    /// take. False if the connection must be dropped: the socket failed, or
    /// more than `limit` bytes wait (a slow consumer).
    fn write_or_keep(&mut self, bytes: &[u8], limit: usize) -> bool {
        let written = if self.unsent.is_empty() {
            match write_until_blocked(&mut self.stream, bytes) {
                Ok(written) => written,
                Err(_) => return false,
            }
        } else {
            0
        };
        self.unsent.extend_from_slice(&bytes[written..]);
        self.unsent.len() <= limit
    }

    /// Writes what waits, as far as the socket takes it.
    fn flush(&mut self) -> io::Result<()> {
        let written = write_until_blocked(&mut self.stream, &self.unsent)?;
        self.unsent.drain(..written);
        if self.unsent.is_empty() && self.unsent.capacity() > READ_SIZE {
            self.unsent = Vec::new();
        }
        Ok(())
    }
}

/// Writes `bytes` until all are out or the socket would block; how many went.
fn write_until_blocked(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}
