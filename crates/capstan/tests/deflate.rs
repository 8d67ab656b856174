//! permessage-deflate (RFC 7692) over real sockets. A raw client builds its
//! frames by hand (RSV1, fragments, control frames in between) with the
//! crate's own Deflater/Inflater and checks, byte by byte, what the server
//! answers: the exact Sec-WebSocket-Extensions value, which frames come
//! back compressed, that the agreed context takeover and window size are
//! honoured (a window checker inflates the server's frames with the agreed
//! window only), the close codes of every violation, that a deflate bomb
//! stops at the message limit without the memory it would take, and that a
//! topic publish shares one compressed frame among the connections that
//! can take it.

mod common;

use capstan::DeflateConfig;
use capstan::Limits;
use capstan::ws::OpCode;
use capstan::ws::deflate::{Deflater, Inflater, TRAILER, compress_shared};
use capstan::{
    CloseCause, CloseCode, CloseInfo, Component, Conn, ConnError, HttpServer, Message,
    ProtocolError, Topic, WsConfig, WsServer,
};
use capstan_testkit::frame::Frame;
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

type Rx = mpsc::UnboundedReceiver<Seen>;

const MASK: [u8; 4] = [0x1b, 0x2c, 0x3d, 0x4e];

/// The threshold the servers of these tests use (messages shorter than
/// this go out uncompressed).
const THRESHOLD: usize = 64;

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// A small deterministic generator (xorshift64*), so that "random" data is
/// the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| (self.next() >> 56) as u8).collect()
    }
}

/// JSON-like text of at least `len` bytes (compresses well).
fn json_text(len: usize) -> String {
    let mut out = String::from("[");
    let mut i = 0;
    while out.len() < len {
        out.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user-{}\",\"room\":\"lobby\",\"text\":\"message number {i}\"}},",
            i % 7
        ));
        i += 1;
    }
    out.push(']');
    out
}

/// UTF-8 text with multi-byte characters (2, 3 and 4 bytes), ~`len` bytes.
fn emoji_text(len: usize) -> String {
    let mut out = String::new();
    let mut i = 0u32;
    while out.len() < len {
        out.push_str(&format!("héllo wörld € {i} 🦀🚀 "));
        i += 1;
    }
    out
}

/// A random block repeated three times: a compressor with a window of 15
/// bits copies the repeats from 20000 bytes back, one with a window of 14
/// bits or less cannot.
fn far_repeats() -> Vec<u8> {
    let block = Rng(0x5eed).bytes(20_000);
    block.repeat(3)
}

/// Binary data that compresses a little: random bytes from a small alphabet.
fn semi_random(len: usize) -> Vec<u8> {
    let mut rng = Rng(0xfeed);
    (0..len).map(|_| b"abcdefgh"[(rng.next() >> 61) as usize]).collect()
}

/// Splits `data` into `pieces` parts (some may be empty), the first one a
/// single byte when there is more than one part.
fn split(data: &[u8], pieces: usize) -> Vec<&[u8]> {
    if pieces <= 1 {
        return vec![data];
    }
    let first = data.len().min(1);
    let mut parts = vec![&data[..first]];
    let rest = &data[first..];
    let n = pieces - 1;
    let size = rest.len().div_ceil(n).max(1);
    for i in 0..n {
        let start = (i * size).min(rest.len());
        let end = ((i + 1) * size).min(rest.len());
        parts.push(&rest[start..end]);
    }
    parts
}

/// Inflates one message with a fresh window.
fn inflate_fresh(wire: &[u8]) -> Result<Vec<u8>, capstan::ws::deflate::InflateError> {
    let mut inflater = Inflater::new();
    let mut out = Vec::new();
    inflater.inflate(wire, &mut out, usize::MAX)?;
    inflater.finish_message(&mut out, usize::MAX, true)?;
    Ok(out)
}

/// A deflate decoder written for these tests (after zlib's puff.c) that
/// checks every back reference: no further back than the agreed window
/// (2^bits bytes), and never before the start of what this decoder has
/// seen (so a message compressed without context takeover, audited on a
/// fresh decoder, may not refer to the previous message). zlib-rs's own
/// inflate does not enforce a window smaller than 32 KiB, hence this.
struct WindowCheck {
    bits: u8,
    /// Output so far (trimmed to the last 64 KiB now and then).
    history: Vec<u8>,
}

/// Canonical Huffman code: how many codes of each length, then the symbols
/// ordered by code.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Result<Self, String> {
        let mut count = [0u16; 16];
        for &len in lengths {
            count[len as usize] += 1;
        }
        let mut left: i32 = 1;
        for &n in &count[1..] {
            left <<= 1;
            left -= n as i32;
            if left < 0 {
                return Err("over-subscribed code".into());
            }
        }
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + count[len];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (sym, &len) in lengths.iter().enumerate() {
            if len != 0 {
                symbol[offs[len as usize] as usize] = sym as u16;
                offs[len as usize] += 1;
            }
        }
        count[0] = 0;
        Ok(Self { count, symbol })
    }
}

struct Bits<'a> {
    input: &'a [u8],
    pos: usize,
    buf: u32,
    cnt: u32,
}

impl Bits<'_> {
    fn bits(&mut self, need: u32) -> Result<u32, String> {
        let mut val = self.buf as u64;
        while self.cnt < need {
            let byte = *self.input.get(self.pos).ok_or("out of input")?;
            self.pos += 1;
            val |= (byte as u64) << self.cnt;
            self.cnt += 8;
        }
        self.buf = (val >> need) as u32;
        self.cnt -= need;
        Ok((val & ((1u64 << need) - 1)) as u32)
    }

    fn decode(&mut self, h: &Huffman) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= self.bits(1)? as i32;
            let count = h.count[len] as i32;
            if code - count < first {
                return Ok(h.symbol[(index + (code - first)) as usize]);
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        Err("invalid Huffman code".into())
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] =
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

impl WindowCheck {
    fn new(bits: u8) -> Self {
        Self { bits, history: Vec::new() }
    }

