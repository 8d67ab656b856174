//! The downstream of the HTTP fallbacks (docs/SESSIONS.md §8.2): each data
//! message, control and end of transport as one Server-Sent Event, the
//! same bytes whether read by `EventSource` or as a fetched stream. Every
//! `data:` field is one line: text goes as a JSON string (line breaks
//! escaped), binary as base64, controls as their JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{BufMut, Bytes, BytesMut};

use crate::resume::ServerControl;
use crate::ws::{CloseCode, Message};

/// Data message `number`.
pub(crate) fn data(number: u64, message: &Message) -> Bytes {
    let mut event = BytesMut::with_capacity(message.len() + 32);
    match message {
        Message::Text(text) => {
            put_fields(&mut event, None, Some(number));
            let json = serde_json::to_string(text.as_str()).expect("a string serializes");
            event.put_slice(json.as_bytes());
        }
        Message::Binary(bytes) => {
            put_fields(&mut event, Some("binary"), Some(number));
            event.put_slice(STANDARD.encode(bytes).as_bytes());
        }
    }
    event.put_slice(b"\n\n");
    event.freeze()
}

/// A control.
pub(crate) fn control(control: &ServerControl) -> Bytes {
    named("control", &control.to_json())
}

/// The end of the transport, with the close code a WebSocket would carry.
pub(crate) fn close(code: CloseCode, reason: &str) -> Bytes {
    let json = serde_json::json!({ "code": code.0, "reason": reason });
    named("close", &json.to_string())
}

fn named(event: &str, json: &str) -> Bytes {
    let mut out = BytesMut::with_capacity(json.len() + 24);
    put_fields(&mut out, Some(event), None);
    out.put_slice(json.as_bytes());
    out.put_slice(b"\n\n");
    out.freeze()
}

/// `event:` and `id:` lines as given, then the start of `data:`.
fn put_fields(out: &mut BytesMut, event: Option<&str>, id: Option<u64>) {
    if let Some(event) = event {
        out.put_slice(b"event:");
        out.put_slice(event.as_bytes());
        out.put_u8(b'\n');
    }
    if let Some(id) = id {
        out.put_slice(format!("id:{id}\n").as_bytes());
    }
    out.put_slice(b"data:");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resume::{ErrorCode, SessionId, Welcome};

    fn text(bytes: &Bytes) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    #[test]
    fn text_goes_as_one_json_string_line_with_its_number() {
        let event = data(7, &Message::text("two\nlines \"quoted\" ✓\r"));
        assert_eq!(text(&event), "id:7\ndata:\"two\\nlines \\\"quoted\\\" ✓\\r\"\n\n");
    }

    #[test]
    fn binary_goes_as_base64_under_its_own_event_name() {
        let event = data(1, &Message::Binary(Bytes::from_static(&[0, 1, 2, 255])));
        assert_eq!(text(&event), "event:binary\nid:1\ndata:AAEC/w==\n\n");
    }

    #[test]
    fn controls_and_the_end_are_named_events_without_ids() {
        let welcome = ServerControl::Welcome(Welcome {
            sid: SessionId::from_bytes([0; 16]),
            rx: 3,
            resumed: true,
            heartbeat_ms: 15000,
            grace_ms: 30000,
        });
        let event = control(&welcome);
        assert!(text(&event).starts_with("event:control\ndata:{\"welcome\":{"), "{event:?}");
        assert!(text(&event).ends_with("}}\n\n"));
        assert_eq!(text(&control(&ServerControl::Ack(5))), "event:control\ndata:{\"ack\":5}\n\n");
        let code = ErrorCode::Replaced.close_code();
        assert_eq!(
            text(&close(code, "replaced")),
            "event:close\ndata:{\"code\":4409,\"reason\":\"replaced\"}\n\n"
        );
    }
}
