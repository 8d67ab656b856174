//! Why a message received over WAMP v1 cannot be taken, one variant per
//! rule, and the WebSocket close code each rule calls for.

use std::fmt;

use capstan::CloseCode;

/// A received message that breaks a rule of WAMP v1 (or the bound on a
/// connection's prefixes). A server answers a CALL that it can read up to
/// its call ID with CALLERROR; anything else with a close frame carrying
/// [`close_code`](Self::close_code) and this error's text as the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// WAMP v1 messages are JSON text: a binary WebSocket message breaks it.
    NotText,
    /// The text is not JSON (the parser's complaint).
    NotJson(String),
    /// A message must be a non-empty list.
    NotAList,
    /// The first element must be a message type, 0 to 8.
    UnknownType(String),
    /// The number of elements does not fit the message.
    Arity {
        /// The message's name.
        message: &'static str,
        /// Elements received, the type included.
        len: usize,
    },
    /// A field has the wrong type.
    FieldType {
        /// The message's name.
        message: &'static str,
        /// The field's name in the spec.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it was.
        found: &'static str,
    },
    /// Only a server sends this message (WELCOME, CALLRESULT, CALLERROR,
    /// EVENT); a client did.
    NotFromClients {
        /// The message's name.
        message: &'static str,
    },
    /// A PREFIX for a new prefix past the bound of one connection's table.
    TooManyPrefixes {
        /// The bound.
        limit: usize,
    },
}

impl DecodeError {
    /// The close code for a connection that sent it: 1003 (unsupported
    /// data) for a binary message, 1008 (policy) past the prefix bound,
    /// 1007 (invalid payload, as Ratchet closes) for the rest.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::NotText => CloseCode::UNSUPPORTED_DATA,
            Self::TooManyPrefixes { .. } => CloseCode::POLICY_VIOLATION,
            _ => CloseCode::INVALID_PAYLOAD,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotText => f.write_str("WAMP v1 messages are text, not binary"),
            Self::NotJson(why) => write!(f, "not JSON: {why}"),
            Self::NotAList => f.write_str("a WAMP message must be a non-empty list"),
            Self::UnknownType(found) => {
                write!(f, "unknown WAMP v1 message type {found} (0 to 8)")
            }
            Self::Arity { message, len } => write!(f, "{message} cannot have {len} elements"),
            Self::FieldType { message, field, expected, found } => {
                write!(f, "{message}: {field} must be {expected}, not {found}")
            }
            Self::NotFromClients { message } => write!(f, "only a server sends {message}"),
            Self::TooManyPrefixes { limit } => {
                write!(f, "PREFIX: at most {limit} prefixes per connection")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_has_its_close_code_and_fits_a_close_frame() {
        let errors = [
            (DecodeError::NotText, 1003),
            (DecodeError::NotJson("expected value at line 1 column 1".into()), 1007),
            (DecodeError::NotAList, 1007),
            (DecodeError::UnknownType("9".into()), 1007),
            (DecodeError::Arity { message: "SUBSCRIBE", len: 3 }, 1007),
            (
                DecodeError::FieldType {
                    message: "PUBLISH",
                    field: "eligible",
                    expected: "a list of session IDs (strings)",
                    found: "a dictionary",
                },
                1007,
            ),
            (DecodeError::NotFromClients { message: "EVENT" }, 1007),
            (DecodeError::TooManyPrefixes { limit: 256 }, 1008),
        ];
        for (error, code) in errors {
            assert_eq!(error.close_code(), CloseCode(code), "{error}");
            assert!(error.to_string().len() <= 123, "{error}");
        }
    }
}
