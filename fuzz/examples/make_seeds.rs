//! Writes the committed seed corpora under `fuzz/corpus/TARGET/`:
//! `cargo run --example make_seeds` (from `fuzz/`). Deterministic: running
//! it again rewrites the same files. Every seed is small and hand-made:
//! masked frames (single, fragmented, control frames between), frames
//! compressed with capstan's own compressor, real handshake requests of
//! browsers and curl, and chat envelopes of every type of
//! docs/chat-protocol.md.
#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};

use capstan::ws::OpCode;
use capstan::ws::deflate::{Deflater, compress_shared};
use capstan_fuzz::{Layout, client_frame};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

struct Seeds {
    dir: PathBuf,
    count: usize,
}

impl Seeds {
    fn new(root: &Path, target: &str) -> Self {
        let dir = root.join(target);
        // Only the generated seeds: stale ones are removed.
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create corpus dir");
        Self { dir, count: 0 }
    }

    fn add(&mut self, name: &str, bytes: &[u8]) {
        fs::write(self.dir.join(name), bytes).expect("write seed");
        self.count += 1;
    }
}

fn masked(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    client_frame(opcode, fin, false, payload, KEY)
}

fn compressed(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    client_frame(opcode, fin, true, payload, KEY)
}

fn unmasked(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    let mut frame = masked(opcode, fin, payload);
    // Clear the mask bit, drop the key, unmask the payload.
    let header = frame.len() - payload.len() - 4;
    frame[1] &= 0x7f;
    frame.drain(header..header + 4);
    frame[header..].copy_from_slice(payload);
    frame
}

