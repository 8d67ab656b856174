//! Several components on one port, chosen by path (Ratchet's `App::route`),
//! with path parameters: `/rooms/:room` captures `room`, `/files/*path`
//! captures the rest.

use super::component::{Decision, DynHttpComponent, HttpComponent};
use crate::request::Rejection;
use crate::request::Request;
use percent_encoding::percent_decode_str;

/// One segment of a route pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Rest(String),
}

/// A route pattern, parsed once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern(Vec<Segment>);

impl Pattern {
    fn parse(pattern: &str) -> Self {
        let segments = segments(pattern)
            .map(|s| {
                if let Some(name) = s.strip_prefix(':') {
                    Segment::Param(name.to_owned())
                } else if let Some(name) = s.strip_prefix('*') {
                    Segment::Rest(name.to_owned())
                } else {
                    Segment::Literal(s.to_owned())
                }
            })
            .collect();
        Self(segments)
    }

    /// The captured parameters if `path` matches. Paths match strictly: a
    /// trailing slash is part of the path (`/a/` is not `/a`).
    fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let rest_pattern = matches!(self.0.last(), Some(Segment::Rest(_)));
        if path.len() > 1 && path.ends_with('/') && !rest_pattern {
            return None;
        }
        let mut params = Vec::new();
        let mut parts = segments(path);
        for segment in &self.0 {
            match segment {
                Segment::Rest(name) => {
                    let rest: Vec<&str> = parts.by_ref().collect();
                    params.push((name.clone(), decode_segment(&rest.join("/"))));
                    return Some(params);
                }
                Segment::Literal(literal) => {
                    if parts.next()? != literal {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = parts.next()?;
                    params.push((name.clone(), decode_segment(value)));
                }
            }
        }
        parts.next().is_none().then_some(params)
    }
}

/// A path segment with its `%XX` escapes decoded (invalid UTF-8 becomes
/// U+FFFD). A `+` stays a `+`: only a query is form-encoded (RFC 3986).
fn decode_segment(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// The non-empty segments of a path.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// Dispatches each request to the first route whose pattern matches its
/// path; unknown paths get 404 (or the HTTP server's service).
#[derive(Default)]
pub struct Router {
    routes: Vec<(String, Pattern, Box<dyn DynHttpComponent>)>,
}

impl Router {
    /// A router with no route.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `pattern` with `component` (usually a [`crate::WsServer`]).
    /// `:name` matches one segment, `*name` the rest of the path; the
    /// values are available as [`Request::param`] (and through
    /// `conn.request().param(..)`).
    pub fn route(mut self, pattern: impl Into<String>, component: impl HttpComponent) -> Self {
        let pattern = pattern.into();
        let parsed = Pattern::parse(&pattern);
        self.routes.push((pattern, parsed, Box::new(component)));
        self
    }

    /// The patterns served.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|(pattern, _, _)| pattern.as_str())
    }
}

impl HttpComponent for Router {
    async fn on_request(&self, request: &mut Request) -> Decision {
        let path = request.path().to_owned();
        for (_, pattern, component) in &self.routes {
            if let Some(params) = pattern.matches(&path) {
                for (name, value) in params {
                    request.set_param(&name, &value);
                }
                return component.on_request_boxed(request).await;
            }
        }
        Decision::Pass(Rejection::not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(pattern).matches(path)
    }

    fn params(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect())
    }

    #[test]
    fn literal_paths_match_exactly() {
        assert_eq!(matches("/chat", "/chat"), params(&[]));
        assert_eq!(matches("/chat", "/chat/"), None);
        assert_eq!(matches("/chat", "/chats"), None);
        assert_eq!(matches("/chat", "/chat/x"), None);
        assert_eq!(matches("/", "/"), params(&[]));
        assert_eq!(matches("/", "/x"), None);
    }

    #[test]
    fn params_capture_one_segment_decoded() {
        assert_eq!(matches("/rooms/:room", "/rooms/lobby"), params(&[("room", "lobby")]));
        assert_eq!(matches("/rooms/:room", "/rooms/caf%C3%A9"), params(&[("room", "café")]));
        assert_eq!(matches("/rooms/:room", "/rooms/a+b%2Bc"), params(&[("room", "a+b+c")]));
        assert_eq!(matches("/rooms/:room", "/rooms/100%25%zz"), params(&[("room", "100%%zz")]));
        assert_eq!(matches("/rooms/:room", "/rooms"), None);
        assert_eq!(matches("/rooms/:room", "/rooms/a/b"), None);
        assert_eq!(
            matches("/u/:user/rooms/:room", "/u/ann/rooms/7"),
            params(&[("user", "ann"), ("room", "7")])
        );
    }

    #[test]
    fn rest_captures_the_remainder() {
        assert_eq!(matches("/files/*path", "/files/a/b/c"), params(&[("path", "a/b/c")]));
        assert_eq!(matches("/files/*path", "/files"), params(&[("path", "")]));
    }

    #[tokio::test]
    async fn router_sets_params_on_the_request() {
        struct Echo;
        impl HttpComponent for Echo {
            async fn on_request(&self, request: &mut Request) -> Decision {
                let room = request.param("room").unwrap_or("?").to_owned();
                Decision::Reject(Rejection::new(418, room))
            }
        }
        let router = Router::new().route("/rooms/:room", Echo);
        let mut request =
            Request::from_head("GET /rooms/blue?x=1 HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        match router.on_request(&mut request).await {
            Decision::Reject(r) => assert_eq!((r.status(), r.message()), (418, "blue")),
            _ => panic!("routed"),
        }
        let mut other = Request::from_head("GET /nope HTTP/1.1\r\nHost: h\r\n\r\n").unwrap();
        assert!(
            matches!(router.on_request(&mut other).await, Decision::Pass(r) if r.status() == 404)
        );
    }
}
