//! The backend's answer to any hook, in Centrifugo's proxy shape:
//! `{"result": {…}}` allows, `{"error": {"code", "message"}}` refuses
//! with an application error, `{"disconnect": {"code", "reason"}}` asks
//! for the connection to be closed.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::HookError;

/// What the backend decided.
#[derive(Debug, PartialEq)]
pub(crate) enum Answer<R> {
    /// Allowed, with the hook's result.
    Result(R),
    /// Refused with an application error.
    Error { code: u32, message: String },
    /// Refused; the connection is to be closed.
    Disconnect { code: u32, reason: String },
}

#[derive(Deserialize)]
struct Wire<R> {
    result: Option<R>,
    error: Option<ErrorBody>,
    disconnect: Option<DisconnectBody>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: u32,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct DisconnectBody {
    code: u32,
    #[serde(default)]
    reason: String,
}

impl<R: DeserializeOwned> Answer<R> {
    /// Reads an answer: JSON with exactly one of the three members (other
    /// members are ignored, as Centrifugo's extra fields may be there).
    pub(crate) fn parse(body: &[u8]) -> Result<Self, HookError> {
        let wire: Wire<R> =
            serde_json::from_slice(body).map_err(|e| HookError::MalformedAnswer(e.to_string()))?;
        match (wire.result, wire.error, wire.disconnect) {
            (Some(result), None, None) => Ok(Self::Result(result)),
            (None, Some(e), None) => Ok(Self::Error { code: e.code, message: e.message }),
            (None, None, Some(d)) => Ok(Self::Disconnect { code: d.code, reason: d.reason }),
            _ => Err(HookError::MalformedAnswer(
                "exactly one of result, error and disconnect is needed".to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Res {
        user: String,
    }

    fn parse(text: &str) -> Result<Answer<Res>, HookError> {
        Answer::parse(text.as_bytes())
    }

    #[test]
    fn the_three_answers() {
        assert_eq!(
            parse(r#"{"result":{"user":"42","expire_at":0}}"#).unwrap(),
            Answer::Result(Res { user: "42".into() })
        );
        assert_eq!(
            parse(r#"{"error":{"code":403,"message":"banned"}}"#).unwrap(),
            Answer::Error { code: 403, message: "banned".into() }
        );
        assert_eq!(
            parse(r#"{"disconnect":{"code":4501,"reason":"revoked"}}"#).unwrap(),
            Answer::Disconnect { code: 4501, reason: "revoked".into() }
        );
        assert_eq!(
            parse(r#"{"result":null,"error":{"code":1000}}"#).unwrap(),
            Answer::Error { code: 1000, message: String::new() },
            "null is no member"
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "",
            "not json",
            "{}",
            "[]",
            r#"{"result":{}}"#,
            r#"{"result":{"user":7}}"#,
            r#"{"error":{"message":"no code"}}"#,
            r#"{"result":{"user":"a"},"error":{"code":1}}"#,
        ] {
            assert!(matches!(parse(text), Err(HookError::MalformedAnswer(_))), "{text:?}");
        }
    }
}
