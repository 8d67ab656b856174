//! The fallback's upstream: the body of a batch POST (§8.3) and the HTTP
//! requests of the fallback transports.

/// A batch's body: `count` copies of `text` numbered from `first`, and
/// an acknowledgement of `ack` data messages if it is not 0. `text` must
/// need no JSON escaping (the load generator's payloads are ASCII letters,
/// digits and `:`).
pub fn body(first: u64, text: &str, count: usize, ack: u64, out: &mut String) {
    debug_assert!(!text.contains(['"', '\\']) && text.chars().all(|c| c >= ' '));
    out.clear();
    out.reserve(count * (text.len() + 3) + 48);
    out.push_str(&format!(r#"{{"first":{first},"messages":["#));
    for i in 0..count {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
    out.push(']');
    if ack > 0 {
        out.push_str(&format!(r#","ack":{ack}"#));
    }
    out.push('}');
}

/// A POST of `body` to `path_and_query` on `host`, as sent.
pub fn post_request(host: &str, path_and_query: &str, body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body.as_bytes());
    request
}

/// The GET of a downstream (`kind` is `sse` or `stream`) of `token`.
pub fn downstream_request(host: &str, path: &str, kind: &str, token: &str) -> String {
    format!(
        "GET {path}?capstan={kind}&transport={token} HTTP/1.1\r\nHost: {host}\r\n\
         Accept: text/event-stream\r\n\r\n"
    )
}

/// The transport token in an open POST's answer, `{"transport":"TOKEN"}`.
pub fn token(answer: &str) -> Option<&str> {
    let rest = answer.trim().strip_prefix(r#"{"transport":""#)?;
    let (token, tail) = rest.split_once('"')?;
    let ok = tail == "}" && !token.is_empty();
    (ok && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let mut out = String::from("stale");
        body(1, "ab", 2, 0, &mut out);
        assert_eq!(out, r#"{"first":1,"messages":["ab","ab"]}"#);
        body(33, "x", 1, 32, &mut out);
        assert_eq!(out, r#"{"first":33,"messages":["x"],"ack":32}"#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["ack"], 32);
    }

    #[test]
    fn requests_and_tokens() {
        let post = post_request("h:1", "/e?capstan=send&transport=t", "{}");
        let text = String::from_utf8(post).unwrap();
        assert!(text.starts_with("POST /e?capstan=send&transport=t HTTP/1.1\r\nHost: h:1\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
        let get = downstream_request("h", "/e", "sse", "tok");
        assert!(get.starts_with("GET /e?capstan=sse&transport=tok HTTP/1.1\r\n"));
        assert!(get.ends_with("\r\n\r\n"));
        assert_eq!(
            token(r#"{"transport":"kq3J0vV8dWm2aXo9PZr1Bg"}"#),
            Some("kq3J0vV8dWm2aXo9PZr1Bg")
        );
        assert_eq!(token(r#"{"transport":""}"#), None);
        assert_eq!(token(r#"{"transport":"a b"}"#), None);
        assert_eq!(token(r#"{"error":{"code":"x"}}"#), None);
    }
}
