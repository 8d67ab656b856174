//! RFC 6455 behaviour over real sockets: every violation a client can commit
//! is answered with the RFC's close code, reported to the application
//! (`on_error`, then `on_close` with the exact rule), and the TCP connection
//! is closed; well-formed traffic (control frames, fragments, big and empty
//! messages, the close handshake) works end to end.

mod common;

use std::sync::Arc;

use capstan::Limits;
use capstan::ws::{CloseFrame, Event, OpCode, encode_client_frame};
use capstan::{
    CloseCause, CloseCode, CloseInfo, Component, Conn, ConnError, HttpServer, Message,
    ProtocolError, SendError, WsConfig, WsServer,
};
use common::*;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

type Rx = mpsc::UnboundedReceiver<Seen>;

const KEY4: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A server running a [`Recorder`] with `config`.
async fn start_with(config: WsConfig, echo: bool) -> (TestServer, Rx) {
    let (recorder, seen) = Recorder::new(echo);
    let server = TestServer::start(HttpServer::new(WsServer::with_config(recorder, config))).await;
    (server, seen)
}

/// A server running a [`Recorder`] with the default configuration.
async fn start(echo: bool) -> (TestServer, Rx) {
    start_with(WsConfig::default(), echo).await
}

/// Connects a raw client and waits for the application's `on_open`.
async fn open(server: &TestServer, seen: &mut Rx) -> Client {
    let client = Client::connect(server.addr, "/").await;
    match next_seen(seen).await {
        Seen::Open(_) => {}
        other => panic!("expected on_open, got {other:?}"),
    }
    client
}

