use super::*;
use crate::ws::close::CloseCode;
use crate::ws::encoder::encode_client_frame;

const KEY: [u8; 4] = [0xa1, 0xb2, 0xc3, 0xd4];

fn frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
    encode_client_frame(opcode, fin, payload, KEY)
}

fn decoder() -> Decoder {
    Decoder::new(Role::Server, Limits::default())
}

fn decode_all(decoder: &mut Decoder, bytes: &[u8]) -> Result<Vec<Event>, ProtocolError> {
    let mut buf = BytesMut::from(bytes);
    let mut events = Vec::new();
    while let Some(event) = decoder.decode(&mut buf)? {
        events.push(event);
    }
    Ok(events)
}

fn error_of(bytes: &[u8]) -> ProtocolError {
    decode_all(&mut decoder(), bytes).unwrap_err()
}

#[test]
fn decodes_a_single_text_frame() {
    let events = decode_all(&mut decoder(), &frame(OpCode::Text, true, b"Hello")).unwrap();
    assert_eq!(events, vec![Event::Message(Message::text("Hello"))]);
}

#[test]
fn decodes_byte_by_byte() {
    let mut bytes = frame(OpCode::Binary, true, &[7u8; 300]);
    bytes.extend(frame(OpCode::Ping, true, b"p"));
    let mut d = decoder();
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for byte in bytes {
        buf.extend_from_slice(&[byte]);
        while let Some(event) = d.decode(&mut buf).unwrap() {
            events.push(event);
        }
    }
    assert_eq!(
        events,
        vec![
            Event::Message(Message::binary(vec![7u8; 300])),
            Event::Ping(Bytes::from_static(b"p"))
        ]
    );
}

#[test]
fn reassembles_fragments_with_control_frames_between() {
    let mut bytes = frame(OpCode::Text, false, "κό".as_bytes());
    bytes.extend(frame(OpCode::Ping, true, b"x"));
    bytes.extend(frame(OpCode::Continuation, false, "σ".as_bytes()));
    bytes.extend(frame(OpCode::Pong, true, b""));
    bytes.extend(frame(OpCode::Continuation, true, "με".as_bytes()));
    let events = decode_all(&mut decoder(), &bytes).unwrap();
    assert_eq!(
        events,
        vec![
            Event::Ping(Bytes::from_static(b"x")),
            Event::Pong(Bytes::new()),
            Event::Message(Message::text("κόσμε")),
        ]
    );
}

#[test]
fn empty_messages_are_messages() {
    let mut bytes = frame(OpCode::Text, true, b"");
    bytes.extend(frame(OpCode::Binary, false, b""));
    bytes.extend(frame(OpCode::Continuation, true, b""));
    let events = decode_all(&mut decoder(), &bytes).unwrap();
    assert_eq!(
        events,
        vec![Event::Message(Message::text("")), Event::Message(Message::binary(Vec::new()))]
    );
}

#[test]
fn unmasked_client_frame_is_1002() {
    let err = error_of(&[0x81, 0x02, b'h', b'i']);
    assert_eq!(err, ProtocolError::UnmaskedClientFrame);
    assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
}

#[test]
fn masked_server_frame_is_1002_for_a_client() {
    let mut d = Decoder::new(Role::Client, Limits::default());
    let err = decode_all(&mut d, &frame(OpCode::Text, true, b"hi")).unwrap_err();
    assert_eq!(err, ProtocolError::MaskedServerFrame);
}

#[test]
fn client_decoder_reads_unmasked_frames() {
    let mut d = Decoder::new(Role::Client, Limits::default());
    let events = decode_all(&mut d, &[0x81, 0x02, b'h', b'i']).unwrap();
    assert_eq!(events, vec![Event::Message(Message::text("hi"))]);
}

#[test]
fn each_reserved_bit_is_1002() {
    for bit in [0x40, 0x20, 0x10] {
        let mut bytes = frame(OpCode::Text, true, b"x");
        bytes[0] |= bit;
        assert_eq!(error_of(&bytes), ProtocolError::ReservedBitsSet, "bit {bit:#x}");
    }
}

#[test]
fn reserved_opcodes_are_1002() {
    for op in [3u8, 7, 0xb, 0xf] {
        let mut bytes = frame(OpCode::Text, true, b"x");
        bytes[0] = 0x80 | op;
        let err = error_of(&bytes);
        assert_eq!(err, ProtocolError::ReservedOpcode(op));
        assert_eq!(err.close_code(), CloseCode::PROTOCOL_ERROR);
    }
}

#[test]
fn control_frame_over_125_bytes_is_1002() {
    assert_eq!(error_of(&frame(OpCode::Ping, true, &[0; 126])), ProtocolError::ControlFrameTooLong);
}

