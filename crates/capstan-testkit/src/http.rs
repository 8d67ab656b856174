//! Plain HTTP as a test sees it: a response head read off a socket and
//! parsed, a whole response read until the server closes, a response with
//! a Content-Length body read off a kept-alive connection.

use std::fmt;
use std::net::SocketAddr;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::wait::within;

/// Longest response head [`read_head`] takes.
pub const MAX_HEAD: usize = 16 * 1024;

/// An HTTP response as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// `HTTP/1.1 101 Switching Protocols`, as sent.
    pub status_line: String,
    /// The header lines in order, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (empty when only the head was read).
    pub body: Vec<u8>,
}

impl Response {
    /// Parses a response head at the start of `raw`: the response (without
    /// body) and the head's length through its blank line; `Ok(None)` if
    /// the blank line has not arrived yet.
    pub fn parse_head(raw: &[u8]) -> Result<Option<(Response, usize)>, String> {
        let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
        let head = std::str::from_utf8(&raw[..end]).map_err(|_| "response head not UTF-8")?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        for line in lines {
            let (name, value) =
                line.split_once(':').ok_or_else(|| format!("bad header line {line:?}"))?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        Ok(Some((Response { status_line, headers, body: Vec::new() }, end + 4)))
    }

    /// A whole response that ended with the connection: its head, and the
    /// rest as its body. Panics if there is no complete head.
    pub fn parse(raw: &[u8]) -> Response {
        let parsed = Response::parse_head(raw).unwrap_or_else(|e| panic!("{e}"));
        let (mut response, head_len) = parsed
            .unwrap_or_else(|| panic!("no complete response: {:?}", String::from_utf8_lossy(raw)));
        response.body = raw[head_len..].to_vec();
        response
    }

    /// The status code; panics on a status line without one.
    pub fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {:?}", self.status_line))
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every header called `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why [`read_head`] found no response head.
#[derive(Debug)]
pub enum HeadError {
    /// The stream ended first; what had come.
    Closed(Vec<u8>),
    /// A read failed.
    Io(std::io::Error),
    /// Not an HTTP head: not UTF-8, a bad header line, or longer than
    /// [`MAX_HEAD`].
    Invalid(String),
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::Closed(got) => {
                write!(f, "closed during the response head: {:?}", String::from_utf8_lossy(got))
            }
            HeadError::Io(e) => write!(f, "read the response: {e}"),
            HeadError::Invalid(why) => f.write_str(why),
        }
    }
}

/// Reads from `stream` into `buf` until a whole response head is there;
/// returns it and leaves what follows it in `buf`. Unbounded in time (the
/// caller bounds it).
pub async fn read_head(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> Result<Response, HeadError> {
    loop {
        if let Some((response, head_len)) = Response::parse_head(buf).map_err(HeadError::Invalid)? {
            let _ = buf.split_to(head_len);
            return Ok(response);
        }
        if buf.len() > MAX_HEAD {
            return Err(HeadError::Invalid("response head too long".into()));
        }
        match stream.read_buf(buf).await {
            Ok(0) => return Err(HeadError::Closed(buf.to_vec())),
            Ok(_) => {}
            Err(e) => return Err(HeadError::Io(e)),
        }
    }
}

/// Reads until the server closes the connection, within
/// [`WAIT`](crate::wait::WAIT) (panics if it keeps it open): `Ok` after a
/// clean end, the error after a reset (what came before it is in `into`).
pub async fn read_until_closed(
    stream: &mut (impl AsyncRead + Unpin),
    into: &mut Vec<u8>,
) -> std::io::Result<()> {
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => return Ok(()),
                Ok(n) => into.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(e),
            }
        }
    };
    within("the server closes the connection", read).await
}

/// Sends `request` on a new connection and returns everything the server
/// answers until it closes the connection (a reset ends it too).
pub async fn exchange(addr: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send the request");
    let mut raw = Vec::new();
    let _ = read_until_closed(&mut stream, &mut raw).await;
    raw
}

/// Reads one response with a Content-Length body off a kept-alive
/// connection, each read within [`WAIT`](crate::wait::WAIT); `buf` keeps
/// what follows it.
pub async fn read_response(stream: &mut TcpStream, buf: &mut BytesMut) -> Response {
    let mut response =
        within("a response head", read_head(stream, buf)).await.unwrap_or_else(|e| panic!("{e}"));
    let length: usize =
        response.header("content-length").expect("a Content-Length").parse().unwrap();
    while buf.len() < length {
        let n = within("the body", stream.read_buf(buf)).await.unwrap();
        assert!(n > 0, "server closed in the middle of a body");
    }
    response.body = buf.split_to(length).to_vec();
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head_and_finds_headers_in_any_case() {
        let raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\nno";
        let (head, len) = Response::parse_head(raw).unwrap().unwrap();
        assert_eq!(len, raw.len() - 2);
        assert_eq!(head.status(), 404);
        assert_eq!(head.header("content-length"), Some("2"));
        assert_eq!(head.header_values("X-A").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(Response::parse(raw).body_text(), "no");
        assert_eq!(Response::parse_head(b"HTTP/1.1 200 OK\r\n"), Ok(None));
        assert!(Response::parse_head(b"HTTP/1.1 200 OK\r\nnocolon\r\n\r\n").is_err());
    }
}