/// A frame with an arbitrary first byte (FIN, RSV bits, opcode nibble),
/// minimal length encoding, masked with [`KEY4`] or not at all.
fn raw_frame(b0: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mask_bit = if masked { 0x80 } else { 0 };
    let mut out = vec![b0];
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&KEY4);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY4[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// A masked close frame whose body is `code` then `reason` (any bytes).
fn close_frame(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut body = code.to_be_bytes().to_vec();
    body.extend_from_slice(reason);
    encode_client_frame(OpCode::Close, true, &body, KEY4)
}

/// After a violation: the server's close frame carries `code` and the TCP
/// connection closes; the application saw `on_error` with `error` and then
/// `on_close` with `code` and `CloseCause::ProtocolError(error)`. Nothing
/// else may reach the application in between.
async fn expect_failed(client: &mut Client, seen: &mut Rx, code: u16, error: ProtocolError) {
    let frame = client.expect_close().await.expect("the close frame carries a code");
    assert_eq!(frame.code, CloseCode(code), "close code on the wire (reason: {})", frame.reason);
    expect_app_failed(seen, code, error).await;
}

/// The application's side of [`expect_failed`].
async fn expect_app_failed(seen: &mut Rx, code: u16, error: ProtocolError) {
    match next_seen(seen).await {
        Seen::Error(_, message) => {
            assert_eq!(message, ConnError::Protocol(error.clone()).to_string(), "on_error");
        }
        other => panic!("expected on_error({error:?}), got {other:?}"),
    }
    match next_seen(seen).await {
        Seen::Close(_, info) => {
            assert_eq!(info.code, CloseCode(code), "on_close code");
            assert_eq!(info.cause, CloseCause::ProtocolError(error), "on_close cause");
        }
        other => panic!("expected on_close, got {other:?}"),
    }
}

/// Opens a connection to a fresh default server, writes `bytes` in one go
/// and checks the connection is failed with `code` for `error`.
async fn assert_violation(bytes: &[u8], code: u16, error: ProtocolError) {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    client.send_raw(bytes).await;
    expect_failed(&mut client, &mut seen, code, error).await;
    server.stop().await;
}

/// The next event must be the message `expected`.
async fn expect_message(client: &mut Client, expected: Message) {
    assert_eq!(client.next_event().await, Some(Event::Message(expected)));
}

/// The application's next callback must be `on_message(expected)`.
async fn expect_seen_message(seen: &mut Rx, expected: &Message) {
    match next_seen(seen).await {
        Seen::Message(_, message) => assert_eq!(&message, expected),
        other => panic!("expected on_message, got {other:?}"),
    }
}

/// Closes normally from the client side and checks the handshake completes.
async fn close_normally(client: &mut Client, seen: &mut Rx) {
    client.send_raw(&close_frame(1000, b"")).await;
    let frame = client.expect_close().await.expect("close echo has a code");
    assert_eq!(frame.code, CloseCode::NORMAL);
    let info = next_close(seen).await;
    assert_eq!(info.cause, CloseCause::PeerClosed);
}

fn limited_config() -> WsConfig {
    WsConfig {
        limits: Limits { max_frame_size: 1000, max_message_size: 2000 },
        ..WsConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Framing violations: 1002
// ---------------------------------------------------------------------------

#[tokio::test]
async fn unmasked_client_frame_is_1002() {
    assert_violation(&raw_frame(0x81, b"hi", false), 1002, ProtocolError::UnmaskedClientFrame)
        .await;
}

#[tokio::test]
async fn rsv1_is_1002() {
    assert_violation(&raw_frame(0xc1, b"hi", true), 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn rsv2_is_1002() {
    assert_violation(&raw_frame(0xa1, b"hi", true), 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn rsv3_is_1002() {
    assert_violation(&raw_frame(0x91, b"hi", true), 1002, ProtocolError::ReservedBitsSet).await;
}

#[tokio::test]
async fn reserved_data_opcode_3_is_1002() {
    assert_violation(&raw_frame(0x83, b"hi", true), 1002, ProtocolError::ReservedOpcode(0x3)).await;
}

#[tokio::test]
async fn reserved_control_opcode_b_is_1002() {
    assert_violation(&raw_frame(0x8b, b"hi", true), 1002, ProtocolError::ReservedOpcode(0xb)).await;
}

#[tokio::test]
async fn ping_with_126_byte_payload_is_1002() {
    let frame = raw_frame(0x89, &[b'p'; 126], true);
    assert_eq!(frame[1], 0x80 | 126, "uses the 16-bit length");
    assert_violation(&frame, 1002, ProtocolError::ControlFrameTooLong).await;
}

#[tokio::test]
async fn fragmented_ping_is_1002() {
    // FIN = 0 on a ping.
    assert_violation(&raw_frame(0x09, b"p", true), 1002, ProtocolError::FragmentedControlFrame)
        .await;
}

#[tokio::test]
async fn continuation_without_start_is_1002() {
    let frame = encode_client_frame(OpCode::Continuation, true, b"orphan", KEY4);
    assert_violation(&frame, 1002, ProtocolError::ContinuationWithoutStart).await;
}

#[tokio::test]
async fn new_text_frame_inside_fragmented_message_is_1002() {
    let mut bytes = encode_client_frame(OpCode::Text, false, b"first ", KEY4);
    bytes.extend(encode_client_frame(OpCode::Text, true, b"second", KEY4));
    assert_violation(&bytes, 1002, ProtocolError::DataFrameInsideFragmentedMessage).await;
}

#[tokio::test]
async fn non_minimal_16_bit_length_is_1002() {
    // A 5-byte payload announced with the 16-bit extended length.
    let mut bytes = vec![0x81, 0x80 | 126, 0x00, 0x05];
    bytes.extend_from_slice(&KEY4);
    bytes.extend(b"hello".iter().enumerate().map(|(i, b)| b ^ KEY4[i % 4]));
    assert_violation(&bytes, 1002, ProtocolError::NonMinimalLength).await;
}

#[tokio::test]
async fn non_minimal_64_bit_length_is_1002() {
    // A 200-byte payload announced with the 64-bit extended length; header only.
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&200u64.to_be_bytes());
    bytes.extend_from_slice(&KEY4);
    assert_violation(&bytes, 1002, ProtocolError::NonMinimalLength).await;
}

#[tokio::test]
async fn length_with_top_bit_set_is_1002() {
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
    bytes.extend_from_slice(&KEY4);
    assert_violation(&bytes, 1002, ProtocolError::LengthOverflow).await;
}

// ---------------------------------------------------------------------------
// Close frame violations
// ---------------------------------------------------------------------------

#[tokio::test]
async fn close_frame_with_one_byte_body_is_1002() {
    let frame = encode_client_frame(OpCode::Close, true, &[0x03], KEY4);
    assert_violation(&frame, 1002, ProtocolError::CloseFrameOneByte).await;
}

#[tokio::test]
async fn close_code_999_is_1002() {
    assert_violation(&close_frame(999, b""), 1002, ProtocolError::InvalidCloseCode(999)).await;
}

#[tokio::test]
async fn close_code_1005_is_1002() {
    assert_violation(&close_frame(1005, b""), 1002, ProtocolError::InvalidCloseCode(1005)).await;
}

#[tokio::test]
async fn close_code_1006_is_1002() {
    assert_violation(&close_frame(1006, b"x"), 1002, ProtocolError::InvalidCloseCode(1006)).await;
}

#[tokio::test]
async fn close_code_2999_is_1002() {
    assert_violation(&close_frame(2999, b""), 1002, ProtocolError::InvalidCloseCode(2999)).await;
}

#[tokio::test]
async fn other_unsendable_close_codes_are_1002() {
    let (server, mut seen) = start(false).await;
    for code in [0, 1004, 1015, 1016, 1100, 2000, 5000, 65535] {
        let mut client = open(&server, &mut seen).await;
        client.send_raw(&close_frame(code, b"")).await;
        expect_failed(&mut client, &mut seen, 1002, ProtocolError::InvalidCloseCode(code)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn sendable_close_codes_are_echoed_and_reported() {
    let (server, mut seen) = start(false).await;
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
    {
        let mut client = open(&server, &mut seen).await;
        client.send_raw(&close_frame(code, b"why")).await;
        let frame = client.expect_close().await.expect("the echo carries the code");
        assert_eq!(frame.code, CloseCode(code));
        match next_seen(&mut seen).await {
            Seen::Close(_, info) => assert_eq!(
                info,
                CloseInfo {
                    code: CloseCode(code),
                    reason: "why".into(),
                    cause: CloseCause::PeerClosed
                }
            ),
            other => panic!("expected on_close for {code}, got {other:?}"),
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn close_reason_with_invalid_utf8_is_1007() {
    assert_violation(&close_frame(1000, b"ok\xff\xfe"), 1007, ProtocolError::InvalidCloseReason)
        .await;
}

// ---------------------------------------------------------------------------
// UTF-8: 1007, failing fast
// ---------------------------------------------------------------------------

#[tokio::test]
async fn invalid_utf8_in_text_message_is_1007() {
    let frame = encode_client_frame(OpCode::Text, true, b"abc\xc0\xafdef", KEY4);
    assert_violation(&frame, 1007, ProtocolError::InvalidUtf8).await;
}

#[tokio::test]
async fn unfinished_utf8_character_at_end_of_message_is_1007() {
    // "✓" is E2 9C 93: the message ends after two of its three bytes.
    let frame = encode_client_frame(OpCode::Text, true, b"ok \xe2\x9c", KEY4);
    assert_violation(&frame, 1007, ProtocolError::InvalidUtf8).await;
}

#[tokio::test]
async fn invalid_utf8_in_first_fragment_fails_before_the_message_ends() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    client.send_frame(OpCode::Text, false, b"fine so far \xff").await;
    // The final fragment is never sent: the answer must come without it.
    expect_failed(&mut client, &mut seen, 1007, ProtocolError::InvalidUtf8).await;
    server.stop().await;
}

#[tokio::test]
async fn utf8_character_broken_across_fragments_fails_before_the_message_ends() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    // F4 could start a valid character; F4 90 cannot (beyond U+10FFFF).
    client.send_frame(OpCode::Text, false, b"ok \xf4").await;
    client.send_frame(OpCode::Continuation, false, b"\x90\x80\x80 more").await;
    expect_failed(&mut client, &mut seen, 1007, ProtocolError::InvalidUtf8).await;
    server.stop().await;
}

#[tokio::test]
async fn invalid_utf8_at_start_of_big_frame_fails_before_its_payload_is_complete() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    let mut payload = vec![b'a'; 100_000];
    payload[..3].copy_from_slice(b"\xed\xa0\x80"); // a surrogate: never valid
    let frame = encode_client_frame(OpCode::Text, true, &payload, KEY4);
    let header_len = 2 + 8 + 4;
    // Header and the first 64 payload bytes only; 99 936 bytes never come.
    client.send_raw(&frame[..header_len + 64]).await;
    expect_failed(&mut client, &mut seen, 1007, ProtocolError::InvalidUtf8).await;
    server.stop().await;
}

#[tokio::test]
async fn utf8_character_split_across_fragments_and_reads_is_accepted() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    // "café ✓ 𝄞", cut inside "é" and inside "𝄞".
    let text = "café ✓ 𝄞";
    let bytes = text.as_bytes();
    let cut1 = text.find('é').unwrap() + 1;
    let cut2 = text.find('𝄞').unwrap() + 2;
    client.send_frame(OpCode::Text, false, &bytes[..cut1]).await;
    client.send_frame(OpCode::Continuation, false, &bytes[cut1..cut2]).await;
    client.send_frame(OpCode::Continuation, true, &bytes[cut2..]).await;
    expect_message(&mut client, Message::text(text)).await;
    expect_seen_message(&mut seen, &Message::text(text)).await;
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Size limits: 1009
// ---------------------------------------------------------------------------

#[tokio::test]
async fn frame_over_max_frame_size_is_1009_from_its_header_alone() {
    let (server, mut seen) = start_with(limited_config(), false).await;
    let mut client = open(&server, &mut seen).await;
    let frame = encode_client_frame(OpCode::Binary, true, &[7u8; 1001], KEY4);
    // 2 bytes, the 16-bit length, the mask key: no payload at all.
    client.send_raw(&frame[..2 + 2 + 4]).await;
    let error = ProtocolError::FrameTooLarge { size: 1001, max: 1000 };
    expect_failed(&mut client, &mut seen, 1009, error).await;
    server.stop().await;
}

#[tokio::test]
async fn huge_64_bit_length_is_1009_with_default_limits() {
    let mut bytes = vec![0x82, 0x80 | 127];
    bytes.extend_from_slice(&(1u64 << 40).to_be_bytes());
    bytes.extend_from_slice(&KEY4);
    let max = Limits::default().max_frame_size;
    let error = ProtocolError::FrameTooLarge { size: 1 << 40, max };
    assert_violation(&bytes, 1009, error).await;
}

#[tokio::test]
async fn fragmented_message_over_max_message_size_is_1009() {
    let (server, mut seen) = start_with(limited_config(), false).await;
    let mut client = open(&server, &mut seen).await;
    // 700 + 700 + 601 = 2001 bytes, every frame under the frame limit.
    client.send_frame(OpCode::Binary, false, &[1u8; 700]).await;
    client.send_frame(OpCode::Continuation, false, &[2u8; 700]).await;
    client.send_frame(OpCode::Continuation, true, &[3u8; 601]).await;
    let error = ProtocolError::MessageTooLarge { size: 2001, max: 2000 };
    expect_failed(&mut client, &mut seen, 1009, error).await;
    server.stop().await;
}

#[tokio::test]
async fn frame_and_message_exactly_at_the_limits_are_accepted() {
    let (server, mut seen) = start_with(limited_config(), true).await;
    let mut client = open(&server, &mut seen).await;

    let frame = vec![b'f'; 1000];
    client.send_frame(OpCode::Binary, true, &frame).await;
    expect_message(&mut client, Message::binary(frame.clone())).await;
    expect_seen_message(&mut seen, &Message::binary(frame)).await;

    // 1000 + 600 + 400 = 2000 bytes of text.
    let text = "m".repeat(2000);
    client.send_frame(OpCode::Text, false, &text.as_bytes()[..1000]).await;
    client.send_frame(OpCode::Continuation, false, &text.as_bytes()[1000..1600]).await;
    client.send_frame(OpCode::Continuation, true, &text.as_bytes()[1600..]).await;
    expect_message(&mut client, Message::text(text.clone())).await;
    expect_seen_message(&mut seen, &Message::text(text)).await;

    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// What was accepted before a violation is still answered
// ---------------------------------------------------------------------------

#[tokio::test]
async fn messages_before_a_violation_are_answered_before_the_close() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    let mut bytes = encode_client_frame(OpCode::Text, true, b"a", KEY4);
    bytes.extend(raw_frame(0x81, b"b", false)); // unmasked
    client.send_raw(&bytes).await;
    // The echo of "a" comes first, then the close frame.
    expect_message(&mut client, Message::text("a")).await;
    expect_seen_message(&mut seen, &Message::text("a")).await;
    expect_failed(&mut client, &mut seen, 1002, ProtocolError::UnmaskedClientFrame).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Control frames and data messages
// ---------------------------------------------------------------------------

#[tokio::test]
async fn ping_is_answered_with_pong_carrying_the_same_payload() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    let payload: Vec<u8> = (0..125u8).collect();
    client.send_frame(OpCode::Ping, true, &payload).await;
    assert_eq!(client.next_event().await, Some(Event::Pong(payload.into())));
    client.send_frame(OpCode::Ping, true, b"").await;
    assert_eq!(client.next_event().await, Some(Event::Pong(bytes::Bytes::new())));
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn unsolicited_pong_is_ignored() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    client.send_frame(OpCode::Pong, true, b"unsolicited").await;
    client.send_frame(OpCode::Text, true, b"after the pong").await;
    // Nothing answers the pong: the echo is the next thing on the wire,
    // and the application saw only the message.
    expect_message(&mut client, Message::text("after the pong")).await;
    expect_seen_message(&mut seen, &Message::text("after the pong")).await;
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn control_frames_between_fragments_are_answered_and_message_delivered_whole() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    client.send_frame(OpCode::Text, false, b"Hel").await;
    client.send_frame(OpCode::Ping, true, b"in between").await;
    client.send_frame(OpCode::Continuation, false, b"lo, ").await;
    client.send_frame(OpCode::Pong, true, b"ignored").await;
    client.send_frame(OpCode::Ping, true, b"again").await;
    client.send_frame(OpCode::Continuation, true, b"world").await;
    assert_eq!(client.next_event().await, Some(Event::Pong("in between".into())));
    assert_eq!(client.next_event().await, Some(Event::Pong("again".into())));
    expect_message(&mut client, Message::text("Hello, world")).await;
    expect_seen_message(&mut seen, &Message::text("Hello, world")).await;

    // The same with a binary message.
    client.send_frame(OpCode::Binary, false, &[1, 2]).await;
    client.send_frame(OpCode::Ping, true, b"bin").await;
    client.send_frame(OpCode::Continuation, true, &[3]).await;
    assert_eq!(client.next_event().await, Some(Event::Pong("bin".into())));
    expect_message(&mut client, Message::binary(vec![1, 2, 3])).await;
    expect_seen_message(&mut seen, &Message::binary(vec![1, 2, 3])).await;

    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn empty_text_and_binary_messages_round_trip() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    client.send_frame(OpCode::Text, true, b"").await;
    expect_message(&mut client, Message::text("")).await;
    expect_seen_message(&mut seen, &Message::text("")).await;
    client.send_frame(OpCode::Binary, true, b"").await;
    expect_message(&mut client, Message::binary(Vec::new())).await;
    expect_seen_message(&mut seen, &Message::binary(Vec::new())).await;
    // An empty message made of empty fragments.
    client.send_frame(OpCode::Text, false, b"").await;
    client.send_frame(OpCode::Continuation, true, b"").await;
    expect_message(&mut client, Message::text("")).await;
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn one_mib_binary_message_round_trips() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i.wrapping_mul(31) >> 3) as u8).collect();
    client.send_frame(OpCode::Binary, true, &data).await;
    expect_message(&mut client, Message::binary(data.clone())).await;
    match next_seen(&mut seen).await {
        Seen::Message(_, message) => {
            assert_eq!(message.len(), 1 << 20);
            assert_eq!(message.as_bytes(), &data[..]);
        }
        other => panic!("expected on_message, got {other:?}"),
    }
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn frame_written_one_byte_at_a_time_still_decodes() {
    let (server, mut seen) = start(true).await;
    let mut client = open(&server, &mut seen).await;
    client.stream.set_nodelay(true).unwrap();
    let text = "one byte at a time, with a 16-bit length: ".repeat(4);
    assert!(text.len() > 125);
    let mut bytes = encode_client_frame(OpCode::Text, true, text.as_bytes(), KEY4);
    bytes.extend(encode_client_frame(OpCode::Ping, true, b"p", KEY4));
    for byte in &bytes {
        client.stream.write_all(std::slice::from_ref(byte)).await.unwrap();
        client.stream.flush().await.unwrap();
    }
    expect_message(&mut client, Message::text(text.clone())).await;
    assert_eq!(client.next_event().await, Some(Event::Pong("p".into())));
    expect_seen_message(&mut seen, &Message::text(text)).await;
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

#[tokio::test]
async fn messages_from_one_connection_arrive_in_order() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    let mut bytes = Vec::new();
    for i in 0..1000 {
        bytes.extend(encode_client_frame(OpCode::Text, true, i.to_string().as_bytes(), KEY4));
    }
    client.send_raw(&bytes).await;
    for i in 0..1000 {
        expect_seen_message(&mut seen, &Message::text(i.to_string())).await;
    }
    close_normally(&mut client, &mut seen).await;
    server.stop().await;
}

// ---------------------------------------------------------------------------
// The close handshake
// ---------------------------------------------------------------------------

#[tokio::test]
async fn client_close_is_echoed_and_reported() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    client.send_raw(&close_frame(1000, b"bye")).await;
    let frame = client.expect_close().await.expect("the echo carries the code");
    assert_eq!(frame.code, CloseCode::NORMAL);
    match next_seen(&mut seen).await {
        Seen::Close(_, info) => assert_eq!(
            info,
            CloseInfo {
                code: CloseCode::NORMAL,
                reason: "bye".into(),
                cause: CloseCause::PeerClosed
            }
        ),
        other => panic!("expected on_close, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn client_close_without_body_gets_empty_close_and_app_sees_1005() {
    let (server, mut seen) = start(false).await;
    let mut client = open(&server, &mut seen).await;
    client.send_frame(OpCode::Close, true, b"").await;
    assert_eq!(client.expect_close().await, None, "an empty close is answered with an empty one");
    match next_seen(&mut seen).await {
        Seen::Close(_, info) => assert_eq!(
            info,
            CloseInfo {
                code: CloseCode::NO_STATUS,
                reason: String::new(),
                cause: CloseCause::PeerClosed
            }
        ),
        other => panic!("expected on_close, got {other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn client_dropping_tcp_without_close_is_1006_connection_lost() {
    let (server, mut seen) = start(false).await;
    let client = open(&server, &mut seen).await;
    drop(client);
    let info = next_close(&mut seen).await;
    assert_eq!(info.code, CloseCode::ABNORMAL);
    assert_eq!(info.cause, CloseCause::ConnectionLost);
    server.stop().await;
}

/// Answers any message with "goodbye", closes with 4000 "kicked", then
/// reports whether a send after the close was refused.
struct Kicker {
    sends_after_close: mpsc::UnboundedSender<(Result<(), SendError>, Result<(), SendError>)>,
    closed: mpsc::UnboundedSender<CloseInfo>,
}

impl Component for Kicker {
    async fn on_message(&self, conn: &Conn, _message: Message) {
        conn.send_text("goodbye").unwrap();
        conn.close(CloseCode(4000), "kicked");
        let text = conn.send_text("too late");
        let binary = conn.send_binary(vec![1u8, 2, 3]);
        let _ = self.sends_after_close.send((text, binary));
    }

    async fn on_close(&self, _conn: &Conn, close: CloseInfo) {
        let _ = self.closed.send(close);
    }
}

#[tokio::test]
async fn app_initiated_close_sends_queued_text_then_close_and_refuses_later_sends() {
    let (sends_tx, mut sends_rx) = mpsc::unbounded_channel();
    let (closed_tx, mut closed_rx) = mpsc::unbounded_channel();
    let kicker = Arc::new(Kicker { sends_after_close: sends_tx, closed: closed_tx });
    let server = TestServer::start(HttpServer::new(WsServer::new(kicker))).await;
    let mut client = Client::connect(server.addr, "/").await;
    client.send_frame(OpCode::Text, true, b"hi").await;

    assert_eq!(client.next_event().await, Some(Event::Message(Message::text("goodbye"))));
    assert_eq!(
        client.next_event().await,
        Some(Event::Close(Some(CloseFrame::new(CloseCode(4000), "kicked"))))
    );
    let sends = tokio::time::timeout(WAIT, sends_rx.recv()).await.unwrap().unwrap();
    assert_eq!(sends, (Err(SendError::Closed), Err(SendError::Closed)));

    // The server waits for our reply before closing TCP and reporting.
    client.send_raw(&close_frame(4000, b"")).await;
    assert_eq!(client.next_event().await, None, "server closes TCP after our close reply");
    client.stream.shutdown().await.unwrap();
    let info = tokio::time::timeout(WAIT, closed_rx.recv()).await.unwrap().unwrap();
    assert_eq!(
        info,
        CloseInfo {
            code: CloseCode(4000),
            reason: "kicked".into(),
            cause: CloseCause::ClosedByServer
        }
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------
// Interoperability with a third-party client
// ---------------------------------------------------------------------------

#[tokio::test]
async fn tungstenite_client_interoperates() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message as TMessage;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame as TCloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode as TCloseCode;

    let (server, mut seen) = start(true).await;
    let (mut ws, response) =
        tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(server.url("/")))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(response.status(), 101);
    assert!(matches!(next_seen(&mut seen).await, Seen::Open(_)));

    let big: Vec<u8> = (0..64 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let sent = [
        TMessage::text("hello from tungstenite"),
        TMessage::binary(vec![0u8, 1, 2, 255]),
        TMessage::binary(big.clone()),
        TMessage::text("κόσμε ✓"),
    ];
    for message in &sent {
        tokio::time::timeout(WAIT, ws.send(message.clone())).await.unwrap().unwrap();
    }
    for message in &sent {
        let echoed = tokio::time::timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(&echoed, message);
    }
    expect_seen_message(&mut seen, &Message::text("hello from tungstenite")).await;
    expect_seen_message(&mut seen, &Message::binary(vec![0u8, 1, 2, 255])).await;
    expect_seen_message(&mut seen, &Message::binary(big)).await;
    expect_seen_message(&mut seen, &Message::text("κόσμε ✓")).await;

    let close = TCloseFrame { code: TCloseCode::Normal, reason: "done".into() };
    tokio::time::timeout(WAIT, ws.close(Some(close))).await.unwrap().unwrap();
    // The server's close reply, then the end of the stream.
    let mut reply = None;
    while let Some(item) = tokio::time::timeout(WAIT, ws.next()).await.unwrap() {
        match item {
            Ok(TMessage::Close(frame)) => reply = frame,
            Ok(other) => panic!("unexpected message after close: {other:?}"),
            Err(error) => panic!("close handshake failed: {error}"),
        }
    }
    assert_eq!(reply.expect("close reply has a code").code, TCloseCode::Normal);
    drop(ws);

    let info = next_close(&mut seen).await;
    assert_eq!(
        info,
        CloseInfo { code: CloseCode::NORMAL, reason: "done".into(), cause: CloseCause::PeerClosed }
    );
    server.stop().await;
}