#[test]
fn control_frame_of_125_bytes_is_fine() {
    let events = decode_all(&mut decoder(), &frame(OpCode::Ping, true, &[1; 125])).unwrap();
    assert_eq!(events, vec![Event::Ping(Bytes::from(vec![1; 125]))]);
}

#[test]
fn fragmented_control_frame_is_1002() {
    assert_eq!(error_of(&frame(OpCode::Ping, false, b"")), ProtocolError::FragmentedControlFrame);
}

#[test]
fn continuation_without_start_is_1002() {
    assert_eq!(
        error_of(&frame(OpCode::Continuation, true, b"x")),
        ProtocolError::ContinuationWithoutStart
    );
}

#[test]
fn new_message_inside_fragmented_one_is_1002() {
    let mut bytes = frame(OpCode::Text, false, b"a");
    bytes.extend(frame(OpCode::Text, true, b"b"));
    assert_eq!(error_of(&bytes), ProtocolError::DataFrameInsideFragmentedMessage);
}

#[test]
fn invalid_utf8_is_1007() {
    let err = error_of(&frame(OpCode::Text, true, &[0xce, 0xba, 0xed, 0xa0, 0x80]));
    assert_eq!(err, ProtocolError::InvalidUtf8);
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

#[test]
fn binary_is_not_utf8_checked() {
    let events = decode_all(&mut decoder(), &frame(OpCode::Binary, true, &[0xff, 0xfe])).unwrap();
    assert_eq!(events, vec![Event::Message(Message::binary(vec![0xff, 0xfe]))]);
}

#[test]
fn invalid_utf8_fails_in_the_first_fragment_before_the_message_ends() {
    let mut d = decoder();
    let mut buf = BytesMut::from(&frame(OpCode::Text, false, b"ok")[..]);
    assert_eq!(d.decode(&mut buf), Ok(None));
    buf.extend_from_slice(&frame(OpCode::Continuation, false, &[0xf4, 0x90, 0x80, 0x80]));
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::InvalidUtf8));
}

#[test]
fn invalid_utf8_fails_inside_a_frame_before_it_is_complete() {
    let mut payload = b"hello".to_vec();
    payload.extend_from_slice(&[0xf4, 0x90, 0x80, 0x80]);
    payload.extend_from_slice(&[b'a'; 100]);
    let bytes = frame(OpCode::Text, true, &payload);
    let mut d = decoder();
    // the header (2 + 4 bytes) and the first 9 payload bytes only
    let mut buf = BytesMut::from(&bytes[..6 + 9]);
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::InvalidUtf8));
}

#[test]
fn character_split_across_fragments_is_valid() {
    let euro = "€".as_bytes();
    let mut bytes = frame(OpCode::Text, false, &euro[..1]);
    bytes.extend(frame(OpCode::Continuation, false, &euro[1..2]));
    bytes.extend(frame(OpCode::Continuation, true, &euro[2..]));
    let events = decode_all(&mut decoder(), &bytes).unwrap();
    assert_eq!(events, vec![Event::Message(Message::text("€"))]);
}

#[test]
fn truncated_character_at_message_end_is_1007() {
    assert_eq!(error_of(&frame(OpCode::Text, true, &[0xe2, 0x82])), ProtocolError::InvalidUtf8);
}

