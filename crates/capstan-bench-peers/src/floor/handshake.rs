//! The HTTP side of the floor: find the end of a request head, route it
//! (`/echo`, `/broadcast`, 404 elsewhere, 400 without a key), and write the
//! 101 with its `Sec-WebSocket-Accept`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

/// The largest request head read before the connection is refused.
pub const MAX_HEAD: usize = 8 << 10;

/// Where an upgraded connection goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/echo`.
    Echo,
    /// `/broadcast`.
    Broadcast,
}

/// The answer to a whole request head.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// 101: the response to write, and where the connection goes.
    Upgrade { response: Vec<u8>, route: Route },
    /// Any other status: the response to write before closing.
    Refuse(&'static [u8]),
}

/// The end of the head (just past `\r\n\r\n`), if `buf` holds it.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// Answers the request head `head`.
pub fn answer(head: &[u8]) -> Answer {
    const NOT_FOUND: &[u8] =
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    const BAD_REQUEST: &[u8] =
        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let path = lines.next().and_then(|line| line.split(' ').nth(1)).unwrap_or("");
    let route = match path {
        "/echo" => Route::Echo,
        "/broadcast" => Route::Broadcast,
        _ => return Answer::Refuse(NOT_FOUND),
    };
    let key = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("sec-websocket-key").then(|| value.trim())
    });
    let Some(key) = key.filter(|k| !k.is_empty()) else { return Answer::Refuse(BAD_REQUEST) };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-accept: {}\r\n\r\n",
        accept_key(key)
    );
    Answer::Upgrade { response: response.into_bytes(), route }
}

/// `Sec-WebSocket-Accept` for `key` (RFC 6455 section 4.2.2).
fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    STANDARD.encode(sha1.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_key() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn routes_and_refuses() {
        let head = b"GET /broadcast HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        assert_eq!(head_end(head), Some(head.len()));
        let Answer::Upgrade { response, route } = answer(head) else { panic!() };
        assert_eq!(route, Route::Broadcast);
        assert!(String::from_utf8(response).unwrap().contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert!(
            matches!(answer(b"GET /x HTTP/1.1\r\n\r\n"), Answer::Refuse(r) if r.starts_with(b"HTTP/1.1 404"))
        );
        assert!(
            matches!(answer(b"GET /echo HTTP/1.1\r\n\r\n"), Answer::Refuse(r) if r.starts_with(b"HTTP/1.1 400"))
        );
        assert_eq!(head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
