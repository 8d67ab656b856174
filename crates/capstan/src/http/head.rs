//! Reading a request head off the socket, within a size limit.

use bytes::BytesMut;

use crate::request::Rejection;
use crate::request::{ParseError, Request};
use crate::server::Transport;

/// Why no request head could be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum HeadError {
    /// The head grew past the size limit (431).
    TooLarge,
    /// More header lines than allowed (431).
    TooManyHeaders,
    /// Not HTTP (400).
    Malformed,
    /// The head did not arrive in time (408).
    TimedOut,
    /// The peer closed or the socket failed before a whole head arrived.
    Closed,
    /// The server started shutting down before a whole head arrived (503).
    ShuttingDown,
}

impl HeadError {
    /// The HTTP answer, if one is worth sending.
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            Self::TooLarge => Some(Rejection::new(431, "request head too large")),
            Self::TooManyHeaders => Some(Rejection::new(431, "too many header fields")),
            Self::Malformed => Some(Rejection::new(400, "malformed HTTP request")),
            Self::TimedOut => Some(Rejection::new(408, "request head not received in time")),
            Self::ShuttingDown => Some(Rejection::new(503, "server shutting down")),
            Self::Closed => None,
        }
    }
}

/// Reads until `buf` starts with a complete head of at most `limit` bytes.
/// The head is taken from `buf`; what follows it stays.
pub(crate) async fn read_head(
    transport: &mut Transport,
    buf: &mut BytesMut,
    limit: usize,
) -> Result<Request, HeadError> {
    loop {
        match Request::parse(buf) {
            Ok(Some((request, len))) if len <= limit => {
                let _ = buf.split_to(len);
                return Ok(request);
            }
            Ok(Some(_)) => return Err(HeadError::TooLarge),
            Ok(None) if buf.len() >= limit => return Err(HeadError::TooLarge),
            Ok(None) => {}
            Err(ParseError::Malformed) => return Err(HeadError::Malformed),
            Err(ParseError::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
            Err(ParseError::TooLarge) => return Err(HeadError::TooLarge),
        }
        let room = (limit + 1).saturating_sub(buf.len()).min(4096);
        match transport.read_into(buf, room).await {
            Ok(0) | Err(_) => return Err(HeadError::Closed),
            Ok(_) => {}
        }
    }
}