#[test]
fn frame_over_the_limit_is_1009_from_its_header_alone() {
    let limits = Limits { max_frame_size: 100, max_message_size: 1000 };
    let mut d = Decoder::new(Role::Server, limits);
    let bytes = frame(OpCode::Binary, true, &[0; 101]);
    let mut buf = BytesMut::from(&bytes[..8]);
    let err = d.decode(&mut buf).unwrap_err();
    assert_eq!(err, ProtocolError::FrameTooLarge { size: 101, max: 100 });
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn message_over_the_limit_is_1009() {
    let limits = Limits { max_frame_size: 100, max_message_size: 150 };
    let mut d = Decoder::new(Role::Server, limits);
    let mut bytes = frame(OpCode::Binary, false, &[0; 100]);
    bytes.extend(frame(OpCode::Continuation, true, &[0; 51]));
    let err = decode_all(&mut d, &bytes).unwrap_err();
    assert_eq!(err, ProtocolError::MessageTooLarge { size: 151, max: 150 });
    assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
}

#[test]
fn message_at_the_limit_is_accepted() {
    let limits = Limits { max_frame_size: 100, max_message_size: 150 };
    let mut d = Decoder::new(Role::Server, limits);
    let mut bytes = frame(OpCode::Binary, false, &[0; 100]);
    bytes.extend(frame(OpCode::Continuation, true, &[0; 50]));
    assert_eq!(decode_all(&mut d, &bytes).unwrap().len(), 1);
}

#[test]
fn close_frame_with_code_and_reason() {
    let mut body = 1000u16.to_be_bytes().to_vec();
    body.extend_from_slice(b"done");
    let events = decode_all(&mut decoder(), &frame(OpCode::Close, true, &body)).unwrap();
    assert_eq!(events, vec![Event::Close(Some(CloseFrame::new(CloseCode::NORMAL, "done")))]);
}

#[test]
fn close_frame_without_body() {
    let events = decode_all(&mut decoder(), &frame(OpCode::Close, true, b"")).unwrap();
    assert_eq!(events, vec![Event::Close(None)]);
}

#[test]
fn close_frame_with_one_byte_is_1002() {
    assert_eq!(error_of(&frame(OpCode::Close, true, &[0x03])), ProtocolError::CloseFrameOneByte);
}

#[test]
fn close_frame_with_invalid_code_is_1002() {
    let err = error_of(&frame(OpCode::Close, true, &999u16.to_be_bytes()));
    assert_eq!(err, ProtocolError::InvalidCloseCode(999));
}

#[test]
fn close_frame_with_invalid_reason_is_1007() {
    let mut body = 1000u16.to_be_bytes().to_vec();
    body.extend_from_slice(&[0xc0, 0xaf]);
    let err = error_of(&frame(OpCode::Close, true, &body));
    assert_eq!(err, ProtocolError::InvalidCloseReason);
    assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
}

#[test]
fn frame_after_close_is_an_error() {
    let mut bytes = frame(OpCode::Close, true, b"");
    bytes.extend(frame(OpCode::Text, true, b"late"));
    let mut d = decoder();
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(d.decode(&mut buf), Ok(Some(Event::Close(None))));
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::FrameAfterClose));
}

#[test]
fn an_error_is_final() {
    // Found by fuzzing: after InvalidUtf8 on a whole frame, a second call
    // used to unmask the same bytes again and could return them as text.
    let mut bytes = frame(OpCode::Text, true, &[b'a', 0xff, b'b', b'c']);
    bytes.extend(frame(OpCode::Text, true, b"next"));
    let mut d = decoder();
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::InvalidUtf8));
    assert_eq!(d.decode(&mut buf), Err(ProtocolError::InvalidUtf8));
    assert_eq!(
        d.decode(&mut BytesMut::from(&frame(OpCode::Ping, true, b"")[..])),
        Err(ProtocolError::InvalidUtf8)
    );
}

#[test]
fn bytes_wanted_tracks_the_frame_being_read() {
    let bytes = frame(OpCode::Binary, true, &[0; 1000]);
    let mut d = decoder();
    let mut buf = BytesMut::from(&bytes[..8 + 100]);
    assert_eq!(d.decode(&mut buf), Ok(None));
    assert_eq!(d.bytes_wanted(buf.len()), 900);
}

mod deflate {
    use super::*;
    use crate::ws::deflate::{Deflater, compress_shared};
    use crate::ws::encoder::encode_frame;

    fn compressed_frame(opcode: OpCode, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
        let header =
            FrameHeader { fin, rsv1, rsv23: false, opcode, mask: Some(KEY), payload_len: 0 };
        encode_frame(header, payload)
    }

    fn inflating(no_context: bool) -> Decoder {
        Decoder::new(Role::Server, Limits::default()).with_deflate(no_context)
    }

    #[test]
    fn compressed_text_message() {
        let payload = compress_shared("Hello, κόσμε".as_bytes(), 6, 15);
        let mut d = inflating(true);
        let events =
            decode_all(&mut d, &compressed_frame(OpCode::Text, true, true, &payload)).unwrap();
        assert_eq!(events, vec![Event::Message(Message::text("Hello, κόσμε"))]);
        assert!(!d.holds_inflater(), "no decompressor kept between messages");
    }

