//! The request head, below both the HTTP and the WebSocket layers: the
//! upgrade request as the application sees it (a compact view over the raw
//! head: one shared buffer and a few offsets, so keeping it for a
//! connection's lifetime costs little), whether it asks for a WebSocket,
//! percent-decoding, and the short answers ([`Rejection`]) either layer
//! ends a request with. It imports no other layer.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

mod rejection;

pub use rejection::Rejection;

/// An offset range into the head buffer (heads are limited to 64 KiB).
type Span = Range<u16>;

/// A parsed HTTP/1.x request head.
#[derive(Clone)]
pub struct Request {
    head: Bytes,
    method: Span,
    target: Span,
    minor_version: u8,
    headers: Box<[(Span, Span)]>,
    remote: Option<SocketAddr>,
    params: Vec<(Box<str>, Box<str>)>,
    identity: Option<Arc<dyn Any + Send + Sync>>,
}

/// Why a request head could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The head is not valid HTTP/1.x syntax.
    Malformed,
    /// More header lines than the parser takes.
    TooManyHeaders,
    /// A complete head longer than 64 KiB (offsets are 16-bit).
    TooLarge,
}

/// The most header lines a request may have.
pub const MAX_HEADERS: usize = 64;

impl Request {
    /// Parses `buf` if it starts with a complete head: `Ok(Some((request,
    /// head_len)))`, or `Ok(None)` when more bytes are needed.
    pub fn parse(buf: &[u8]) -> Result<Option<(Self, usize)>, ParseError> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut slots);
        let len = match parsed.parse(buf) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(ParseError::TooManyHeaders),
            Err(_) => return Err(ParseError::Malformed),
        };
        if len > u16::MAX as usize {
            return Err(ParseError::TooLarge);
        }
        let base = buf.as_ptr() as usize;
        let span = |part: &[u8]| -> Span {
            let start = (part.as_ptr() as usize - base) as u16;
            start..start + part.len() as u16
        };
        let method = span(parsed.method.expect("complete").as_bytes());
        let target = span(parsed.path.expect("complete").as_bytes());
        let minor_version = parsed.version.expect("complete");
        let headers =
            parsed.headers.iter().map(|h| (span(h.name.as_bytes()), span(h.value))).collect();
        let head = Bytes::copy_from_slice(&buf[..len]);
        let request = Self {
            head,
            method,
            target,
            minor_version,
            headers,
            remote: None,
            params: Vec::new(),
            identity: None,
        };
        Ok(Some((request, len)))
    }

    /// Builds a request from a head, for tests and tools.
    pub fn from_head(head: &str) -> Result<Self, ParseError> {
        match Self::parse(head.as_bytes())? {
            Some((request, _)) => Ok(request),
            None => Err(ParseError::Malformed),
        }
    }

    fn text(&self, span: &Span) -> &str {
        // Method and target are checked ASCII tokens by httparse.
        std::str::from_utf8(self.bytes(span)).unwrap_or("")
    }

    fn bytes(&self, span: &Span) -> &[u8] {
        &self.head[span.start as usize..span.end as usize]
    }

    /// The peer's address (set by the HTTP layer).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote
    }

    pub(crate) fn set_remote_addr(&mut self, remote: SocketAddr) {
        self.remote = Some(remote);
    }

    /// A path parameter captured by the router (`/rooms/:room` → `room`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| &**n == name).map(|(_, v)| &**v)
    }

    /// Every path parameter captured by the router, in pattern order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(n, v)| (&**n, &**v))
    }

    /// Records a path parameter (for routers).
    pub fn set_param(&mut self, name: &str, value: &str) {
        self.params.push((name.into(), value.into()));
    }

    /// The identity an authentication layer attached, if of type `T`.
    pub fn identity<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.identity.as_deref()?.downcast_ref()
    }

    /// Attaches an identity (for authentication layers); the connection's
    /// callbacks read it with [`crate::Conn::identity`].
    pub fn set_identity<T: Any + Send + Sync>(&mut self, identity: T) {
        self.identity = Some(Arc::new(identity));
    }

    /// The raw head, as received.
    pub fn head_bytes(&self) -> &Bytes {
        &self.head
    }

    /// The method, e.g. "GET".
    pub fn method(&self) -> &str {
        self.text(&self.method)
    }

    /// The request target as sent: path and query.
    pub fn target(&self) -> &str {
        self.text(&self.target)
    }

    /// The path, without the query (and without scheme and authority when
    /// the target is in absolute form, `GET ws://host/path`).
    pub fn path(&self) -> &str {
        let target = self.target();
        let target = target.split_once('?').map_or(target, |(path, _)| path);
        match target.split_once("://") {
            Some((_, rest)) if !target.starts_with('/') => {
                rest.find('/').map_or("/", |slash| &rest[slash..])
            }
            _ => target,
        }
    }

    /// The raw query string (after '?'), if any.
    pub fn query(&self) -> Option<&str> {
        self.target().split_once('?').map(|(_, query)| query)
    }

    /// The decoded value of the first query parameter called `name`.
    pub fn query_param(&self, name: &str) -> Option<Cow<'_, str>> {
        self.query_params().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// Every query parameter, decoded as `application/x-www-form-urlencoded`
    /// (`+` is a space, `%XX` a byte, invalid UTF-8 U+FFFD), by the
    /// `form_urlencoded` crate (the `url` crate's own).
    pub fn query_params(&self) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
        form_urlencoded::parse(self.query().unwrap_or("").as_bytes())
    }

    /// Whether the request is HTTP/1.1 (or later).
    pub fn is_http11_or_later(&self) -> bool {
        self.minor_version >= 1
    }

    /// Every header as (name, raw value), in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.headers.iter().map(|(name, value)| (self.text(name), self.bytes(value)))
    }

    /// The raw values of every header called `name` (case-insensitive).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The first header called `name`, if present and UTF-8.
    pub fn header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.headers_named(name).next().and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Whether the request asks for a WebSocket upgrade at all (an
    /// `Upgrade` header with the token `websocket`); other requests are
    /// plain HTTP.
    pub fn is_upgrade(&self) -> bool {
        self.header_tokens("upgrade").any(|t| t.eq_ignore_ascii_case("websocket"))
    }

    /// Whether this is a request of a session-mode route's HTTP fallbacks
    /// (docs/SESSIONS.md §8: its query names `capstan=`): a transport of a
    /// connection, which the edge layers check as they check an upgrade.
    pub fn is_session_fallback(&self) -> bool {
        !self.is_upgrade() && self.query_param("capstan").is_some()
    }

    /// Whether this request opens or carries a connection: a WebSocket
    /// upgrade, or a session fallback's request. Authentication applies to
    /// these; other plain HTTP requests go to the HTTP service's rules.
    pub fn is_connection_request(&self) -> bool {
        self.is_upgrade() || self.is_session_fallback()
    }

    /// The comma-separated tokens of every header called `name`, trimmed
    /// (for Connection, Upgrade, Sec-WebSocket-Protocol, ...).
    pub fn header_tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers_named(name)
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// Every cookie as (name, value), from all Cookie headers.
    pub fn cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers_named("cookie")
            .filter_map(|v| std::str::from_utf8(v).ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let value = value.trim();
                let value =
                    value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
                Some((name.trim(), value))
            })
    }

    /// The value of the cookie called `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("target", &self.target())
            .field("headers", &self.headers.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "GET /chat/room?user=J%C3%BCrgen&x=a+b&flag HTTP/1.1\r\n\
        Host: example.com\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\
        Cookie: session=abc; theme=\"dark\"\r\nX-Multi: a\r\nx-multi: b, c\r\n\r\n";

    #[test]
    fn parses_method_path_and_query() {
        let r = Request::from_head(HEAD).unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(r.path(), "/chat/room");
        assert_eq!(r.query(), Some("user=J%C3%BCrgen&x=a+b&flag"));
        assert_eq!(r.query_param("user").as_deref(), Some("Jürgen"));
        assert_eq!(r.query_param("x").as_deref(), Some("a b"));
        assert_eq!(r.query_param("flag").as_deref(), Some(""));
        assert_eq!(r.query_param("missing"), None);
        assert!(r.is_http11_or_later());
    }

    #[test]
    fn query_escapes_that_are_invalid_stay_as_they_are() {
        let head = "GET /?a=100%&b=%zz&c=%4&d=a%20b+c%2Bd&&e=%FF HTTP/1.1\r\nHost: h\r\n\r\n";
        let r = Request::from_head(head).unwrap();
        let params: Vec<(String, String)> =
            r.query_params().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let expected =
            [("a", "100%"), ("b", "%zz"), ("c", "%4"), ("d", "a b c+d"), ("e", "\u{FFFD}")];
        let expected: Vec<(String, String)> =
            expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(params, expected, "an empty pair between && is skipped");
    }

    #[test]
    fn headers_are_case_insensitive_and_tokenized() {
        let r = Request::from_head(HEAD).unwrap();
        assert_eq!(r.header("HOST"), Some("example.com"));
        let tokens: Vec<_> = r.header_tokens("connection").collect();
        assert_eq!(tokens, ["keep-alive", "Upgrade"]);
        let multi: Vec<_> = r.header_tokens("x-multi").collect();
        assert_eq!(multi, ["a", "b", "c"]);
    }

    #[test]
    fn cookies_are_split_and_unquoted() {
        let r = Request::from_head(HEAD).unwrap();
        assert_eq!(r.cookie("session"), Some("abc"));
        assert_eq!(r.cookie("theme"), Some("dark"));
        assert_eq!(r.cookie("none"), None);
    }

    #[test]
    fn absolute_form_target_has_a_plain_path() {
        let r = Request::from_head("GET ws://example.com/chat?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap();
        assert_eq!(r.path(), "/chat");
        assert_eq!(r.query(), Some("x=1"));
        let r = Request::from_head("GET http://example.com HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        assert_eq!(r.path(), "/");
    }

    #[test]
    fn partial_head_needs_more_bytes() {
        assert!(Request::parse(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap().is_none());
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(
            Request::parse(b"\x16\x03\x01\x02\x00\r\n\r\n").unwrap_err(),
            ParseError::Malformed
        );
    }

    #[test]
    fn too_many_headers_is_its_own_error() {
        let mut head = String::from("GET / HTTP/1.1\r\n");
        for i in 0..=MAX_HEADERS {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("\r\n");
        assert_eq!(Request::parse(head.as_bytes()).unwrap_err(), ParseError::TooManyHeaders);
    }

    #[test]
    fn head_length_excludes_what_follows() {
        let mut bytes = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let head_len = bytes.len();
        bytes.extend_from_slice(&[0x81, 0x80]);
        let (_, len) = Request::parse(&bytes).unwrap().unwrap();
        assert_eq!(len, head_len);
    }
}
