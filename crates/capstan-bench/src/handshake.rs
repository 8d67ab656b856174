//! The client's side of the opening handshake (RFC 6455 §4.1), written
//! and checked by hand over a raw socket.

use capstan::ws::handshake::accept_key;

/// A Sec-WebSocket-Key: 16 bytes, distinct per `index`, in base64.
pub fn key(index: u64) -> String {
    let mut raw = [0u8; 16];
    raw[..8].copy_from_slice(&index.to_be_bytes());
    raw[8..].copy_from_slice(&0x6361_7073_7461_6e21_u64.to_be_bytes());
    base64(&raw)
}

/// The upgrade request, offering `offer` as Sec-WebSocket-Extensions.
pub fn request(host: &str, path: &str, key: &str, offer: Option<&str>) -> String {
    let mut out = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(offer) = offer {
        out.push_str(&format!("Sec-WebSocket-Extensions: {offer}\r\n"));
    }
    out.push_str("\r\n");
    out
}

/// Checks a response head (through its blank line): status 101, the
/// upgrade headers and the accept value. Returns the agreed extensions.
pub fn check_response(head: &str, key: &str) -> Result<Option<String>, String> {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    if !status.starts_with("HTTP/1.1 101 ") {
        return Err(format!("expected 101, got {status:?}"));
    }
    let (mut accept, mut upgrade, mut extensions) = (None, false, None);
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("bad header line {line:?}"));
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "sec-websocket-accept" => accept = Some(value.to_owned()),
            "upgrade" => upgrade = value.eq_ignore_ascii_case("websocket"),
            "sec-websocket-extensions" => extensions = Some(value.to_owned()),
            _ => {}
        }
    }
    if !upgrade {
        return Err("101 without Upgrade: websocket".into());
    }
    if accept.as_deref() != Some(accept_key(key.as_bytes()).as_str()) {
        return Err(format!("wrong Sec-WebSocket-Accept {accept:?}"));
    }
    Ok(extensions)
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_example() {
        // RFC 6455 §4.1's nonce "the sample nonce".
        assert_eq!(base64(b"the sample nonce"), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(key(1).len(), 24);
    }

    #[test]
    fn checks_the_answer() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                  Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
        assert_eq!(check_response(ok, key), Ok(Some("permessage-deflate".into())));
        assert!(check_response(&ok.replace("s3pP", "xxxx"), key).is_err());
        assert!(check_response("HTTP/1.1 400 Bad Request\r\n\r\n", key).is_err());
    }
}