    #[test]
    fn compressed_message_in_fragments_with_a_ping_between() {
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 13) as u8).collect();
        let payload = compress_shared(&data, 6, 15);
        let (a, rest) = payload.split_at(payload.len() / 3);
        let (b, c) = rest.split_at(rest.len() / 2);
        let mut bytes = compressed_frame(OpCode::Binary, false, true, a);
        bytes.extend(frame(OpCode::Ping, true, b"p"));
        bytes.extend(compressed_frame(OpCode::Continuation, false, false, b));
        bytes.extend(compressed_frame(OpCode::Continuation, true, false, c));
        let events = decode_all(&mut inflating(false), &bytes).unwrap();
        assert_eq!(
            events,
            vec![Event::Ping(Bytes::from_static(b"p")), Event::Message(Message::binary(data))]
        );
    }

    #[test]
    fn context_takeover_across_messages() {
        let mut deflater = Deflater::new(6, 15);
        let message = b"context context context context";
        let first = deflater.compress(message, false);
        let second = deflater.compress(message, false);
        let mut d = inflating(false);
        let mut bytes = compressed_frame(OpCode::Binary, true, true, &first);
        bytes.extend(compressed_frame(OpCode::Binary, true, true, &second));
        let events = decode_all(&mut d, &bytes).unwrap();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| *e == Event::Message(Message::binary(message.to_vec()))));
        assert!(d.holds_inflater(), "the window is kept for the next message");
    }

    #[test]
    fn uncompressed_messages_still_pass() {
        let events =
            decode_all(&mut inflating(true), &frame(OpCode::Text, true, b"plain")).unwrap();
        assert_eq!(events, vec![Event::Message(Message::text("plain"))]);
    }

    #[test]
    fn rsv1_without_deflate_is_1002() {
        let payload = compress_shared(b"x", 6, 15);
        let err = decode_all(&mut decoder(), &compressed_frame(OpCode::Text, true, true, &payload));
        assert_eq!(err.unwrap_err(), ProtocolError::ReservedBitsSet);
    }

    #[test]
    fn rsv1_on_a_continuation_is_1002() {
        let mut bytes = compressed_frame(OpCode::Text, false, true, &compress_shared(b"a", 6, 15));
        bytes.extend(compressed_frame(OpCode::Continuation, true, true, b""));
        assert_eq!(
            decode_all(&mut inflating(true), &bytes).unwrap_err(),
            ProtocolError::ReservedBitsSet
        );
    }

    #[test]
    fn rsv1_on_a_control_frame_is_1002() {
        let bytes = compressed_frame(OpCode::Ping, true, true, b"");
        assert_eq!(
            decode_all(&mut inflating(true), &bytes).unwrap_err(),
            ProtocolError::ReservedBitsSet
        );
    }

    #[test]
    fn a_deflate_bomb_is_1009_at_the_inflated_limit() {
        let zeros = vec![0u8; 4 << 20];
        let bomb = compress_shared(&zeros, 9, 15);
        let limits = Limits { max_frame_size: 1 << 20, max_message_size: 1 << 20 };
        let mut d = Decoder::new(Role::Server, limits).with_deflate(true);
        let err =
            decode_all(&mut d, &compressed_frame(OpCode::Binary, true, true, &bomb)).unwrap_err();
        assert!(
            matches!(err, ProtocolError::MessageTooLarge { max, .. } if max == 1 << 20),
            "{err:?}"
        );
        assert_eq!(err.close_code(), CloseCode::MESSAGE_TOO_BIG);
    }

    #[test]
    fn compressed_message_at_the_limit_is_accepted() {
        let data = vec![1u8; 5000];
        let limits = Limits { max_frame_size: 5000, max_message_size: 5000 };
        let mut d = Decoder::new(Role::Server, limits).with_deflate(true);
        let bytes = compressed_frame(OpCode::Binary, true, true, &compress_shared(&data, 6, 15));
        assert_eq!(
            decode_all(&mut d, &bytes).unwrap(),
            vec![Event::Message(Message::binary(data))]
        );
    }

    #[test]
    fn corrupt_compressed_data_is_1007() {
        let bytes = compressed_frame(OpCode::Binary, true, true, &[0xff; 8]);
        let err = decode_all(&mut inflating(true), &bytes).unwrap_err();
        assert_eq!(err, ProtocolError::InvalidCompressedData);
        assert_eq!(err.close_code(), CloseCode::INVALID_PAYLOAD);
    }

    #[test]
    fn compressed_invalid_utf8_is_1007() {
        let payload = compress_shared(&[0xce, 0xba, 0xed, 0xa0, 0x80], 6, 15);
        let bytes = compressed_frame(OpCode::Text, true, true, &payload);
        assert_eq!(
            decode_all(&mut inflating(true), &bytes).unwrap_err(),
            ProtocolError::InvalidUtf8
        );
    }

    #[test]
    fn compressed_invalid_utf8_fails_in_the_first_fragment() {
        let mut deflater = Deflater::new(6, 15);
        let bad = deflater.compress(&[b'o', b'k', 0xf4, 0x90, 0x80, 0x80], false);
        let mut d = inflating(false);
        let mut buf = BytesMut::from(&compressed_frame(OpCode::Text, false, true, &bad)[..]);
        assert_eq!(d.decode(&mut buf), Err(ProtocolError::InvalidUtf8));
    }
}
