//! WAMP over WebSocket as the load generator writes and reads it: a
//! message serialized and put in a masked client frame (text for
//! `wamp.2.json`, binary for `wamp.2.msgpack`), a server frame read back
//! into a message, and the handshake's subprotocol line. The serializers
//! are capstan-wamp's ([`Serializer`]); the frames, capstan-testkit's.

use capstan::Utf8Bytes;
use capstan::ws::OpCode;
use capstan_testkit::frame::{Frame, client_frame};
use capstan_wamp::{Message, Serializer};

use super::error::LoadError;

/// One serializer's framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codec {
    serializer: Serializer,
}

impl Codec {
    /// The framing of `serializer`.
    pub fn new(serializer: Serializer) -> Self {
        Self { serializer }
    }

    /// Its serializer.
    pub fn serializer(self) -> Serializer {
        self.serializer
    }

    /// `message` as a client frame masked with [`mask`]`(n)`.
    pub fn frame(self, message: &Message, n: u64) -> Result<Vec<u8>, LoadError> {
        let encoded = self
            .serializer
            .encode(message)
            .map_err(|e| LoadError::Protocol(format!("cannot encode {:?}: {e}", message.code())))?;
        let opcode = if encoded.is_text() { OpCode::Text } else { OpCode::Binary };
        Ok(client_frame(opcode, true, false, encoded.as_bytes(), mask(n)))
    }

    /// Appends `message` as a client frame to `out` (several frames
    /// written at once).
    pub fn push(self, message: &Message, n: u64, out: &mut Vec<u8>) -> Result<(), LoadError> {
        out.extend_from_slice(&self.frame(message, n)?);
        Ok(())
    }

    /// The message a server's data frame holds.
    pub fn read(self, frame: &Frame) -> Result<Message, LoadError> {
        let header = &frame.header;
        if !header.fin || header.opcode == OpCode::Continuation {
            return Err(LoadError::Protocol(
                "a fragmented message (wamp-load reads whole ones)".into(),
            ));
        }
        let message = match header.opcode {
            OpCode::Text => {
                capstan::Message::Text(Utf8Bytes::try_from_bytes(frame.payload.clone()).map_err(
                    |e| LoadError::Protocol(format!("a text frame that is not UTF-8: {e}")),
                )?)
            }
            OpCode::Binary => capstan::Message::binary(frame.payload.clone()),
            other => return Err(LoadError::Protocol(format!("{other:?} is not a data frame"))),
        };
        self.serializer.decode(&message).map_err(|e| {
            LoadError::Protocol(format!(
                "undecodable {} message ({e}): {}",
                self.serializer.subprotocol(),
                preview(message.as_bytes())
            ))
        })
    }
}

/// A mask key for frame `n`: any key is valid; they differ so that no
/// server can take a shortcut on a constant one.
pub fn mask(n: u64) -> [u8; 4] {
    ((n as u32) | 1).wrapping_mul(0x9e37_79b1).to_be_bytes()
}

/// The handshake's header line asking for `serializer`'s subprotocol.
pub fn subprotocol_line(serializer: Serializer) -> String {
    format!("Sec-WebSocket-Protocol: {}\r\n", serializer.subprotocol())
}

/// The serializer a command line names: `json` or `msgpack` (or the full
/// subprotocol name).
pub fn serializer_named(name: &str) -> Option<Serializer> {
    match name {
        "json" => Some(Serializer::Json),
        "msgpack" => Some(Serializer::MsgPack),
        other => Serializer::from_subprotocol(other).filter(|s| *s != Serializer::Cbor),
    }
}

/// The first bytes of a payload, for an error message.
fn preview(bytes: &[u8]) -> String {
    let head = &bytes[..bytes.len().min(80)];
    format!("{:?}{}", String::from_utf8_lossy(head), if bytes.len() > 80 { "…" } else { "" })
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use capstan::ws::{Decoder, Event, Role};
    use capstan_wamp::{Dict, Id, Payload, Value};

    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    /// What a server reads from a client frame: decoded (unmasked) by
    /// capstan's own codec.
    fn as_server_reads(frame: Vec<u8>) -> capstan::Message {
        let mut decoder = Decoder::new(Role::Server, capstan::Limits::default());
        let mut buf = BytesMut::from(&frame[..]);
        match decoder.decode(&mut buf).unwrap() {
            Some(Event::Message(message)) => message,
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// A frame as a server sends it (unmasked).
    fn server_frame(opcode: OpCode, payload: &[u8]) -> Frame {
        let header = capstan::ws::FrameHeader {
            fin: true,
            rsv1: false,
            rsv23: false,
            opcode,
            mask: None,
            payload_len: 0,
        };
        let mut buf = BytesMut::from(&capstan::ws::encode_frame(header, payload)[..]);
        Frame::split(&mut buf).unwrap().unwrap()
    }

    #[test]
    fn client_frames_carry_the_serialized_message() {
        let call = Message::Call {
            request: id(7),
            options: Dict::new(),
            procedure: "bench.echo".into(),
            payload: Payload::args(vec![Value::Int(42)]),
        };
        let json = Codec::new(Serializer::Json).frame(&call, 3).unwrap();
        let got = as_server_reads(json);
        assert_eq!(got.as_text(), Some(r#"[48,7,{},"bench.echo",[42]]"#));
        let msgpack = Codec::new(Serializer::MsgPack).frame(&call, 4).unwrap();
        let got = as_server_reads(msgpack);
        assert!(!got.is_text());
        assert_eq!(Serializer::MsgPack.decode(&got).unwrap(), call);
    }

    #[test]
    fn several_frames_go_in_one_buffer() {
        let codec = Codec::new(Serializer::Json);
        let goodbye = Message::Goodbye { details: Dict::new(), reason: "wamp.close.normal".into() };
        let mut out = Vec::new();
        codec.push(&goodbye, 1, &mut out).unwrap();
        codec.push(&goodbye, 2, &mut out).unwrap();
        let one = codec.frame(&goodbye, 1).unwrap();
        assert_eq!(out.len(), 2 * one.len());
        assert_eq!(&out[..one.len()], &one[..]);
    }

    #[test]
    fn server_frames_are_read_back() {
        let json = Codec::new(Serializer::Json);
        let welcome = server_frame(OpCode::Text, br#"[2,12345,{"roles":{"broker":{}}}]"#);
        match json.read(&welcome).unwrap() {
            Message::Welcome { session, .. } => assert_eq!(session.get(), 12345),
            other => panic!("{other:?}"),
        }
        let binary = server_frame(OpCode::Binary, b"[2,1,{}]");
        assert!(matches!(json.read(&binary), Err(LoadError::Protocol(_))));
        let garbage = server_frame(OpCode::Text, b"[2,0]");
        let error = json.read(&garbage).unwrap_err().to_string();
        assert!(error.contains("undecodable wamp.2.json"), "{error}");
        let ping = server_frame(OpCode::Ping, b"");
        assert!(json.read(&ping).is_err());
    }

    #[test]
    fn names_and_lines() {
        assert_eq!(serializer_named("json"), Some(Serializer::Json));
        assert_eq!(serializer_named("wamp.2.msgpack"), Some(Serializer::MsgPack));
        assert_eq!(serializer_named("cbor"), None);
        assert_eq!(subprotocol_line(Serializer::Json), "Sec-WebSocket-Protocol: wamp.2.json\r\n");
        assert_ne!(mask(0), [0; 4]);
        assert_ne!(mask(1), mask(2));
    }
}
