//! Short HTTP answers that end a connection: 4xx/5xx with a plain-text body.

use bytes::Bytes;

/// A status, a few headers and a one-line explanation, sent before closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    status: u16,
    message: String,
    headers: Vec<(String, String)>,
}

impl Rejection {
    /// A rejection with a status and the reason shown to the client.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), headers: Vec::new() }
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// 404 Not Found.
    pub fn not_found() -> Self {
        Self::new(404, "no WebSocket endpoint at this path")
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The explanation in the body.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The value of one of the extra headers.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The whole HTTP/1.1 response.
    pub fn to_bytes(&self) -> Bytes {
        let body = format!("{}\n", self.message);
        // RFC 9110 §7.8: a sender of Upgrade lists "upgrade" in Connection.
        let connection = if self.header("upgrade").is_some() { "Upgrade, close" } else { "close" };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: {connection}\r\n",
            self.status,
            reason_phrase(self.status),
            body.len()
        );
        for (name, value) in &self.headers {
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.push_str(&body);
        Bytes::from(out)
    }
}

/// The standard reason phrase of a status.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_status_headers_and_body() {
        let r = Rejection::new(426, "upgrade please").with_header("Upgrade", "websocket");
        let text = String::from_utf8(r.to_bytes().to_vec()).unwrap();
        assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
        assert!(text.contains("\r\nUpgrade: websocket\r\n"));
        assert!(text.contains("\r\nConnection: Upgrade, close\r\n"));
        assert!(text.contains("Content-Length: 15\r\n"));
        assert!(text.ends_with("\r\n\r\nupgrade please\n"));
    }
}
