//! Incremental UTF-8 validation, so a text message that arrives in pieces
//! (fragments, or one frame over several reads) fails on the first bad byte.

use super::error::ProtocolError;

/// Validates a byte stream piece by piece, carrying an unfinished character
/// (at most 3 bytes) from one piece to the next.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

impl Utf8Validator {
    /// Checks the next piece; fails as soon as a sequence cannot be completed.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), ProtocolError> {
        if self.partial_len > 0 {
            let need = sequence_len(self.partial[0]);
            while (self.partial_len as usize) < need && !data.is_empty() {
                self.partial[self.partial_len as usize] = data[0];
                self.partial_len += 1;
                data = &data[1..];
            }
            let pending = &self.partial[..self.partial_len as usize];
            match simdutf8::compat::from_utf8(pending) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(ProtocolError::InvalidUtf8),
            }
        }
        match simdutf8::compat::from_utf8(data) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_none() => {
                let tail = &data[e.valid_up_to()..];
                self.partial[..tail.len()].copy_from_slice(tail);
                self.partial_len = tail.len() as u8;
                Ok(())
            }
            Err(_) => Err(ProtocolError::InvalidUtf8),
        }
    }

    /// Ends the message: an unfinished character is an error. Resets the state.
    pub fn finish(&mut self) -> Result<(), ProtocolError> {
        let complete = self.partial_len == 0;
        self.partial_len = 0;
        if complete { Ok(()) } else { Err(ProtocolError::InvalidUtf8) }
    }
}

/// The length of the sequence a (valid) lead byte starts.
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(data: &[u8], at: &[usize]) -> Result<(), ProtocolError> {
        let mut v = Utf8Validator::default();
        let mut start = 0;
        for &cut in at {
            v.feed(&data[start..cut])?;
            start = cut;
        }
        v.feed(&data[start..])?;
        v.finish()
    }

    #[test]
    fn accepts_valid_text_split_anywhere() {
        let text = "κόσμε ✓ 𝄞 hello".as_bytes();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                assert_eq!(feed_split(text, &[a, b]), Ok(()), "cuts {a} {b}");
            }
        }
    }

    #[test]
    fn rejects_invalid_bytes_split_anywhere() {
        let bad =
            [0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80];
        for a in 0..=bad.len() {
            assert_eq!(feed_split(&bad, &[a]), Err(ProtocolError::InvalidUtf8), "cut {a}");
        }
    }

    #[test]
    fn fails_fast_before_the_message_ends() {
        // U+110000 is out of range: F4 90 is already impossible.
        let mut v = Utf8Validator::default();
        v.feed(b"hello").unwrap();
        v.feed(&[0xf4]).unwrap();
        assert_eq!(v.feed(&[0x90]), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn unfinished_character_at_the_end_is_an_error() {
        let mut v = Utf8Validator::default();
        v.feed(&[0xe2, 0x9c]).unwrap();
        assert_eq!(v.finish(), Err(ProtocolError::InvalidUtf8));
        // and the state was reset for the next message
        v.feed(b"ok").unwrap();
        assert_eq!(v.finish(), Ok(()));
    }
}
