//! The rules for what a message carries: its content and client id.

use crate::errors::{ErrorCode, Refusal};

/// The longest client id, in characters.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// Checks message content against the byte limit.
pub fn content(raw: &str, max_bytes: usize) -> Result<(), Refusal> {
    if raw.trim().is_empty() {
        return Err(Refusal::new(ErrorCode::ContentEmpty, "the message is empty"));
    }
    if raw.len() > max_bytes {
        let message = format!("the message is over {max_bytes} bytes");
        return Err(Refusal::new(ErrorCode::ContentTooLong, message));
    }
    Ok(())
}

/// Checks a client id.
pub fn client_id(raw: Option<&str>) -> Result<(), Refusal> {
    match raw {
        Some(id) if id.is_empty() || id.chars().count() > MAX_CLIENT_ID_CHARS => {
            let message = format!("client_id must be 1-{MAX_CLIENT_ID_CHARS} characters");
            Err(Refusal::new(ErrorCode::InvalidField, message))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_limits() {
        assert!(content("hi", 10).is_ok());
        assert_eq!(content("  ", 10).unwrap_err().code, ErrorCode::ContentEmpty);
        assert_eq!(content("ééééé é", 10).unwrap_err().code, ErrorCode::ContentTooLong);
        assert!(content(&"x".repeat(10), 10).is_ok());
    }

    #[test]
    fn client_ids() {
        assert!(client_id(None).is_ok());
        assert!(client_id(Some("c-1")).is_ok());
        assert_eq!(client_id(Some("")).unwrap_err().code, ErrorCode::InvalidField);
        assert!(client_id(Some(&"x".repeat(65))).is_err());
    }
}
