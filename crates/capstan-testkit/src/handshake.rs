//! The client's side of the opening handshake (RFC 6455 §4.1): the upgrade
//! request, and the check of the server's 101. The accept value is
//! computed here (SHA-1 and base64), not with the server's code.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

use crate::http::Response;

/// The nonce of RFC 6455 §1.3, "the sample nonce" in base64: the key of
/// the tests' requests.
pub const SAMPLE_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// The Sec-WebSocket-Accept for [`SAMPLE_KEY`], from RFC 6455 §1.3.
pub const SAMPLE_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The GUID RFC 6455 §1.3 appends to the key.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A Sec-WebSocket-Key: 16 bytes, distinct per `index`, in base64.
pub fn key(index: u64) -> String {
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&index.to_be_bytes());
    raw[8..].copy_from_slice(&0x6361_7073_7461_6e21_u64.to_be_bytes());
    STANDARD.encode(raw)
}

/// The Sec-WebSocket-Accept a server must answer to `key`.
pub fn accept(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(GUID.as_bytes());
    STANDARD.encode(sha.finalize())
}

/// The upgrade request for `path` on `host` with `key`, and `extra` header
/// lines (each ending in CRLF) after the standard ones.
pub fn request(host: &str, path: &str, key: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// The request a well-behaved client of the tests sends: [`request`] on
/// `localhost` with [`SAMPLE_KEY`].
pub fn upgrade_request(path: &str, extra: &str) -> String {
    request("localhost", path, SAMPLE_KEY, extra)
}

/// A `Sec-WebSocket-Extensions: offer` header line, for `extra`.
pub fn offer_line(offer: &str) -> String {
    format!("Sec-WebSocket-Extensions: {offer}\r\n")
}

/// Whether `response` is a 101 (`HTTP/1.1 101 …`).
pub fn is_101(response: &Response) -> bool {
    response.status_line.starts_with("HTTP/1.1 101 ")
}

/// Checks a 101 as a client must (RFC 6455 §4.1): the status, `Upgrade:
/// websocket`, `Upgrade` among the Connection tokens, the accept value for
/// `key`, at most one Sec-WebSocket-Extensions line. Returns the agreed
/// extensions.
pub fn check(response: &Response, key: &str) -> Result<Option<String>, String> {
    if !is_101(response) {
        return Err(format!("expected 101, got {:?}", response.status_line));
    }
    if !response.header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Err("101 without Upgrade: websocket".into());
    }
    let connection = response.header_values("connection").flat_map(|v| v.split(','));
    if !connection.map(str::trim).any(|t| t.eq_ignore_ascii_case("upgrade")) {
        return Err("101 without Connection: Upgrade".into());
    }
    let accept_value = response.header("sec-websocket-accept");
    if accept_value != Some(accept(key).as_str()) {
        return Err(format!("wrong Sec-WebSocket-Accept {accept_value:?}"));
    }
    let mut extensions = response.header_values("sec-websocket-extensions");
    let agreed = extensions.next().map(str::to_owned);
    if extensions.next().is_some() {
        return Err("more than one Sec-WebSocket-Extensions line".into());
    }
    Ok(agreed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_the_rfc_example() {
        assert_eq!(accept(SAMPLE_KEY), SAMPLE_ACCEPT);
        assert_eq!(STANDARD.encode(b"the sample nonce"), SAMPLE_KEY);
        assert_eq!(key(1).len(), 24);
        assert_ne!(key(1), key(2));
    }

    fn head(text: &str) -> Response {
        Response::parse_head(text.as_bytes()).unwrap().unwrap().0
    }

    #[test]
    fn checks_the_answer() {
        let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                  Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        assert_eq!(check(&head(ok), SAMPLE_KEY), Ok(Some("permessage-deflate".into())));
        assert!(check(&head(&ok.replace("s3pP", "xxxx")), SAMPLE_KEY).is_err());
        assert!(
            check(&head(&ok.replace("Connection: Upgrade", "Connection: close")), SAMPLE_KEY)
                .is_err()
        );
        assert!(
            check(&head(&ok.replace("Upgrade: websocket", "Upgrade: h2c")), SAMPLE_KEY).is_err()
        );
        let twice = ok.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: x\r\n\r\n");
        assert!(check(&head(&twice), SAMPLE_KEY).is_err());
        assert!(check(&head("HTTP/1.1 400 Bad Request\r\n\r\n"), SAMPLE_KEY).is_err());
    }

    #[test]
    fn requests() {
        assert_eq!(
            upgrade_request("/a", &offer_line("permessage-deflate")),
            "GET /a HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        );
    }
}
