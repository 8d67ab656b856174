//! The API's errors: one code per rule, the numbers Centrifugo's HTTP API
//! uses, so that its SDKs recognise them.

use std::fmt;

use serde::Serialize;

/// The rule a command broke, or why the server could not carry it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 100: the server failed (a store or broker unreachable, …).
    Internal,
    /// 101: no valid API key (over HTTP this is the 401 status instead).
    Unauthorized,
    /// 102: the channel's name is not one the application has.
    UnknownChannel,
    /// 103: the application does not allow this on this channel.
    PermissionDenied,
    /// 104: no such method.
    MethodNotFound,
    /// 106: a limit of the application was reached.
    LimitExceeded,
    /// 107: the request is malformed (a field missing, of the wrong type,
    /// or out of its range).
    BadRequest,
    /// 108: the feature is not available here (no history kept, say).
    NotAvailable,
    /// 111: too many requests for this key; retry later.
    TooManyRequests,
    /// 112: the position asked for is no longer (or not yet) in history.
    UnrecoverablePosition,
}

impl ErrorCode {
    /// The number on the wire.
    pub fn number(self) -> u32 {
        match self {
            Self::Internal => 100,
            Self::Unauthorized => 101,
            Self::UnknownChannel => 102,
            Self::PermissionDenied => 103,
            Self::MethodNotFound => 104,
            Self::LimitExceeded => 106,
            Self::BadRequest => 107,
            Self::NotAvailable => 108,
            Self::TooManyRequests => 111,
            Self::UnrecoverablePosition => 112,
        }
    }

    /// The rule's name in snake case (`"unknown_channel"`): a bounded set,
    /// for logs and metric labels.
    pub fn name(self) -> &'static str {
        match self {
            Self::Internal => "internal",
            Self::Unauthorized => "unauthorized",
            Self::UnknownChannel => "unknown_channel",
            Self::PermissionDenied => "permission_denied",
            Self::MethodNotFound => "method_not_found",
            Self::LimitExceeded => "limit_exceeded",
            Self::BadRequest => "bad_request",
            Self::NotAvailable => "not_available",
            Self::TooManyRequests => "too_many_requests",
            Self::UnrecoverablePosition => "unrecoverable_position",
        }
    }

    /// The short message that goes with the code when nothing more precise
    /// is said.
    pub fn text(self) -> &'static str {
        match self {
            Self::Internal => "internal server error",
            Self::Unauthorized => "unauthorized",
            Self::UnknownChannel => "unknown channel",
            Self::PermissionDenied => "permission denied",
            Self::MethodNotFound => "method not found",
            Self::LimitExceeded => "limit exceeded",
            Self::BadRequest => "bad request",
            Self::NotAvailable => "not available",
            Self::TooManyRequests => "too many requests",
            Self::UnrecoverablePosition => "unrecoverable position",
        }
    }
}

/// An error answer: its code and a message saying precisely what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// The rule broken.
    #[serde(serialize_with = "code_number")]
    pub code: ErrorCode,
    /// What was wrong, for a person reading logs.
    pub message: String,
}

impl ApiError {
    /// `code` with its own short message.
    pub fn new(code: ErrorCode) -> Self {
        Self { code, message: code.text().to_string() }
    }

    /// `code` with a precise message ("channel: at most 255 bytes").
    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// A malformed request, saying what was wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::with_message(ErrorCode::BadRequest, message)
    }

    /// The server failed; `why` is logged by the caller, not shown.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal)
    }
}

fn code_number<S: serde::Serializer>(code: &ErrorCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u32(code.number())
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code.text(), self.code.number(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_centrifugo_does() {
        let error = ApiError::with_message(ErrorCode::UnknownChannel, "no room \"x\"");
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(json, r#"{"code":102,"message":"no room \"x\""}"#);
    }

    #[test]
    fn every_code_has_its_own_number() {
        use ErrorCode::*;
        let all = [
            Internal,
            Unauthorized,
            UnknownChannel,
            PermissionDenied,
            MethodNotFound,
            LimitExceeded,
            BadRequest,
            NotAvailable,
            TooManyRequests,
            UnrecoverablePosition,
        ];
        let mut numbers: Vec<u32> = all.iter().map(|c| c.number()).collect();
        numbers.sort_unstable();
        numbers.dedup();
        assert_eq!(numbers.len(), all.len());
        let mut names: Vec<&str> = all.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
