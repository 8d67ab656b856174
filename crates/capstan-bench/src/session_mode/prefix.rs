//! Session mode's one-byte message prefixes and the client's controls.

use capstan::ws::{OpCode, encode_client_frame};

/// The prefix of a data message.
pub const DATA: u8 = b'm';

/// The prefix of a control message.
pub const CONTROL: u8 = b'c';

/// The opening of a new session (`hello`, version 1), as sent.
pub const HELLO: &str = r#"c{"hello":{"v":1}}"#;

/// What a `welcome` control starts with.
pub const WELCOME_START: &[u8] = br#"c{"welcome""#;

/// The client's acknowledgement of `received` data messages, as sent.
pub fn ack_text(received: u64) -> String {
    format!(r#"c{{"ack":{received}}}"#)
}

/// `text` as a client's masked text frame (a control: `hello`, `ack`).
pub fn control_frame(text: &str, mask: [u8; 4]) -> Vec<u8> {
    encode_client_frame(OpCode::Text, true, text.as_bytes(), mask)
}

/// Whether a client should send an `ack` now: `received` data messages
/// in all, `acked` acknowledged so far, one at least every `every`.
pub fn ack_due(received: u64, acked: u64, every: u64) -> bool {
    received.saturating_sub(acked) >= every.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls() {
        assert_eq!(ack_text(57), r#"c{"ack":57}"#);
        assert_eq!(HELLO.as_bytes()[0], CONTROL);
        assert!(!ack_due(31, 0, 32));
        assert!(ack_due(32, 0, 32));
        assert!(!ack_due(63, 32, 32));
        assert!(ack_due(70, 32, 32));
        assert!(!ack_due(5, 9, 32), "acked past received: nothing due");
        assert!(ack_due(1, 0, 0), "every 0 means every message");
        let frame = control_frame("c{}", [1, 2, 3, 4]);
        assert_eq!(frame[..2], [0x81, 0x80 | 3]);
    }
}
