//! The opening handshake (RFC 6455 §4.2): checking the client's request and
//! writing the 101 answer. Pure functions over a parsed [`Request`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use sha1::{Digest, Sha1};

use super::deflate::{self, DeflateConfig, DeflateParams};
use crate::request::{Rejection, Request};

/// The GUID of §1.3, appended to the key before hashing.
const ACCEPT_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The one protocol version this server speaks.
pub const VERSION: &str = "13";

/// A rule of the opening handshake the request broke; each maps to the
/// HTTP status RFC 6455 §4.2.1–4.2.2 calls for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// §4.1: the method must be GET (405).
    MethodNotGet,
    /// §4.1: HTTP/1.1 or higher is required (400).
    HttpVersionTooOld,
    /// §4.1: a Host header is required (400).
    MissingHost,
    /// RFC 9112 §3.2: more than one Host header (400).
    MultipleHosts,
    /// §4.2.1: the Connection header must contain the token "Upgrade" (400).
    ConnectionNotUpgrade,
    /// §4.2.1: Sec-WebSocket-Key must be present, once (400).
    MissingKey,
    /// §4.1: Sec-WebSocket-Key must be 16 bytes in base64 (400).
    InvalidKey,
    /// §4.2.2: Sec-WebSocket-Version must be present (426).
    MissingVersion,
    /// §4.2.2: only version 13 is spoken (426 with the version header).
    UnsupportedVersion,
}

impl HandshakeError {
    /// The HTTP answer for this error.
    pub fn rejection(&self) -> Rejection {
        let (status, message) = match self {
            Self::MethodNotGet => (405, "a WebSocket handshake must use GET"),
            Self::HttpVersionTooOld => (400, "a WebSocket handshake needs HTTP/1.1"),
            Self::MissingHost => (400, "missing Host header"),
            Self::MultipleHosts => (400, "more than one Host header"),
            Self::ConnectionNotUpgrade => (400, "Connection header must include Upgrade"),
            Self::MissingKey => (400, "missing Sec-WebSocket-Key header"),
            Self::InvalidKey => (400, "Sec-WebSocket-Key must be 16 bytes in base64"),
            Self::MissingVersion => (426, "missing Sec-WebSocket-Version header"),
            Self::UnsupportedVersion => (426, "unsupported Sec-WebSocket-Version"),
        };
        let rejection = Rejection::new(status, message);
        match self {
            Self::MethodNotGet => rejection.with_header("Allow", "GET"),
            Self::MissingVersion | Self::UnsupportedVersion => rejection
                .with_header("Sec-WebSocket-Version", VERSION)
                .with_header("Upgrade", "websocket"),
            _ => rejection,
        }
    }
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rejection().message())
    }
}

impl std::error::Error for HandshakeError {}

/// A request that passed every check: what the 101 answer needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The Sec-WebSocket-Accept value.
    pub accept: String,
    /// The subprotocol chosen, if any.
    pub protocol: Option<String>,
    /// permessage-deflate, if agreed: the parameters and the answer's
    /// Sec-WebSocket-Extensions value.
    pub deflate: Option<(DeflateParams, String)>,
}

/// Checks an upgrade request, picks a subprotocol (the first one in the
/// client's order of preference that the server speaks) and negotiates
/// permessage-deflate under `deflate`.
pub fn accept(
    request: &Request,
    protocols: &[String],
    deflate: &DeflateConfig,
) -> Result<Accepted, HandshakeError> {
    if request.method() != "GET" {
        return Err(HandshakeError::MethodNotGet);
    }
    if !request.is_http11_or_later() {
        return Err(HandshakeError::HttpVersionTooOld);
    }
    match request.headers_named("host").count() {
        0 => return Err(HandshakeError::MissingHost),
        1 => {}
        _ => return Err(HandshakeError::MultipleHosts),
    }
    if !request.header_tokens("connection").any(|t| t.eq_ignore_ascii_case("upgrade")) {
        return Err(HandshakeError::ConnectionNotUpgrade);
    }
    let mut keys = request.headers_named("sec-websocket-key");
    let key = keys.next().ok_or(HandshakeError::MissingKey)?;
    if keys.next().is_some() {
        return Err(HandshakeError::InvalidKey);
    }
    let key = key.trim_ascii();
    match STANDARD.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return Err(HandshakeError::InvalidKey),
    }
    let version = request.header("sec-websocket-version").ok_or(HandshakeError::MissingVersion)?;
    if version.trim() != VERSION {
        return Err(HandshakeError::UnsupportedVersion);
    }
    let protocol = request
        .header_tokens("sec-websocket-protocol")
        .find(|offered| protocols.iter().any(|ours| ours == offered))
        .map(str::to_owned);
    let offers = request
        .headers_named("sec-websocket-extensions")
        .filter_map(|v| std::str::from_utf8(v).ok());
    let deflate = deflate::negotiate(offers, deflate);
    Ok(Accepted { accept: accept_key(key), protocol, deflate })
}

/// Sec-WebSocket-Accept for a key (§4.2.2 step 5.4).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(ACCEPT_GUID);
    STANDARD.encode(sha1.finalize())
}

/// The 101 Switching Protocols answer.
pub fn response(accepted: &Accepted) -> Bytes {
    let mut out = String::with_capacity(160);
    out.push_str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
    out.push_str("Connection: Upgrade\r\nSec-WebSocket-Accept: ");
    out.push_str(&accepted.accept);
    out.push_str("\r\n");
    if let Some(protocol) = &accepted.protocol {
        out.push_str("Sec-WebSocket-Protocol: ");
        out.push_str(protocol);
        out.push_str("\r\n");
    }
    if let Some((_, extensions)) = &accepted.deflate {
        out.push_str("Sec-WebSocket-Extensions: ");
        out.push_str(extensions);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    Bytes::from(out)
}

#[cfg(test)]
mod tests;