fn cat(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

fn frame_decoder(root: &Path) -> usize {
    let mut s = Seeds::new(root, "frame_decoder");
    let hello = masked(OpCode::Text, true, b"Hello");
    s.add("text-hello", &Layout::to_bytes(0, &[], &hello));
    s.add("text-hello-byte-by-byte", &Layout::to_bytes(0, &[1], &hello));
    let kosme = "κόσμε ✓ 𝄞".as_bytes();
    let fragmented = cat(&[
        masked(OpCode::Text, false, &kosme[..3]),
        masked(OpCode::Ping, true, b"between"),
        masked(OpCode::Continuation, false, &kosme[3..9]),
        masked(OpCode::Pong, true, b""),
        masked(OpCode::Continuation, true, &kosme[9..]),
    ]);
    s.add("text-fragmented-split-utf8", &Layout::to_bytes(0, &[3, 7, 1], &fragmented));
    let binary: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
    s.add("binary-300-len16", &Layout::to_bytes(0, &[], &masked(OpCode::Binary, true, &binary)));
    let mut len64 = vec![0x82, 0xff];
    len64.extend_from_slice(&70_000u64.to_be_bytes());
    len64.extend_from_slice(&KEY);
    len64.extend_from_slice(&[1, 2, 3, 4]);
    s.add("binary-len64-over-limit", &Layout::to_bytes(0, &[], &len64));
    let mut close = vec![0x03, 0xe8];
    close.extend_from_slice("bye ✓".as_bytes());
    let conversation = cat(&[
        masked(OpCode::Ping, true, b"ping"),
        masked(OpCode::Binary, false, b"ab"),
        masked(OpCode::Continuation, true, b"cd"),
        masked(OpCode::Text, true, b""),
        masked(OpCode::Close, true, &close),
        masked(OpCode::Text, true, b"after close"),
    ]);
    s.add("conversation-then-frame-after-close", &Layout::to_bytes(0, &[5, 0, 2], &conversation));
    s.add("close-empty", &Layout::to_bytes(0, &[], &masked(OpCode::Close, true, b"")));
    s.add("close-bad-code", &Layout::to_bytes(0, &[], &masked(OpCode::Close, true, &[0x03, 0xed])));
    s.add("close-one-byte", &Layout::to_bytes(0, &[], &masked(OpCode::Close, true, &[0x03])));
    let bad_utf8 = cat(&[
        masked(OpCode::Text, false, &[0xce, 0xba, 0xe1]),
        masked(OpCode::Continuation, true, &[0xbd, 0xed, 0xa0, 0x80]),
    ]);
    s.add("text-invalid-utf8-fragmented", &Layout::to_bytes(0, &[2], &bad_utf8));
    let server = cat(&[
        unmasked(OpCode::Text, false, b"from the "),
        unmasked(OpCode::Continuation, true, b"server"),
        unmasked(OpCode::Ping, true, b""),
        unmasked(OpCode::Close, true, &[0x03, 0xe9]),
    ]);
    s.add("client-role-unmasked", &Layout::to_bytes(1, &[4], &server));
    s.add("server-role-unmasked-rejected", &Layout::to_bytes(0, &[], &server));
    let tiny = cat(&[
        masked(OpCode::Binary, false, &[9u8; 500]),
        masked(OpCode::Continuation, false, &[8u8; 500]),
        masked(OpCode::Continuation, true, &[7u8; 500]),
    ]);
    s.add("tiny-limits-message-too-large", &Layout::to_bytes(2, &[200, 255], &tiny));
    s.add(
        "tiny-limits-frame-too-large",
        &Layout::to_bytes(2, &[], &masked(OpCode::Binary, true, &[1u8; 700])),
    );
    s.add(
        "reserved-opcode-and-rsv",
        &Layout::to_bytes(0, &[], &[0x83, 0x80, 1, 2, 3, 4, 0xc1, 0x80, 1, 2, 3, 4]),
    );
    s.add("non-minimal-length", &Layout::to_bytes(0, &[], &[0x82, 0xfe, 0x00, 0x7d]));
    s.count
}

fn frame_decoder_deflate(root: &Path) -> usize {
    let mut s = Seeds::new(root, "frame_decoder_deflate");
    // RFC 7692 §7.2.3.1: "Hello" compressed, and in a final block (BFINAL).
    let rfc_hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    s.add("rfc7692-hello", &Layout::to_bytes(0, &[], &compressed(OpCode::Text, true, &rfc_hello)));
    let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    s.add(
        "rfc7692-hello-bfinal",
        &Layout::to_bytes(2, &[], &compressed(OpCode::Text, true, &bfinal)),
    );
    // §7.2.3.2: "Hello" twice with context takeover; the second refers back.
    let twice = cat(&[
        compressed(OpCode::Text, true, &rfc_hello),
        compressed(OpCode::Text, true, &[0xf2, 0x00, 0x11, 0x00, 0x00]),
    ]);
    s.add("rfc7692-hello-twice-context", &Layout::to_bytes(0, &[3], &twice));
    // §7.2.3.3: a stored block ("Hello" uncompressed inside deflate).
    let stored = [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00];
    s.add(
        "rfc7692-stored-block",
        &Layout::to_bytes(2, &[], &compressed(OpCode::Text, true, &stored)),
    );

    let text = "a fairly long message that repeats itself, a fairly long message ✓".as_bytes();
    let shared = compress_shared(text, 6, 15);
    let fragmented = cat(&[
        compressed(OpCode::Text, false, &shared[..shared.len() / 2]),
        masked(OpCode::Ping, true, b"p"),
        masked(OpCode::Continuation, true, &shared[shared.len() / 2..]),
        compressed(OpCode::Binary, true, &compress_shared(&[0u8; 100], 9, 9)),
        masked(OpCode::Binary, true, b"plain binary between compressed ones"),
        compressed(OpCode::Text, true, &compress_shared(b"", 6, 15)),
    ]);
    s.add("no-context-fragmented-and-mixed", &Layout::to_bytes(2, &[5, 11], &fragmented));
    let mut deflater = Deflater::new(6, 15);
    let context = cat(&[
        compressed(OpCode::Text, true, &deflater.compress(text, false)),
        compressed(OpCode::Text, true, &deflater.compress(text, false)),
        masked(OpCode::Close, true, &[0x03, 0xe8]),
    ]);
    s.add("context-takeover-pair", &Layout::to_bytes(0, &[], &context));
    let bomb = compress_shared(&vec![0u8; (64 << 10) + 1], 9, 15);
    s.add("bomb-one-over-64k", &Layout::to_bytes(0, &[], &compressed(OpCode::Binary, true, &bomb)));
    let exact = compress_shared(&vec![b'a'; 64 << 10], 9, 15);
    s.add("exactly-64k", &Layout::to_bytes(2, &[], &compressed(OpCode::Text, true, &exact)));
    let bad_text = compress_shared(&[b'o', b'k', 0xff, 0xfe], 6, 15);
    s.add(
        "compressed-invalid-utf8",
        &Layout::to_bytes(0, &[], &compressed(OpCode::Text, true, &bad_text)),
    );
    s.add(
        "garbage-deflate",
        &Layout::to_bytes(0, &[], &compressed(OpCode::Binary, true, &[0xff; 9])),
    );
    let rsv1_continuation = cat(&[
        compressed(OpCode::Text, false, &shared[..4]),
        compressed(OpCode::Continuation, true, &shared[4..]),
    ]);
    s.add("rsv1-on-continuation", &Layout::to_bytes(0, &[], &rsv1_continuation));
    s.add("rsv1-on-ping", &Layout::to_bytes(0, &[], &compressed(OpCode::Ping, true, b"x")));
    s.add(
        "rsv1-without-deflate",
        &Layout::to_bytes(1, &[], &compressed(OpCode::Text, true, &rfc_hello)),
    );
    // Round-trip mode (flag 4): the stream is the source of messages.
    s.add("round-trip-context", &Layout::to_bytes(4, &[7], b"\x06\x0f\x01\x01Hello, Hello, Hello!\x03\x02\x05\x01\xa1\xb2\xc3\xd4\x00\x00binary\x00\x00\x00\x00\x00\x00\x00"));
    s.add("round-trip-no-context", &Layout::to_bytes(6, &[1, 9], b"\x09\x09\x01\x01\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\x10\x01\x03\x01\x01\x02\x03\x04\x01\x01zzzzzzzzzzzzzzzz\x40\x00\x00\x00\x00\x00\x00"));
    s.add("round-trip-tiny-limits", &Layout::to_bytes(14, &[], b"\x09\x0c\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x3f\x01\x07\x00\x00\x00\x00\x00"));
    s.count
}

fn handshake(root: &Path) -> usize {
    let mut s = Seeds::new(root, "handshake");
    let crlf = |lines: &[&str]| {
        let mut head = lines.join("\r\n");
        head.push_str("\r\n\r\n");
        head.into_bytes()
    };
    s.add(
        "chrome",
        &crlf(&[
            "GET /ws HTTP/1.1",
            "Host: localhost:8080",
            "Connection: Upgrade",
            "Pragma: no-cache",
            "Cache-Control: no-cache",
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Upgrade: websocket",
            "Origin: http://localhost:8080",
            "Sec-WebSocket-Version: 13",
            "Accept-Encoding: gzip, deflate, br, zstd",
            "Accept-Language: en-US,en;q=0.9",
            "Cookie: session=abc123; theme=\"dark\"",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        ]),
    );
    s.add(
        "firefox",
        &crlf(&[
            "GET /chat?room=general&user=J%C3%BCrgen+K HTTP/1.1",
            "Host: localhost:8080",
            "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Accept: */*",
            "Accept-Language: en-US,en;q=0.5",
            "Accept-Encoding: gzip, deflate, br, zstd",
            "Sec-WebSocket-Version: 13",
            "Origin: http://localhost:8080",
            "Sec-WebSocket-Protocol: chat, superchat",
            "Sec-WebSocket-Extensions: permessage-deflate",
            "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==",
            "Connection: keep-alive, Upgrade",
            "Sec-Fetch-Dest: empty",
            "Sec-Fetch-Mode: websocket",
            "Sec-Fetch-Site: same-origin",
            "Pragma: no-cache",
            "Cache-Control: no-cache",
            "Upgrade: websocket",
        ]),
    );
    s.add(
        "safari",
        &crlf(&[
            "GET / HTTP/1.1",
            "Host: 192.0.2.1:9001",
            "Origin: https://example.com",
            "Pragma: no-cache",
            "Cache-Control: no-cache",
            "Accept-Language: en-GB,en;q=0.9",
            "Upgrade: websocket",
            "Accept-Encoding: gzip, deflate",
            "Sec-WebSocket-Extensions: permessage-deflate",
            "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==",
            "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Connection: Upgrade",
            "Sec-WebSocket-Version: 13",
        ]),
    );
    s.add(
        "curl",
        &crlf(&[
            "GET /ws HTTP/1.1",
            "Host: 127.0.0.1:8080",
            "User-Agent: curl/8.11.1",
            "Accept: */*",
            "Upgrade: websocket",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Key: 6JQDq5bRJ3QxZQHDh4D9Og==",
            "Connection: Upgrade",
        ]),
    );
    s.add(
        "python-websockets",
        &crlf(&[
            "GET /ws HTTP/1.1",
            "Host: [::1]:8080",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: kWMJeLkB6Ex0l3UZ0sW5vQ==",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits=\"12\", permessage-deflate; client_max_window_bits",
            "Sec-WebSocket-Protocol: v2.chat",
            "User-Agent: Python/3.12 websockets/13.1",
        ]),
    );
    s.add(
        "rfc6455-example-absolute-form",
        &crlf(&[
            "GET ws://server.example.com/chat?x=%zz&y HTTP/1.1",
            "Host: server.example.com",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Origin: http://example.com",
            "Sec-WebSocket-Protocol: chat, superchat",
            "sec-websocket-extensions: x-webkit-deflate-frame",
            "sec-websocket-extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
            "Sec-WebSocket-Version: 13",
        ]),
    );
    s.add(
        "rejected-http10-two-hosts-bad-key",
        &crlf(&[
            "POST /ws HTTP/1.0",
            "Host: a",
            "Host: b",
            "Connection: close",
            "Sec-WebSocket-Key: c2hvcnQ=",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 8",
        ]),
    );
    s.add("bare-lf-head", b"GET / HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: upgrade\nSec-WebSocket-Key:  dGhlIHNhbXBsZSBub25jZQ== \nSec-WebSocket-Version:13\n\n");
    s.add(
        "extension-offers-only",
        b"permessage-deflate; server_max_window_bits=8, permessage-deflate; server_no_context_takeover; client_no_context_takeover\n\
          permessage-deflate; client_max_window_bits=15; client_max_window_bits=15\n\
          permessage-deflate; server_max_window_bits=\"1\"0\"; foo=\"a;b,c\", PerMessage-Deflate ; client_max_window_bits = 09\n\
          permessage-deflate; server_max_window_bits=11; client_max_window_bits=8\n",
    );
    s.count
}

fn chat_protocol(root: &Path) -> usize {
    let mut s = Seeds::new(root, "chat_protocol");
    let envelopes: &[(&str, &str)] = &[
        ("add_user", r#"{"type":"add_user","data":{"username":"alice"}}"#),
        (
            "add_user-resume",
            r#"{"type":"add_user","data":{"username":"  Zoë 🚀 ","session":"s-3f2a","rooms":{"general":41,"rust-lang_2":0,"@alice|bob":7}}}"#,
        ),
        ("rename_user", r#"{"type":"rename_user","data":{"username":"ann"}}"#),
        ("message", r#"{"type":"message","data":{"content":"hello"}}"#),
        (
            "message-room-client-id",
            r#"{"type":"message","data":{"content":"hi \u00e9 ✓","room":"random","client_id":"c-17"},"v":2}"#,
        ),
        ("join", r#"{"type":"join","data":{"room":"random","after":42}}"#),
        ("leave", r#"{"type":"leave","data":{"room":"general"}}"#),
        ("rooms", r#"{"type":"rooms"}"#),
        ("rooms-null-data", r#"{"type":"rooms","data":null}"#),
        ("history", r#"{"type":"history","data":{"room":"@alice|bob","before":100,"limit":50}}"#),
        ("history-after", r#"{"type":"history","data":{"room":"general","after":3,"limit":1000}}"#),
        ("typing", r#"{"type":"typing","data":{"room":"general","active":true}}"#),
        ("direct", r#"{"type":"direct","data":{"to":"bob","content":"psst","client_id":"d-1"}}"#),
        (
            "server-type-ack",
            r#"{"type":"ack","data":{"client_id":"c-17","id":42,"room":"general","duplicate":false}}"#,
        ),
        ("invalid-json", r#"{"type":"message","data":{"content":"unterminated"#),
        ("not-object", r#"[1,2,{"type":"rooms"}]"#),
        ("data-not-object", r#"{"type":"message","data":"hi"}"#),
        ("type-not-string", r#"{"type":5,"data":{}}"#),
        ("mistyped-field", r#"{"type":"message","data":{"content":7,"client_id":"c1"}}"#),
        ("before-and-after", r#"{"type":"history","data":{"room":"a","before":3,"after":1}}"#),
        ("negative-after", r#"{"type":"join","data":{"room":"a","after":-1}}"#),
        (
            "duplicate-keys",
            r#"{"type":"rooms","type":"typing","data":{"room":"x","active":false,"active":true}}"#,
        ),
        (
            "names-lines",
            "alice\n  bob  \n@alice|bob\n@b|a\nrust-lang_2\nGeneral\na\u{7}b\n@Zoë|zoë\n",
        ),
    ];
    for (name, text) in envelopes {
        s.add(name, text.as_bytes());
    }
    s.count
}

/// The game's messages, one per line as the target reads them: every
/// client type of docs/game-protocol.md, moves by both players (a tab
/// before the JSON makes the line's first byte odd: O moves), and refused
/// ones.
fn game_protocol(root: &Path) -> usize {
    let mut s = Seeds::new(root, "game_protocol");
    let seeds: &[(&str, &str)] = &[
        (
            "create_public",
            r#"{"type":"create_player","data":{"player_name":"Bob","game_public":true}}"#,
        ),
        (
            "create_private",
            r#"{"type":"create_player","data":{"player_name":"Al","game_public":"false","game_id":"5960c2b1a3f4e","player_key":"abcdefghijklmnop1234","time_control":{"game_secs":60,"move_secs":10}}}"#,
        ),
        (
            "moves",
            "{\"type\":\"add_move\",\"data\":{\"coords\":{\"x\":\"4\",\"y\":\"7\"}}}\n\t{\"type\":\"add_move\",\"data\":{\"coords\":{\"x\":5,\"y\":\"7\"}}}\n{\"type\":\"add_move\",\"data\":{\"coords\":{\"x\":\"4\",\"y\":\"8\"}}}\n{\"type\":\"add_move\",\"data\":{\"coords\":{}}}\n",
        ),
        (
            "others",
            "{\"type\":\"resume_game\",\"data\":{\"token\":\"00\"}}\n{\"type\":\"watch_game\",\"data\":{\"game_id\":\"ab\"}}\n{\"type\":\"rematch\",\"data\":{}}\n{\"type\":\"resign\",\"data\":{}}\n{\"type\":\"disconnect_player\",\"data\":{}}\n{\"type\":\"<b>\",\"data\":1}\n",
        ),
    ];
    for (name, text) in seeds {
        s.add(name, text.as_bytes());
    }
    s.count
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let counts = [
        ("frame_decoder", frame_decoder(&root)),
        ("frame_decoder_deflate", frame_decoder_deflate(&root)),
        ("handshake", handshake(&root)),
        ("chat_protocol", chat_protocol(&root)),
        ("game_protocol", game_protocol(&root)),
    ];
    for (target, count) in counts {
        println!("{target}: {count} seeds in {}", root.join(target).display());
    }
}
