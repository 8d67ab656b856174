//! Session ids: 128 bits from the OS's random source, in URL-safe base64
//! without padding (22 characters).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Bytes of randomness in an id.
const ID_BYTES: usize = 16;

/// Characters of an encoded id.
pub const ID_LEN: usize = 22;

/// A session's id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId([u8; ID_BYTES]);

/// Why a text is not a session id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionIdError {
    /// An id is exactly 22 characters.
    WrongLength(usize),
    /// An id is URL-safe base64 (`A–Z a–z 0–9 - _`) of 128 bits, its last
    /// character one of `A Q g w`.
    NotBase64Url,
}

impl fmt::Display for SessionIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(len) => {
                write!(f, "a session id is {ID_LEN} characters, not {len}")
            }
            Self::NotBase64Url => f.write_str("a session id is URL-safe base64 of 128 bits"),
        }
    }
}

impl std::error::Error for SessionIdError {}

impl SessionId {
    /// A fresh id from the OS's random source.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; ID_BYTES];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The id of these bytes (tests, and ids kept elsewhere).
    pub fn from_bytes(bytes: [u8; ID_BYTES]) -> Self {
        Self(bytes)
    }

    /// Reads an id as `resume` carries it. Only the canonical encoding is
    /// accepted (one text per id).
    pub fn parse(text: &str) -> Result<Self, SessionIdError> {
        if text.len() != ID_LEN {
            return Err(SessionIdError::WrongLength(text.chars().count()));
        }
        // Room for the engine's estimate (it rounds up to whole quanta).
        let mut bytes = [0u8; ID_BYTES + 2];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            // The engine refuses non-zero trailing bits: the text is canonical.
            Ok(ID_BYTES) => Ok(Self(bytes[..ID_BYTES].try_into().expect("16 bytes"))),
            _ => Err(SessionIdError::NotBase64Url),
        }
    }

    /// The id as the protocol writes it.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// Shows only a prefix: a whole id in a log is a capability given away.
impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({}…)", &self.encode()[..4])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_id_is_22_url_safe_characters_and_reads_back() {
        let id = SessionId::generate().unwrap();
        let text = id.encode();
        assert_eq!(text.len(), ID_LEN);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(matches!(text.as_bytes()[ID_LEN - 1], b'A' | b'Q' | b'g' | b'w'));
        assert_eq!(SessionId::parse(&text), Ok(id.clone()));
        assert_ne!(SessionId::generate().unwrap(), id, "128 random bits do not repeat");
    }

    #[test]
    fn ids_of_another_shape_are_refused() {
        let id = SessionId::from_bytes([0xFB; ID_BYTES]).encode();
        assert_eq!(id, "-_v7-_v7-_v7-_v7-_v7-w");
        assert_eq!(SessionId::parse(&id[1..]), Err(SessionIdError::WrongLength(21)));
        assert_eq!(SessionId::parse(&format!("{id}A")), Err(SessionIdError::WrongLength(23)));
        // Standard base64's alphabet is not the URL-safe one.
        let standard = id.replace('-', "+").replace('_', "/");
        assert_eq!(SessionId::parse(&standard), Err(SessionIdError::NotBase64Url));
        // The last character's unused bits must be zero: one text per id.
        let loose = format!("{}x", &id[..ID_LEN - 1]);
        assert_eq!(SessionId::parse(&loose), Err(SessionIdError::NotBase64Url));
        // 22 bytes but not 22 URL-safe characters.
        assert_eq!(SessionId::parse("é".repeat(11).as_str()), Err(SessionIdError::NotBase64Url));
    }

    #[test]
    fn debug_shows_only_a_prefix() {
        let id = SessionId::from_bytes([0; ID_BYTES]);
        assert_eq!(format!("{id:?}"), "SessionId(AAAA…)");
    }
}
