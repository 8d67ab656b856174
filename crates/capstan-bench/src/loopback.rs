//! The only URLs the load generator accepts: `ws://` to a loopback
//! address (127.0.0.0/8, `[::1]`, or `localhost`, taken as 127.0.0.1
//! without asking any resolver).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A checked `ws://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackUrl {
    /// Where to connect.
    pub addr: SocketAddr,
    /// The path and query, if the URL had one (`None` for `ws://h:p` and
    /// `ws://h:p/`).
    pub path: Option<String>,
}

impl LoopbackUrl {
    /// Parses `url`, refusing anything but `ws://` to a loopback address.
    pub fn parse(url: &str) -> Result<Self, String> {
        let refuse = |why: &str| Err(format!("refusing URL {url:?}: {why}"));
        let Some((scheme, rest)) = url.split_once("://") else {
            return refuse("expected ws://HOST:PORT/PATH");
        };
        if !scheme.eq_ignore_ascii_case("ws") {
            return refuse("only ws:// is spoken (no TLS, no other schemes)");
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return refuse("no user information allowed");
        }
        let Some((host, port)) = split_port(authority) else {
            return refuse("bad HOST:PORT");
        };
        let ip = match host {
            h if h.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
            h => match h.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(h).parse() {
                Ok(ip) => ip,
                Err(_) => {
                    return refuse(
                        "the host must be a loopback address (127.0.0.0/8, [::1] or localhost); names are not resolved",
                    );
                }
            },
        };
        if !ip.is_loopback() {
            return refuse(
                "the load generator only connects to loopback addresses (127.0.0.0/8, [::1])",
            );
        }
        let path = path.split('#').next().unwrap_or_default();
        let path = match path {
            "" | "/" => None,
            p if p.starts_with('?') => Some(format!("/{p}")),
            p => Some(p.to_owned()),
        };
        Ok(Self { addr: SocketAddr::new(ip, port), path })
    }
}

/// `host:port`, `[v6]:port`, or a host alone (port 80).
fn split_port(authority: &str) -> Option<(&str, u16)> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    };
    let port = match port {
        None => 80,
        Some(p) => p.parse().ok().filter(|&p| p != 0)?,
    };
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> (String, Option<String>) {
        let u = LoopbackUrl::parse(url).unwrap();
        (u.addr.to_string(), u.path)
    }

    #[test]
    fn accepts_loopback_ws_urls() {
        assert_eq!(ok("ws://127.0.0.1:9001/echo"), ("127.0.0.1:9001".into(), Some("/echo".into())));
        assert_eq!(ok("ws://127.3.4.5:80"), ("127.3.4.5:80".into(), None));
        assert_eq!(ok("WS://localhost:1234/"), ("127.0.0.1:1234".into(), None));
        assert_eq!(ok("ws://[::1]:9/a?b=c#frag"), ("[::1]:9".into(), Some("/a?b=c".into())));
        assert_eq!(ok("ws://127.0.0.1"), ("127.0.0.1:80".into(), None));
        assert_eq!(ok("ws://127.0.0.1:5?x"), ("127.0.0.1:5".into(), Some("/?x".into())));
    }

    #[test]
    fn refuses_everything_else() {
        for url in [
            "wss://127.0.0.1:9001/",
            "http://127.0.0.1:9001/",
            "ws://10.0.0.1:9001/",
            "ws://0.0.0.0:9001/",
            "ws://192.168.1.2/",
            "ws://example.com:80/",
            "ws://localhost.example.com/",
            "ws://[::2]:9001/",
            "ws://[::ffff:127.0.0.1]:9001/",
            "ws://user@127.0.0.1:9001/",
            "ws://127.0.0.1:0/",
            "ws://127.0.0.1:99999/",
            "ws://:9001/",
            "127.0.0.1:9001",
        ] {
            let e = LoopbackUrl::parse(url).unwrap_err();
            assert!(e.starts_with("refusing URL"), "{url}: {e}");
        }
    }
}