    /// Decodes one message (the trailer put back), checking its back
    /// references; returns its content.
    fn inflate(&mut self, wire: &[u8]) -> Result<Vec<u8>, String> {
        if self.history.len() > 1 << 20 {
            let keep = self.history.len() - (64 << 10);
            self.history.drain(..keep);
        }
        let start = self.history.len();
        let mut input = wire.to_vec();
        input.extend_from_slice(&TRAILER);
        let mut bits = Bits { input: &input, pos: 0, buf: 0, cnt: 0 };
        while bits.pos < input.len() || bits.cnt >= 8 {
            let last = bits.bits(1)?;
            if last == 1 {
                return Err("a final block (BFINAL) in a message".into());
            }
            match bits.bits(2)? {
                0 => {
                    bits.buf = 0;
                    bits.cnt = 0;
                    let at = bits.pos;
                    let header = input.get(at..at + 4).ok_or("short stored block")?;
                    let len = u16::from_le_bytes([header[0], header[1]]);
                    let nlen = u16::from_le_bytes([header[2], header[3]]);
                    if len != !nlen {
                        return Err("stored block lengths disagree".into());
                    }
                    let data = input.get(at + 4..at + 4 + len as usize).ok_or("short stored")?;
                    self.history.extend_from_slice(data);
                    bits.pos = at + 4 + len as usize;
                }
                1 => {
                    let mut lengths = [0u8; 288 + 30];
                    lengths[..144].fill(8);
                    lengths[144..256].fill(9);
                    lengths[256..280].fill(7);
                    lengths[280..288].fill(8);
                    lengths[288..].fill(5);
                    let lit = Huffman::new(&lengths[..288])?;
                    let dist = Huffman::new(&lengths[288..])?;
                    self.codes(&mut bits, &lit, &dist)?;
                }
                2 => {
                    let nlen = bits.bits(5)? as usize + 257;
                    let ndist = bits.bits(5)? as usize + 1;
                    let ncode = bits.bits(4)? as usize + 4;
                    const ORDER: [usize; 19] =
                        [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
                    let mut code_lengths = [0u8; 19];
                    for &i in &ORDER[..ncode] {
                        code_lengths[i] = bits.bits(3)? as u8;
                    }
                    let lencode = Huffman::new(&code_lengths)?;
                    let mut lengths = vec![0u8; nlen + ndist];
                    let mut i = 0;
                    while i < nlen + ndist {
                        let sym = bits.decode(&lencode)?;
                        if sym < 16 {
                            lengths[i] = sym as u8;
                            i += 1;
                            continue;
                        }
                        let (value, repeat) = match sym {
                            16 => {
                                let prev = *lengths[..i].last().ok_or("repeat with no length")?;
                                (prev, 3 + bits.bits(2)? as usize)
                            }
                            17 => (0, 3 + bits.bits(3)? as usize),
                            _ => (0, 11 + bits.bits(7)? as usize),
                        };
                        if i + repeat > nlen + ndist {
                            return Err("too many lengths".into());
                        }
                        lengths[i..i + repeat].fill(value);
                        i += repeat;
                    }
                    let lit = Huffman::new(&lengths[..nlen])?;
                    let dist = Huffman::new(&lengths[nlen..])?;
                    self.codes(&mut bits, &lit, &dist)?;
                }
                _ => return Err("reserved block type".into()),
            }
        }
        Ok(self.history[start..].to_vec())
    }

    fn codes(&mut self, bits: &mut Bits<'_>, lit: &Huffman, dist: &Huffman) -> Result<(), String> {
        loop {
            let sym = bits.decode(lit)? as usize;
            if sym < 256 {
                self.history.push(sym as u8);
                continue;
            }
            if sym == 256 {
                return Ok(());
            }
            let sym = sym - 257;
            if sym >= 29 {
                return Err("invalid length symbol".into());
            }
            let len = LEN_BASE[sym] as usize + bits.bits(LEN_EXTRA[sym] as u32)? as usize;
            let dsym = bits.decode(dist)? as usize;
            if dsym >= 30 {
                return Err("invalid distance symbol".into());
            }
            let distance = DIST_BASE[dsym] as usize + bits.bits(DIST_EXTRA[dsym] as u32)? as usize;
            if distance > 1 << self.bits {
                return Err(format!("distance {distance} beyond a window of {} bits", self.bits));
            }
            if distance > self.history.len() {
                return Err(format!("distance {distance} before the start of the context"));
            }
            for _ in 0..len {
                let byte = self.history[self.history.len() - distance];
                self.history.push(byte);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// A client that speaks permessage-deflate by hand
// ---------------------------------------------------------------------------

/// One data message as the server sent it.
#[derive(Debug)]
struct Received {
    opcode: OpCode,
    /// RSV1 on its first frame.
    compressed: bool,
    /// Its frames' bytes, in order.
    raw: Vec<u8>,
    /// The payloads as sent (compressed or not).
    wire: Vec<u8>,
    /// The message's content (inflated when compressed).
    data: Vec<u8>,
}

/// What the answer agreed, from the client's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Agreed {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: u8,
    client_max_window_bits: u8,
}

impl Agreed {
    /// Reads a Sec-WebSocket-Extensions answer as a client must (RFC 7692 §7.1).
    fn parse(answer: &str) -> Self {
        let mut parts = answer.split(';').map(str::trim);
        assert_eq!(parts.next(), Some("permessage-deflate"), "answer {answer:?}");
        let mut agreed = Agreed {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        };
        for part in parts {
            match part.split_once('=') {
                None if part == "server_no_context_takeover" => {
                    agreed.server_no_context_takeover = true;
                }
                None if part == "client_no_context_takeover" => {
                    agreed.client_no_context_takeover = true;
                }
                Some(("server_max_window_bits", v)) => {
                    agreed.server_max_window_bits = v.parse().unwrap();
                }
                Some(("client_max_window_bits", v)) => {
                    agreed.client_max_window_bits = v.parse().unwrap();
                }
                _ => panic!("unexpected parameter {part:?} in {answer:?}"),
            }
        }
        agreed
    }
}

struct DeflateClient {
    /// The raw client, after the handshake.
    client: Client,
    /// The server's Sec-WebSocket-Extensions answer, if it sent one.
    answer: Option<String>,
    agreed: Option<Agreed>,
    /// Our compressor (kept across messages unless the server asked us to
    /// reset it).
    deflater: Deflater,
    /// Our decompressor, kept across messages.
    inflater: Inflater,
    /// Inflates with exactly the agreed server window, kept across messages.
    window: Option<WindowCheck>,
    /// Pings and pongs seen while waiting for messages.
    controls: Vec<Frame>,
}

/// The handshake with one Sec-WebSocket-Extensions header line per entry of
/// `offers`. Returns the client and the 101 answer's head.
async fn connect(addr: std::net::SocketAddr, offers: &[&str]) -> DeflateClient {
    let extra: String =
        offers.iter().map(|o| format!("Sec-WebSocket-Extensions: {o}\r\n")).collect();
    // At most one extensions line in the 101: the client checks it.
    let client = Client::connect_with(addr, "/", &extra).await;
    let answer = client.extensions().map(str::to_owned);
    let agreed = answer.as_deref().map(Agreed::parse);
    let client_bits = agreed.map_or(15, |a| a.client_max_window_bits);
    DeflateClient {
        client,
        answer,
        agreed,
        deflater: Deflater::new(6, client_bits),
        inflater: Inflater::new(),
        window: agreed.map(|a| WindowCheck::new(a.server_max_window_bits)),
        controls: Vec::new(),
    }
}

fn client_frame(opcode: OpCode, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
    capstan_testkit::frame::client_frame(opcode, fin, rsv1, payload, MASK)
}

fn close_code(frame: &Frame) -> u16 {
    frame.close_code().expect("close frame without a code")
}

impl DeflateClient {
    fn agreed(&self) -> Agreed {
        self.agreed.expect("permessage-deflate was agreed")
    }

    /// Compresses `data` as the agreement allows: keeping our context
    /// unless the server asked for client_no_context_takeover.
    fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        if data.is_empty() {
            // RFC 7692 §7.2.3.6: an empty message is an empty stored block,
            // trailer removed: 0x00, whatever the context. (The crate's
            // Deflater returns nothing here once its context holds a sync
            // flush: see the test an_empty_message_keeps_the_stream_valid.)
            return vec![0x00];
        }
        let reset = self.agreed().client_no_context_takeover;
        self.deflater.compress(data, reset)
    }

    /// Sends `data` compressed, in `pieces` frames (RSV1 on the first only),
    /// with `between` (a ping) after the first fragment.
    async fn send_compressed(
        &mut self,
        opcode: OpCode,
        data: &[u8],
        pieces: usize,
        between: Option<&[u8]>,
    ) {
        let compressed = self.compress(data);
        let parts = split(&compressed, pieces);
        let last = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            let op = if i == 0 { opcode } else { OpCode::Continuation };
            self.send_raw(&client_frame(op, i == last, i == 0, part)).await;
            if i == 0
                && i != last
                && let Some(ping) = between
            {
                self.send_raw(&client_frame(OpCode::Ping, true, false, ping)).await;
            }
        }
    }

    /// Sends `data` uncompressed (RSV1 clear), in `pieces` frames.
    async fn send_plain(&mut self, opcode: OpCode, data: &[u8], pieces: usize) {
        let parts = split(data, pieces);
        let last = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            let op = if i == 0 { opcode } else { OpCode::Continuation };
            self.send_raw(&client_frame(op, i == last, false, part)).await;
        }
    }

    async fn send_raw(&mut self, bytes: &[u8]) {
        self.client.send_raw(bytes).await;
    }

    /// The next frame, or `None` once the server closed the socket.
    async fn next_frame(&mut self) -> Option<Frame> {
        self.client.next_frame().await
    }

    /// The next data message, decoded as the agreement says: our inflater
    /// kept across messages; when the server resets its context, each
    /// message must also inflate on a fresh window. Pings and pongs go to
    /// `controls`.
    async fn next_message(&mut self) -> Received {
        let first = loop {
            let frame = self.next_frame().await.expect("a message, not the end of the stream");
            match frame.header.opcode {
                OpCode::Ping | OpCode::Pong => self.controls.push(frame),
                OpCode::Close => {
                    panic!("expected a message, got close {}", close_code(&frame))
                }
                OpCode::Text | OpCode::Binary => break frame,
                OpCode::Continuation => panic!("continuation without a message"),
            }
        };
        let opcode = first.header.opcode;
        let compressed = first.header.rsv1;
        let mut raw = first.raw.to_vec();
        let mut wire = first.payload.to_vec();
        let mut fin = first.header.fin;
        while !fin {
            let frame = self.next_frame().await.expect("the rest of the message");
            match frame.header.opcode {
                OpCode::Ping | OpCode::Pong => {
                    self.controls.push(frame);
                    continue;
                }
                OpCode::Continuation => {}
                other => panic!("expected a continuation, got {other:?}"),
            }
            assert!(!frame.header.rsv1, "RSV1 only on a message's first frame");
            raw.extend_from_slice(&frame.raw);
            wire.extend_from_slice(&frame.payload);
            fin = frame.header.fin;
        }
        let data = if compressed {
            let agreed = self.agreed();
            let mut out = Vec::new();
            self.inflater.inflate(&wire, &mut out, usize::MAX).expect("the server's deflate data");
            self.inflater.finish_message(&mut out, usize::MAX, false).expect("trailer");
            if agreed.server_no_context_takeover {
                assert_eq!(inflate_fresh(&wire).expect("inflates on a fresh window"), out);
            }
            // Within the agreed window; and without server context
            // takeover, within the message itself.
            let audited = if agreed.server_no_context_takeover {
                WindowCheck::new(agreed.server_max_window_bits).inflate(&wire)
            } else {
                self.window.as_mut().expect("a window checker when agreed").inflate(&wire)
            };
            assert_eq!(audited.expect("back references within the agreement"), out);
            out
        } else {
            wire.clone()
        };
        Received { opcode, compressed, raw, wire, data }
    }

    /// The server's close frame (skipping anything before it): its code;
    /// then the server closes the socket.
    async fn expect_close(&mut self) -> u16 {
        loop {
            let frame = self.next_frame().await.expect("a close frame before the end");
            if frame.header.opcode == OpCode::Close {
                let code = close_code(&frame);
                assert!(self.next_frame().await.is_none(), "socket closes after the close frame");
                // Our FIN too, so that the server stops lingering at once.
                let _ = self.client.stream.shutdown().await;
                return code;
            }
        }
    }

    /// The close handshake, started by us.
    async fn close(&mut self) {
        self.send_raw(&client_frame(OpCode::Close, true, false, &1000u16.to_be_bytes())).await;
        assert_eq!(self.expect_close().await, 1000);
    }
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

fn ws_config(deflate: DeflateConfig) -> WsConfig {
    WsConfig { deflate, ..WsConfig::default() }
}

/// A server running a [`Recorder`] (echoing or not).
async fn start(config: WsConfig, echo: bool) -> (TestServer, Rx) {
    let (recorder, seen) = Recorder::new(echo);
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    (server, seen)
}

/// As offered (context takeover wherever the client allows it).
fn as_offered() -> DeflateConfig {
    DeflateConfig { threshold: THRESHOLD, ..DeflateConfig::as_offered() }
}

async fn expect_open(seen: &mut Rx) -> Conn {
    match next_seen(seen).await {
        Seen::Open(conn) => conn,
        other => panic!("expected on_open, got {other:?}"),
    }
}

async fn expect_message(seen: &mut Rx) -> Message {
    loop {
        match next_seen(seen).await {
            Seen::Message(_, message) => return message,
            Seen::Open(_) => continue,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Round trips under each agreement
// ---------------------------------------------------------------------------

/// What a case expects the server to agree.
struct Case<'a> {
    config: DeflateConfig,
    offers: &'a [&'a str],
    answer: &'a str,
    expected: Agreed,
}

fn agreed(server_nct: bool, client_nct: bool, server_bits: u8, client_bits: u8) -> Agreed {
    Agreed {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

/// Sends one message and checks its echo: the content, and that it comes
/// back compressed exactly when it is at least the threshold long; also
/// that the application received the content.
async fn echo_check(
    client: &mut DeflateClient,
    seen: &mut Rx,
    opcode: OpCode,
    data: &[u8],
    how: How<'_>,
) -> Received {
    match how {
        How::Compressed { pieces, ping } => {
            client.send_compressed(opcode, data, pieces, ping).await;
        }
        How::Plain { pieces } => client.send_plain(opcode, data, pieces).await,
    }
    let echo = client.next_message().await;
    assert_eq!(echo.opcode, opcode);
    assert_eq!(echo.data.len(), data.len());
    assert!(echo.data == data, "echo of {} bytes differs", data.len());
    assert_eq!(
        echo.compressed,
        data.len() >= THRESHOLD,
        "a message of {} bytes (threshold {THRESHOLD}) compressed: {}",
        data.len(),
        echo.compressed
    );
    let message = expect_message(seen).await;
    assert_eq!(message.as_bytes(), data, "what the application received");
    assert_eq!(message.is_text(), opcode == OpCode::Text);
    echo
}

#[derive(Clone, Copy)]
enum How<'a> {
    Compressed { pieces: usize, ping: Option<&'a [u8]> },
    Plain { pieces: usize },
}

const ONE: How<'static> = How::Compressed { pieces: 1, ping: None };

/// Connects with `case.offers`, checks the exact answer and the parameters
/// the application sees, then runs messages of every kind through the echo.
async fn exercise(case: Case<'_>) {
    let (server, mut seen) = start(ws_config(case.config), true).await;
    let mut client = connect(server.addr, case.offers).await;
    assert_eq!(client.answer.as_deref(), Some(case.answer), "offers {:?}", case.offers);
    let agreed = client.agreed();
    assert_eq!(agreed, case.expected, "answer {}", case.answer);
    let conn = expect_open(&mut seen).await;
    let params = *conn.deflate().expect("the application sees the agreement");
    assert_eq!(params.server_no_context_takeover, agreed.server_no_context_takeover);
    assert_eq!(params.client_no_context_takeover, agreed.client_no_context_takeover);
    assert_eq!(params.server_max_window_bits, agreed.server_max_window_bits);
    assert_eq!(params.threshold, THRESHOLD);

    // The same short message twice: with server context takeover the
    // second copy refers back to the first (small, and undecodable on a
    // fresh window); without, both are the same bytes. 200 bytes fit in
    // even the smallest window's reach (512 - 262 bytes).
    let short = json_text(150);
    assert!(short.len() < 250, "{}", short.len());
    let first = echo_check(&mut client, &mut seen, OpCode::Text, short.as_bytes(), ONE).await;
    let second = echo_check(&mut client, &mut seen, OpCode::Text, short.as_bytes(), ONE).await;
    if agreed.server_no_context_takeover {
        assert_eq!(first.raw, second.raw, "no context: the same message, the same frame");
    } else {
        assert!(
            second.wire.len() * 2 < first.wire.len(),
            "context kept: {} bytes then {}",
            first.wire.len(),
            second.wire.len()
        );
        assert!(
            inflate_fresh(&second.wire).ok().as_deref() != Some(short.as_bytes()),
            "context kept: the second message needs the first one's window"
        );
    }

    let json = json_text(4096);
    echo_check(&mut client, &mut seen, OpCode::Text, json.as_bytes(), ONE).await;

    // Fragmented, with a ping between the fragments: answered first.
    let far = far_repeats();
    let how = How::Compressed { pieces: 3, ping: Some(b"between") };
    client.controls.clear();
    echo_check(&mut client, &mut seen, OpCode::Binary, &far, how).await;
    assert_eq!(client.controls.len(), 1, "one pong");
    assert_eq!(client.controls[0].header.opcode, OpCode::Pong);
    assert_eq!(client.controls[0].payload, &b"between"[..]);

    let emoji = emoji_text(3000);
    let how = How::Compressed { pieces: 4, ping: None };
    echo_check(&mut client, &mut seen, OpCode::Text, emoji.as_bytes(), how).await;

    // Uncompressed messages from the client, above and below the threshold.
    let plain = json_text(2000);
    let how = How::Plain { pieces: 2 };
    echo_check(&mut client, &mut seen, OpCode::Text, plain.as_bytes(), how).await;
    let how = How::Plain { pieces: 1 };
    echo_check(&mut client, &mut seen, OpCode::Binary, b"plain and tiny", how).await;

    // Compressed but below the threshold: echoed uncompressed.
    echo_check(&mut client, &mut seen, OpCode::Text, b"hi", ONE).await;
    echo_check(&mut client, &mut seen, OpCode::Binary, b"", ONE).await;
    let how = How::Compressed { pieces: 2, ping: None };
    echo_check(&mut client, &mut seen, OpCode::Text, "é 🦀".as_bytes(), how).await;

    // Exactly at the threshold: compressed.
    let at = vec![b'x'; THRESHOLD];
    echo_check(&mut client, &mut seen, OpCode::Binary, &at, ONE).await;

    // Bigger, in five fragments, after all of the above (the contexts on
    // both sides are still in step).
    let big = semi_random(256 * 1024);
    let how = How::Compressed { pieces: 5, ping: Some(b"") };
    echo_check(&mut client, &mut seen, OpCode::Binary, &big, how).await;
    echo_check(&mut client, &mut seen, OpCode::Text, json.as_bytes(), ONE).await;

    client.close().await;
    let info = next_close(&mut seen).await;
    assert_eq!(info.cause, CloseCause::PeerClosed);
    assert_eq!(info.code, CloseCode::NORMAL);
    server.stop().await;
}

#[tokio::test]
async fn context_takeover_both_ways_as_offered() {
    exercise(Case {
        config: as_offered(),
        offers: &["permessage-deflate"],
        answer: "permessage-deflate",
        expected: agreed(false, false, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn server_no_context_takeover_asked_by_the_client() {
    exercise(Case {
        config: as_offered(),
        offers: &["permessage-deflate; server_no_context_takeover"],
        answer: "permessage-deflate; server_no_context_takeover",
        expected: agreed(true, false, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn client_no_context_takeover_offered_by_the_client() {
    exercise(Case {
        config: as_offered(),
        offers: &["permessage-deflate; client_no_context_takeover"],
        answer: "permessage-deflate; client_no_context_takeover",
        expected: agreed(false, true, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn no_context_takeover_either_way_offered_by_the_client() {
    exercise(Case {
        config: as_offered(),
        offers: &["permessage-deflate; client_no_context_takeover; server_no_context_takeover"],
        answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        expected: agreed(true, true, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn default_config_asks_for_no_context_takeover_either_way() {
    exercise(Case {
        config: DeflateConfig { threshold: THRESHOLD, ..DeflateConfig::default() },
        offers: &["permessage-deflate; client_max_window_bits"],
        answer: "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        expected: agreed(true, true, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn config_asks_for_server_no_context_takeover_only() {
    let config = DeflateConfig { server_no_context_takeover: true, ..as_offered() };
    exercise(Case {
        config,
        offers: &["permessage-deflate"],
        answer: "permessage-deflate; server_no_context_takeover",
        expected: agreed(true, false, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn config_asks_for_client_no_context_takeover_only() {
    let config = DeflateConfig { client_no_context_takeover: true, ..as_offered() };
    exercise(Case {
        config,
        offers: &["permessage-deflate"],
        answer: "permessage-deflate; client_no_context_takeover",
        expected: agreed(false, true, 15, 15),
    })
    .await;
}

#[tokio::test]
async fn client_max_window_bits_is_echoed_and_the_server_reads_it() {
    exercise(Case {
        config: as_offered(),
        offers: &["permessage-deflate; client_max_window_bits=9"],
        answer: "permessage-deflate; client_max_window_bits=9",
        expected: agreed(false, false, 15, 9),
    })
    .await;
}

/// server_max_window_bits=9..15 offered by the client, with context
/// takeover on the server (its own compressor per connection) and without
/// (the shared per-thread compressors).
#[tokio::test]
async fn server_max_window_bits_offered_9_to_15() {
    for bits in 9..=15u8 {
        exercise(Case {
            config: as_offered(),
            offers: &[&format!("permessage-deflate; server_max_window_bits={bits}")],
            answer: &format!("permessage-deflate; server_max_window_bits={bits}"),
            expected: agreed(false, false, bits, 15),
        })
        .await;
        exercise(Case {
            config: as_offered(),
            offers: &[&format!(
                "permessage-deflate; server_max_window_bits={bits}; server_no_context_takeover; \
                 client_no_context_takeover"
            )],
            answer: &format!(
                "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
                 server_max_window_bits={bits}"
            ),
            expected: agreed(true, true, bits, 15),
        })
        .await;
    }
}

/// The server's own limit (WsConfig.deflate.server_max_window_bits), with
/// the client's offer below or above it: the smaller wins.
#[tokio::test]
async fn server_max_window_bits_from_the_config() {
    for bits in 9..=15u8 {
        let config = DeflateConfig {
            server_max_window_bits: bits,
            threshold: THRESHOLD,
            ..DeflateConfig::default()
        };
        let mut answer = String::from(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        );
        if bits < 15 {
            answer.push_str(&format!("; server_max_window_bits={bits}"));
        }
        exercise(Case {
            config,
            offers: &["permessage-deflate"],
            answer: &answer,
            expected: agreed(true, true, bits, 15),
        })
        .await;
    }
    let config = DeflateConfig { server_max_window_bits: 10, ..as_offered() };
    exercise(Case {
        config,
        offers: &["permessage-deflate; server_max_window_bits=12"],
        answer: "permessage-deflate; server_max_window_bits=10",
        expected: agreed(false, false, 10, 15),
    })
    .await;
    let config = DeflateConfig { server_max_window_bits: 12, ..as_offered() };
    exercise(Case {
        config,
        offers: &["permessage-deflate; server_max_window_bits=9"],
        answer: "permessage-deflate; server_max_window_bits=9",
        expected: agreed(false, false, 9, 15),
    })
    .await;
}

/// The window checker is strict enough to see a server that compressed
/// with a larger window than agreed (else the tests above prove nothing).
#[test]
fn window_checker_rejects_a_larger_window() {
    let data = far_repeats();
    let wide = compress_shared(&data, 6, 15);
    for bits in 9..=14u8 {
        assert!(WindowCheck::new(bits).inflate(&wide).is_err(), "window {bits}");
    }
    assert_eq!(WindowCheck::new(15).inflate(&wide).unwrap(), data);
    for bits in 9..=15u8 {
        let narrow = compress_shared(&data, 6, bits);
        assert_eq!(WindowCheck::new(bits).inflate(&narrow).unwrap(), data, "window {bits}");
    }
    // RFC 7692 §7.2.3.1 and §7.2.3.2: "Hello" alone, then again with the
    // first one's context (not decodable on a fresh window).
    let mut kept = WindowCheck::new(15);
    assert_eq!(kept.inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]).unwrap(), b"Hello");
    assert_eq!(kept.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00]).unwrap(), b"Hello");
    assert!(WindowCheck::new(15).inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00]).is_err());
    // §7.2.3.3: a stored block.
    let stored = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
    assert_eq!(WindowCheck::new(9).inflate(&stored).unwrap(), b"Hello");
    // Dynamic Huffman blocks across messages, with and without context.
    let mut deflater = Deflater::new(6, 15);
    let json = json_text(4096);
    let first = deflater.compress(json.as_bytes(), false);
    let second = deflater.compress(json.as_bytes(), false);
    let mut kept = WindowCheck::new(15);
    assert_eq!(kept.inflate(&first).unwrap(), json.as_bytes());
    assert_eq!(kept.inflate(&second).unwrap(), json.as_bytes());
    assert!(WindowCheck::new(15).inflate(&second).is_err());
    assert!(WindowCheck::new(15).inflate(&[0xff; 8]).is_err());
}

// ---------------------------------------------------------------------------
// Negotiation over the wire
// ---------------------------------------------------------------------------

/// Connects with `offers` to an echo server under `config`, checks the
/// answer (`None`: no extensions header), then a round trip: compressed
/// when agreed, plain (and answered plain) when not.
async fn negotiate(config: DeflateConfig, offers: &[&str], answer: Option<&str>) {
    let (server, mut seen) = start(ws_config(config), true).await;
    let mut client = connect(server.addr, offers).await;
    assert_eq!(client.answer.as_deref(), answer, "offers {offers:?}");
    let conn = expect_open(&mut seen).await;
    assert_eq!(conn.deflate().is_some(), answer.is_some());
    let json = json_text(4096);
    if answer.is_some() {
        for _ in 0..2 {
            let how = How::Compressed { pieces: 2, ping: Some(b"p") };
            echo_check(&mut client, &mut seen, OpCode::Text, json.as_bytes(), how).await;
        }
    } else {
        // Without the extension, plain frames work and the server never
        // compresses, whatever the size.
        for (opcode, data) in [(OpCode::Text, json.as_bytes()), (OpCode::Binary, &b"tiny"[..])] {
            client.send_plain(opcode, data, 2).await;
            let echo = client.next_message().await;
            assert!(!echo.compressed, "no RSV1 without the extension");
            assert_eq!(echo.opcode, opcode);
            assert_eq!(echo.data, data);
            assert_eq!(expect_message(&mut seen).await.as_bytes(), data);
        }
    }
    client.close().await;
    assert_eq!(next_close(&mut seen).await.cause, CloseCause::PeerClosed);
    server.stop().await;
}

#[tokio::test]
async fn the_first_acceptable_of_several_offers_in_one_header_wins() {
    negotiate(
        as_offered(),
        &["permessage-deflate; server_max_window_bits=10, permessage-deflate"],
        Some("permessage-deflate; server_max_window_bits=10"),
    )
    .await;
    negotiate(
        as_offered(),
        &["permessage-deflate, permessage-deflate; server_max_window_bits=10"],
        Some("permessage-deflate"),
    )
    .await;
}

#[tokio::test]
async fn offers_across_several_header_lines_and_other_extensions() {
    negotiate(
        as_offered(),
        &["x-webkit-deflate-frame", "permessage-deflate; client_max_window_bits"],
        Some("permessage-deflate"),
    )
    .await;
    negotiate(
        as_offered(),
        &["foo; bar=1, permessage-deflate; server_no_context_takeover", "permessage-deflate"],
        Some("permessage-deflate; server_no_context_takeover"),
    )
    .await;
}

#[tokio::test]
async fn an_offer_with_an_unknown_parameter_is_skipped_for_the_next() {
    negotiate(
        as_offered(),
        &["permessage-deflate; unknown_parameter, permessage-deflate; client_no_context_takeover"],
        Some("permessage-deflate; client_no_context_takeover"),
    )
    .await;
}

#[tokio::test]
async fn an_offer_with_a_duplicate_parameter_is_skipped_for_the_next() {
    negotiate(
        as_offered(),
        &["permessage-deflate; server_no_context_takeover; server_no_context_takeover, \
             permessage-deflate; server_max_window_bits=12"],
        Some("permessage-deflate; server_max_window_bits=12"),
    )
    .await;
    negotiate(
        as_offered(),
        &[
            "permessage-deflate; client_max_window_bits=10; client_max_window_bits=11",
            "permessage-deflate; client_max_window_bits=11",
        ],
        Some("permessage-deflate; client_max_window_bits=11"),
    )
    .await;
}

#[tokio::test]
async fn offers_with_invalid_values_are_skipped() {
    negotiate(
        as_offered(),
        &["permessage-deflate; server_max_window_bits=16, permessage-deflate; \
             server_max_window_bits=010, permessage-deflate; server_max_window_bits, \
             permessage-deflate; client_no_context_takeover=1, \
             permessage-deflate; client_max_window_bits=7, \
             permessage-deflate; client_max_window_bits=9"],
        Some("permessage-deflate; client_max_window_bits=9"),
    )
    .await;
}

#[tokio::test]
async fn a_quoted_window_size_is_read() {
    negotiate(
        as_offered(),
        &["permessage-deflate; server_max_window_bits=\"11\""],
        Some("permessage-deflate; server_max_window_bits=11"),
    )
    .await;
}

#[tokio::test]
async fn server_max_window_bits_8_is_declined() {
    negotiate(
        as_offered(),
        &["permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover"],
        Some("permessage-deflate; server_no_context_takeover"),
    )
    .await;
    negotiate(as_offered(), &["permessage-deflate; server_max_window_bits=8"], None).await;
}

#[tokio::test]
async fn no_acceptable_offer_means_no_extension_and_plain_frames() {
    negotiate(
        as_offered(),
        &["permessage-deflate; foo", "permessage-deflate; server_max_window_bits=8, x-custom"],
        None,
    )
    .await;
    negotiate(as_offered(), &[], None).await;
    negotiate(DeflateConfig::disabled(), &["permessage-deflate"], None).await;
}

// ---------------------------------------------------------------------------
// Violations
// ---------------------------------------------------------------------------

/// Connects to a non-echoing server under `config` with `offers`, sends
/// `frames`, and expects the server to close with `code` and the
/// application to see `error`.
async fn violation(
    config: DeflateConfig,
    offers: &[&str],
    frames: Vec<Vec<u8>>,
    code: u16,
    error: ProtocolError,
) {
    let (server, mut seen) = start(ws_config(config), false).await;
    let mut client = connect(server.addr, offers).await;
    expect_open(&mut seen).await;
    for frame in &frames {
        client.send_raw(frame).await;
    }
    assert_eq!(client.expect_close().await, code, "expected close {code} for {error:?}");
    let mut reported = None;
    let info: CloseInfo = loop {
        match next_seen(&mut seen).await {
            Seen::Error(_, message) => reported = Some(message),
            Seen::Close(_, info) => break info,
            Seen::Message(_, message) => panic!("no message expected, got {message:?}"),
            Seen::Open(_) => panic!("one connection only"),
        }
    };
    assert_eq!(info.cause, CloseCause::ProtocolError(error.clone()));
    assert_eq!(info.code, CloseCode(code));
    let reported = reported.expect("on_error before on_close");
    assert!(reported.contains(&error.to_string()), "on_error said {reported:?}");
    server.stop().await;
}

const DEFLATE: &[&str] = &["permessage-deflate"];

#[tokio::test]
async fn rsv1_on_a_continuation_frame_is_1002() {
    let mut d = Deflater::new(6, 15);
    let compressed = d.compress(json_text(500).as_bytes(), true);
    let (a, b) = compressed.split_at(compressed.len() / 2);
    let frames = vec![
        client_frame(OpCode::Text, false, true, a),
        client_frame(OpCode::Continuation, true, true, b),
    ];
    violation(as_offered(), DEFLATE, frames, 1002, ProtocolError::ReservedBitsSet).await;
    // Also when the message started uncompressed.
    let frames = vec![
        client_frame(OpCode::Text, false, false, b"plain "),
        client_frame(OpCode::Continuation, true, true, b"start"),
    ];
    violation(as_offered(), DEFLATE, frames, 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn rsv1_on_a_control_frame_is_1002() {
    for opcode in [OpCode::Ping, OpCode::Pong, OpCode::Close] {
        let payload: &[u8] = if opcode == OpCode::Close { &[0x03, 0xe8] } else { b"x" };
        let frames = vec![client_frame(opcode, true, true, payload)];
        violation(as_offered(), DEFLATE, frames, 1002, ProtocolError::ReservedBitsSet).await;
    }
    // Between the fragments of a compressed message.
    let compressed = Deflater::new(6, 15).compress(b"hello hello hello", true);
    let frames = vec![
        client_frame(OpCode::Text, false, true, &compressed),
        client_frame(OpCode::Ping, true, true, b""),
    ];
    violation(as_offered(), DEFLATE, frames, 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn rsv1_without_the_extension_is_1002() {
    let compressed = Deflater::new(6, 15).compress(b"hello hello hello", true);
    // Not offered.
    let frames = vec![client_frame(OpCode::Text, true, true, &compressed)];
    violation(as_offered(), &[], frames.clone(), 1002, ProtocolError::ReservedBitsSet).await;
    // Offered, but the server has compression off.
    violation(
        DeflateConfig::disabled(),
        DEFLATE,
        frames.clone(),
        1002,
        ProtocolError::ReservedBitsSet,
    )
    .await;
    // Offered, but not acceptable.
    let offers = &["permessage-deflate; server_max_window_bits=8"];
    violation(as_offered(), offers, frames, 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn corrupt_deflate_data_is_1007() {
    // BFINAL=1, BTYPE=11: a reserved block type.
    let frames = vec![client_frame(OpCode::Binary, true, true, &[0xff; 16])];
    violation(as_offered(), DEFLATE, frames, 1007, ProtocolError::InvalidCompressedData).await;
    // A valid first fragment (ending on a sync flush), then a block with
    // the reserved type in the next fragment (no context takeover).
    let compressed = Deflater::new(6, 15).compress(json_text(300).as_bytes(), true);
    let mut garbage = TRAILER.to_vec();
    garbage.extend_from_slice(&[0xff; 16]);
    let frames = vec![
        client_frame(OpCode::Text, false, true, &compressed),
        client_frame(OpCode::Continuation, true, false, &garbage),
    ];
    let config = DeflateConfig { threshold: THRESHOLD, ..DeflateConfig::default() };
    violation(config, DEFLATE, frames, 1007, ProtocolError::InvalidCompressedData).await;
    // A stored block whose length and its complement disagree.
    let frames = vec![client_frame(OpCode::Binary, true, true, &[0x00, 0x05, 0x00, 0x05, 0x00])];
    violation(as_offered(), DEFLATE, frames, 1007, ProtocolError::InvalidCompressedData).await;
}

#[tokio::test]
async fn compressed_invalid_utf8_is_1007() {
    let mut bad = b"valid start ".repeat(20);
    bad.extend_from_slice(&[0xff, 0xfe]);
    bad.extend_from_slice(b" and more");
    let compressed = Deflater::new(6, 15).compress(&bad, true);
    let frames = vec![client_frame(OpCode::Text, true, true, &compressed)];
    violation(as_offered(), DEFLATE, frames, 1007, ProtocolError::InvalidUtf8).await;
    // A sequence cut short at the message's end, in fragments.
    let mut cut = "€ ok ".repeat(30).into_bytes();
    cut.extend_from_slice(&"€".as_bytes()[..2]);
    let compressed = Deflater::new(6, 15).compress(&cut, true);
    let (a, b) = compressed.split_at(compressed.len() / 2);
    let frames = vec![
        client_frame(OpCode::Text, false, true, a),
        client_frame(OpCode::Continuation, true, false, b),
    ];
    violation(as_offered(), DEFLATE, frames, 1007, ProtocolError::InvalidUtf8).await;
}

/// Empty fragments anywhere in a compressed message, the first one (the
/// one with RSV1) included.
#[tokio::test]
async fn a_compressed_message_may_have_empty_fragments() {
    let (server, mut seen) = start(ws_config(as_offered()), true).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    let json = json_text(3000);
    for _ in 0..2 {
        let compressed = client.compress(json.as_bytes());
        let (a, b) = compressed.split_at(compressed.len() / 3);
        let frames = [
            client_frame(OpCode::Text, false, true, b""),
            client_frame(OpCode::Continuation, false, false, a),
            client_frame(OpCode::Continuation, false, false, b""),
            client_frame(OpCode::Continuation, false, false, b),
            client_frame(OpCode::Continuation, true, false, b""),
        ];
        client.send_raw(&frames.concat()).await;
        let echo = client.next_message().await;
        assert!(echo.compressed);
        assert_eq!(echo.data, json.as_bytes());
        assert_eq!(expect_message(&mut seen).await.as_bytes(), json.as_bytes());
    }
    client.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Library bugs found by these tests (ignored until fixed; run them with
// `cargo test -p capstan --test deflate -- --ignored`)
// ---------------------------------------------------------------------------

/// An empty message compressed by a Deflater that keeps its context, after
/// another message, must still be a valid compressed message (RFC 7692
/// §7.2.3.6: 0x00) that leaves the stream usable. zlib emits nothing for a
/// second sync flush with no input, so Deflater::compress returns no bytes
/// (and fails its debug_assert).
#[test]
fn deflater_compresses_an_empty_message_after_another() {
    let mut deflater = Deflater::new(6, 15);
    let mut inflater = Inflater::new();
    for message in [&b"first message"[..], b"", b"third message"] {
        let compressed = deflater.compress(message, false);
        let mut out = Vec::new();
        inflater.inflate(&compressed, &mut out, usize::MAX).unwrap();
        inflater.finish_message(&mut out, usize::MAX, false).unwrap();
        assert_eq!(out, message);
    }
}

/// The same over a socket: the echo example's settings (as offered,
/// threshold 0) and a client that keeps context: an empty message echoed
/// after another one must decode, and so must the next one. In a debug
/// build the connection task panics; in a release build the server sends
/// an RSV1 frame with an empty payload, which leaves the client's inflater
/// inside a stored block header, so the next message fails to inflate.
#[tokio::test]
async fn an_empty_message_keeps_the_stream_valid() {
    let config = DeflateConfig { threshold: 0, ..DeflateConfig::as_offered() };
    let (server, mut seen) = start(ws_config(config), true).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    let json = json_text(500);
    for message in [json.as_bytes(), b"", json.as_bytes(), b""] {
        client.send_compressed(OpCode::Binary, message, 1, None).await;
        let echo = client.next_message().await;
        assert!(echo.compressed, "threshold 0: everything compressed");
        assert_eq!(echo.data, message);
    }
    client.close().await;
    server.stop().await;
}

/// The message limit is enforced on the inflated size "as it grows": a
/// bomb should stop within one growth step (1 MiB) past the limit. The
/// output Vec is grown with `reserve`, which doubles the capacity, and
/// `decompress_vec` fills all of it: with this bomb (1 MiB of input, so
/// steps of 1 MiB and capacities of 1, 2, 4, 8, 16 MiB) a 16 MiB limit
/// stops at 32 MiB, twice the limit held in memory per connection.
#[tokio::test]
async fn a_bomb_stops_within_a_step_of_the_limit() {
    let bomb = zero_bomb_pieces(1024).concat();
    let (server, mut seen) = start(ws_config(DeflateConfig::default()), false).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    client.send_raw(&client_frame(OpCode::Binary, true, true, &bomb)).await;
    assert_eq!(client.expect_close().await, 1009);
    match next_close(&mut seen).await.cause {
        CloseCause::ProtocolError(ProtocolError::MessageTooLarge { size, max }) => {
            assert_eq!(max, 16 * MIB);
            assert!(size <= (max + MIB) as u64, "inflated {size} bytes for a limit of {max}");
        }
        other => panic!("expected MessageTooLarge, got {other:?}"),
    }
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Deflate bombs
// ---------------------------------------------------------------------------

/// The bomb construction inflates to what it claims (so a 1009 below is
/// about size, not about broken data).
#[test]
fn the_zero_bomb_is_valid_deflate() {
    let bomb = zero_bomb_pieces(3).concat();
    let mut inflater = Inflater::new();
    let mut out = Vec::new();
    inflater.inflate(&bomb, &mut out, 4 * MIB).unwrap();
    inflater.finish_message(&mut out, 4 * MIB, true).unwrap();
    assert_eq!(out.len(), 3 * MIB);
    assert!(out.iter().all(|&b| b == 0));
}

/// One frame of about 1 MiB that inflates to 1 GiB of zeros, against the
/// default limits (16 MiB): closed with 1009 as soon as the inflated size
/// passes the limit, and the server goes on serving. (What it costs in
/// memory is measured alone, in tests/deflate_bomb.rs.)
#[tokio::test]
async fn a_deflate_bomb_is_stopped_at_the_message_limit() {
    const BOMB_MIB: usize = 1024;
    let bomb = zero_bomb_pieces(BOMB_MIB).concat();
    assert!(bomb.len() < 2 * MIB, "bomb of {} bytes", bomb.len());
    let frame = client_frame(OpCode::Binary, true, true, &bomb);
    drop(bomb);

    let config = WsConfig::default();
    assert_eq!(config.limits.max_message_size, 16 * MIB);
    let (server, mut seen) = start(config, true).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;

    client.send_raw(&frame).await;
    assert_eq!(client.expect_close().await, 1009);
    let info = next_close(&mut seen).await;
    match info.cause {
        CloseCause::ProtocolError(ProtocolError::MessageTooLarge { size, max }) => {
            assert_eq!(max, 16 * MIB);
            assert!(size > max as u64, "stopped at {size}");
            assert!(size < (BOMB_MIB * MIB) as u64 / 8, "stopped at {size}");
        }
        other => panic!("expected MessageTooLarge, got {other:?}"),
    }
    assert_eq!(info.code, CloseCode::MESSAGE_TOO_BIG);

    // The server goes on serving.
    let mut other = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    let json = json_text(2000);
    other.send_compressed(OpCode::Text, json.as_bytes(), 1, None).await;
    assert_eq!(other.next_message().await.data, json.as_bytes());
    other.close().await;
    server.stop().await;
}

/// The limit counts the inflated size of every fragment together: five
/// fragments of 1 MiB each, inflated, pass a 4 MiB limit; the same
/// message under an 8 MiB limit is received whole.
#[tokio::test]
async fn a_fragmented_bomb_is_stopped_across_fragments() {
    let pieces = zero_bomb_pieces(6);
    let frames = |pieces: &[Vec<u8>]| -> Vec<Vec<u8>> {
        let last = pieces.len() - 1;
        pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| {
                let opcode = if i == 0 { OpCode::Binary } else { OpCode::Continuation };
                client_frame(opcode, i == last, i == 0, piece)
            })
            .collect()
    };
    let limits = Limits { max_frame_size: MIB, max_message_size: 4 * MIB };
    let config = WsConfig { limits, deflate: DeflateConfig::default(), ..WsConfig::default() };
    let (server, mut seen) = start(config, false).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    client.send_raw(&frames(&pieces).concat()).await;
    assert_eq!(client.expect_close().await, 1009);
    match next_close(&mut seen).await.cause {
        CloseCause::ProtocolError(ProtocolError::MessageTooLarge { size, max }) => {
            assert_eq!(max, 4 * MIB);
            assert!(size > max as u64);
        }
        other => panic!("expected MessageTooLarge, got {other:?}"),
    }
    server.stop().await;

    let limits = Limits { max_frame_size: MIB, max_message_size: 8 * MIB };
    let config = WsConfig { limits, deflate: DeflateConfig::default(), ..WsConfig::default() };
    let (server, mut seen) = start(config, false).await;
    let mut client = connect(server.addr, DEFLATE).await;
    expect_open(&mut seen).await;
    client.send_raw(&frames(&pieces).concat()).await;
    let message = expect_message(&mut seen).await;
    assert_eq!(message.len(), 6 * MIB);
    assert!(message.as_bytes().iter().all(|&b| b == 0));
    client.close().await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Broadcast: one compressed frame shared
// ---------------------------------------------------------------------------

struct Hub {
    topic: Topic,
    tx: mpsc::UnboundedSender<Seen>,
}

impl Component for Hub {
    async fn on_open(&self, conn: &Conn) {
        self.topic.subscribe(conn);
        let _ = self.tx.send(Seen::Open(conn.clone()));
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}

    async fn on_close(&self, conn: &Conn, close: CloseInfo) {
        let _ = self.tx.send(Seen::Close(conn.clone(), close));
    }

    async fn on_error(&self, conn: &Conn, error: ConnError) {
        let _ = self.tx.send(Seen::Error(conn.clone(), error.to_string()));
    }
}

#[tokio::test]
async fn a_publish_shares_one_compressed_frame_among_no_context_subscribers() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let hub = shared(Hub { topic: Topic::new("news"), tx });
    let app = WsServer::with_config(hub.clone(), ws_config(as_offered()));
    let server = TestServer::start(HttpServer::new(app)).await;

    let offers: [&[&str]; 5] = [
        &["permessage-deflate; server_no_context_takeover"],
        &["permessage-deflate; server_no_context_takeover; client_no_context_takeover"],
        &["permessage-deflate"],
        &[],
        &["permessage-deflate; server_no_context_takeover; server_max_window_bits=10"],
    ];
    let mut clients = Vec::new();
    for offer in offers {
        clients.push(connect(server.addr, offer).await);
        expect_open(&mut seen).await;
    }
    assert_eq!(hub.topic.len(), 5);
    let [a, b, keep, plain, narrow] = &mut clients[..] else { unreachable!() };
    assert!(a.agreed().server_no_context_takeover && b.agreed().server_no_context_takeover);
    assert!(!keep.agreed().server_no_context_takeover);
    assert!(plain.agreed.is_none());
    assert_eq!(narrow.agreed().server_max_window_bits, 10);

    let news = json_text(4096);
    let mut keep_sizes = Vec::new();
    for round in 0..2 {
        assert_eq!(hub.topic.publish(news.clone()).queued, 5);
        let from_a = a.next_message().await;
        let from_b = b.next_message().await;
        assert!(from_a.compressed, "round {round}");
        assert_eq!(from_a.raw, from_b.raw, "byte-identical frames, round {round}");
        assert_eq!(from_a.data, news.as_bytes());
        assert_eq!(inflate_fresh(&from_b.wire).unwrap(), news.as_bytes());

        let from_keep = keep.next_message().await;
        assert!(from_keep.compressed);
        assert_eq!(from_keep.data, news.as_bytes(), "its own inflater, context kept");
        keep_sizes.push(from_keep.wire.len());

        let from_plain = plain.next_message().await;
        assert!(!from_plain.compressed);
        assert_eq!(from_plain.data, news.as_bytes());

        let from_narrow = narrow.next_message().await;
        assert!(from_narrow.compressed);
        assert_eq!(from_narrow.data, news.as_bytes(), "inflated within a 10-bit window");
    }
    assert!(
        keep_sizes[1] * 2 < keep_sizes[0],
        "context kept: the second copy refers to the first ({keep_sizes:?})"
    );

    // Below the threshold: the one plain frame for everyone.
    assert_eq!(hub.topic.publish("short").queued, 5);
    for client in clients.iter_mut() {
        let got = client.next_message().await;
        assert!(!got.compressed);
        assert_eq!(got.raw, b"\x81\x05short");
    }

    for client in clients.iter_mut() {
        client.close().await;
    }
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Session mode over permessage-deflate
// ---------------------------------------------------------------------------

/// A session's messages are compressed by the transport that carries them:
/// what was kept for a client that was cut is compressed anew, for the
/// agreement of the transport that resumes, and reads on its fresh window.
#[tokio::test]
async fn a_session_resumes_over_deflate_with_its_kept_messages_compressed_anew() {
    use capstan::SessionRoute;
    use capstan::resume::{ClientControl, ServerControl};
    use common::session_app::App;

    let (events, _seen) = tokio::sync::mpsc::unbounded_channel();
    let app = App { events, topic: capstan::Topic::new("t") };
    let server = TestServer::start(HttpServer::new(SessionRoute::new(app))).await;
    let control = |received: &Received| -> ServerControl {
        let text = std::str::from_utf8(&received.data).unwrap();
        ServerControl::parse(text.strip_prefix('c').expect("a control")).unwrap()
    };

    let mut first = connect(server.addr, &["permessage-deflate"]).await;
    first.send_plain(OpCode::Text, br#"c{"hello":{"v":1}}"#, 1).await;
    let ServerControl::Welcome(welcome) = control(&first.next_message().await) else {
        panic!("welcome first")
    };
    let big = format!("m{}", "compressible ".repeat(200));
    first.send_compressed(OpCode::Text, big.as_bytes(), 1, None).await;
    let echo = first.next_message().await;
    assert!(echo.compressed, "a large message is compressed");
    assert_eq!(echo.data, big.as_bytes());
    // Cut before the client could acknowledge it: the session keeps it.
    drop(first);

    let mut second = connect(server.addr, &["permessage-deflate"]).await;
    let resume = ClientControl::Resume { sid: welcome.sid, rx: 0 }.to_json();
    second.send_compressed(OpCode::Text, format!("c{resume}").as_bytes(), 1, None).await;
    let ServerControl::Welcome(again) = control(&second.next_message().await) else {
        panic!("welcome first")
    };
    assert_eq!((again.rx, again.resumed), (1, true));
    let resent = second.next_message().await;
    assert!(resent.compressed, "sent again, compressed for this transport");
    assert_eq!(resent.data, big.as_bytes());
    second.close().await;
    server.stop().await;
}
