//! Whole messages out of counted frames: a message's timestamp is read
//! from its first frame, and the message counts when its last one arrives.
//! In session mode, a data message's `m` prefix is taken off, and a
//! control (`c`: the server's `ack`s and heartbeats) is told apart.

use capstan::ws::OpCode;

use crate::session_mode::prefix::DATA;
use crate::stamp;
use capstan_testkit::counter::Counted;

/// What a frame completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A whole data message.
    Message {
        /// The timestamp at its front, if it has one (0 for a probe).
        stamp: Option<u64>,
        /// Payload bytes.
        len: u64,
        /// Frame bytes, headers included.
        wire_len: u64,
    },
    /// A ping, pong or close frame.
    Control(OpCode),
    /// A session-mode control message (`c…`).
    SessionControl,
}

/// The message being received on one connection.
#[derive(Debug, Default)]
pub struct Messages {
    stamp: Option<u64>,
    len: u64,
    wire_len: u64,
    /// Messages are session mode's (prefixed).
    session: bool,
    /// The message being received is a session control.
    control: bool,
}

impl Messages {
    /// Plain messages (`false`) or session mode's (`true`).
    pub fn new(session: bool) -> Self {
        Self { session, ..Self::default() }
    }

    /// Takes the next frame; returns what it completed, if anything.
    pub fn on_frame(&mut self, frame: Counted) -> Option<Event> {
        let header = frame.header;
        if header.opcode.is_control() {
            return Some(Event::Control(header.opcode));
        }
        if header.opcode != OpCode::Continuation {
            let (prefix, session) = (frame.prefix(), self.session);
            let (payload, control) = match prefix.split_first() {
                Some((&DATA, rest)) if session => (rest, false),
                _ if session => (prefix, true),
                _ => (prefix, false),
            };
            let stamp = if control { None } else { stamp::decode(payload) };
            *self = Self { stamp, len: 0, wire_len: 0, session, control };
        }
        self.len += header.payload_len;
        self.wire_len += frame.wire_len;
        if !header.fin {
            return None;
        }
        if self.control {
            return Some(Event::SessionControl);
        }
        // The `m` is session mode's, not the application's.
        let len = self.len - u64::from(self.session);
        Some(Event::Message { stamp: self.stamp, len, wire_len: self.wire_len })
    }
}

#[cfg(test)]
mod tests {
    use capstan::Message;
    use capstan::ws::OutFrame;

    use super::*;
    use capstan_testkit::counter::FrameCounter;

    fn events(bytes: &[u8]) -> Vec<Event> {
        events_of(bytes, false)
    }

    fn events_of(bytes: &[u8], session: bool) -> Vec<Event> {
        let (mut counter, mut messages, mut out) =
            (FrameCounter::default(), Messages::new(session), Vec::new());
        counter.feed(bytes, |f| out.extend(messages.on_frame(f))).unwrap();
        out
    }

    #[test]
    fn whole_and_fragmented_messages() {
        let payload = stamp::payload(40, 77);
        let mut bytes =
            OutFrame::message(Message::text(String::from_utf8(payload.clone()).unwrap()))
                .to_bytes()
                .to_vec();
        // The same payload in two fragments, a ping between them.
        bytes.extend_from_slice(&[0x01, 30]);
        bytes.extend_from_slice(&payload[..30]);
        bytes.extend_from_slice(&[0x89, 0]);
        bytes.extend_from_slice(&[0x80, 10]);
        bytes.extend_from_slice(&payload[30..]);
        bytes.extend_from_slice(&[0x82, 2, 1, 2]);
        assert_eq!(
            events(&bytes),
            [
                Event::Message { stamp: Some(77), len: 40, wire_len: 42 },
                Event::Control(OpCode::Ping),
                Event::Message { stamp: Some(77), len: 40, wire_len: 44 },
                Event::Message { stamp: None, len: 2, wire_len: 4 },
            ]
        );
    }

    #[test]
    fn session_mode_messages() {
        let frame = |text: String| OutFrame::message(Message::text(text)).to_bytes().to_vec();
        let payload = String::from_utf8(stamp::payload(40, 77)).unwrap();
        let mut bytes = frame(format!("m{payload}"));
        bytes.extend(frame(r#"c{"ack":32}"#.into()));
        bytes.extend(frame("m".into()));
        assert_eq!(
            events_of(&bytes, true),
            [
                Event::Message { stamp: Some(77), len: 40, wire_len: 43 },
                Event::SessionControl,
                Event::Message { stamp: None, len: 0, wire_len: 3 },
            ]
        );
    }
}
