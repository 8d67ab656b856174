//! Topic names as NATS subject tokens. A NATS subject is made of tokens
//! separated by `.`; `*` and `>` are wildcards, whitespace ends it, and an
//! empty token is invalid. A capstan topic may be any string, so its name
//! is percent-encoded into one token:
//!
//! - ASCII letters, digits and `-_~:/@=+,!` stay as they are (`chat:room/1`
//!   is readable in the server's monitoring);
//! - every other byte of the name's UTF-8 — `.`, `*`, `>`, `%`, `$`,
//!   whitespace, controls, non-ASCII — becomes `%XX` (uppercase hex);
//! - the empty name is the lone token `%` (no other name encodes to it:
//!   `%` is otherwise always followed by two hex digits).
//!
//! The encoding is one-to-one: [`decode_topic`] gives the name back.

use std::fmt::Write;

/// Whether `byte` stands for itself in an encoded topic.
fn is_plain(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_~:/@=+,!".contains(&byte)
}

/// `topic` as one NATS subject token (see the module's documentation).
pub fn encode_topic(topic: &str) -> String {
    if topic.is_empty() {
        return "%".to_owned();
    }
    let mut token = String::with_capacity(topic.len());
    for &byte in topic.as_bytes() {
        if is_plain(byte) {
            token.push(char::from(byte));
        } else {
            let _ = write!(token, "%{byte:02X}");
        }
    }
    token
}

/// The topic name `token` encodes, or `None` if no name encodes to it.
pub fn decode_topic(token: &str) -> Option<String> {
    if token == "%" {
        return Some(String::new());
    }
    if token.is_empty() {
        return None;
    }
    let mut bytes = Vec::with_capacity(token.len());
    let mut rest = token.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            let hex = tail.get(..2)?;
            let byte = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
            // Canonical only: uppercase hex, and never for a plain byte.
            if is_plain(byte) || hex.iter().any(u8::is_ascii_lowercase) {
                return None;
            }
            bytes.push(byte);
            rest = &tail[2..];
        } else if is_plain(first) {
            bytes.push(first);
            rest = tail;
        } else {
            return None;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Whether `prefix` can begin a subject: tokens separated by single dots,
/// none empty, no wildcard, no whitespace.
pub(crate) fn is_valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|token| {
            !token.is_empty()
                && !token.contains(['*', '>'])
                && !token.chars().any(|c| c.is_whitespace() || c.is_control())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What NATS accepts as a single subject token.
    fn is_one_nats_token(token: &str) -> bool {
        !token.is_empty()
            && !token.contains(['.', '*', '>'])
            && !token.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    #[test]
    fn names_nats_forbids_or_reads_specially_round_trip_as_one_token() {
        let names = [
            "",
            "room",
            "chat:room/1",
            "a.b.c",
            "*",
            ">",
            "a.*.>",
            "with space",
            "tab\there",
            "new\nline",
            "100%",
            "%41",
            "%",
            "$SYS.x",
            "é",
            "日本語のトピック",
            "🚀.launch",
            "\u{0}",
            "-_~:/@=+,!",
            "..",
        ];
        for name in names {
            let token = encode_topic(name);
            assert!(is_one_nats_token(&token), "{name:?} → {token:?}");
            assert_eq!(decode_topic(&token).as_deref(), Some(name), "{name:?} → {token:?}");
        }
        assert_eq!(encode_topic("a.b c"), "a%2Eb%20c");
        assert_eq!(encode_topic(""), "%");
    }

    #[test]
    fn every_character_round_trips() {
        let samples = (0u32..0x3000).chain((0x3000u32..=0x10FFFF).step_by(97));
        for c in samples.filter_map(char::from_u32) {
            let name = format!("x{c}y");
            let token = encode_topic(&name);
            assert!(is_one_nats_token(&token), "{name:?} → {token:?}");
            assert_eq!(decode_topic(&token), Some(name));
        }
    }

    #[test]
    fn tokens_no_name_encodes_to_are_refused() {
        for token in ["", "a%4", "a%zz", "%2e", "%41", "a.b", "a b", "%FF", "a*"] {
            assert_eq!(decode_topic(token), None, "{token:?}");
        }
    }

    #[test]
    fn prefixes() {
        for good in ["capstan", "app.capstan", "a-b_c"] {
            assert!(is_valid_prefix(good), "{good:?}");
        }
        for bad in ["", ".", "a.", ".a", "a..b", "a.*", "a.>", "a b", "a\tb"] {
            assert!(!is_valid_prefix(bad), "{bad:?}");
        }
    }
}
