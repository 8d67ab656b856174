//! Origin policy (Ratchet's `OriginCheck`): browsers say which page opened a
//! socket; only allowed pages get through, others get 403.

use super::component::{Decision, HttpComponent};
use crate::request::Rejection;
use crate::request::Request;

/// Which `Origin` values are accepted.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    allowed: Vec<String>,
    same_host: bool,
    allow_missing: bool,
}

impl OriginPolicy {
    /// Accepts pages served by this same host (Origin's host equals the
    /// request's Host), and clients that send no Origin (non-browsers).
    pub fn same_host() -> Self {
        Self { allowed: Vec::new(), same_host: true, allow_missing: true }
    }

    /// Accepts only the origins listed (`https://example.com`, with port
    /// when not the default), and clients that send no Origin.
    pub fn only(origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self::default().allowing_missing(true).or_origins(origins)
    }

    /// Also accepts these origins.
    pub fn or_origins(mut self, origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed.extend(
            origins.into_iter().map(|o| o.into().trim_end_matches('/').to_ascii_lowercase()),
        );
        self
    }

    /// Whether a request without Origin passes (default: yes; browsers
    /// always send one).
    pub fn allowing_missing(mut self, allow: bool) -> Self {
        self.allow_missing = allow;
        self
    }

    /// Whether `request` passes.
    pub fn allows(&self, request: &Request) -> bool {
        let Some(origin) = request.header("origin") else {
            return self.allow_missing;
        };
        let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
        if self.allowed.iter().any(|allowed| *allowed == origin || allowed == "*") {
            return true;
        }
        if !self.same_host {
            return false;
        }
        let host = request.header("host").map(|h| h.trim().to_ascii_lowercase());
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        matches!((host, origin_host), (Some(host), Some(o)) if host == o)
    }
}

/// Wraps a layer and refuses, with 403, requests whose Origin the policy
/// does not allow.
pub struct OriginCheck<C> {
    inner: C,
    policy: OriginPolicy,
}

impl<C: HttpComponent> OriginCheck<C> {
    /// Checks origins before handing requests to `inner`.
    pub fn new(inner: C, policy: OriginPolicy) -> Self {
        Self { inner, policy }
    }
}

impl<C: HttpComponent> HttpComponent for OriginCheck<C> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        if self.policy.allows(request) {
            self.inner.on_request(request).await
        } else {
            Decision::Reject(Rejection::new(403, "origin not allowed"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(origin: Option<&str>) -> Request {
        let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
        Request::from_head(&format!("GET / HTTP/1.1\r\nHost: chat.example:8080\r\n{origin}\r\n"))
            .unwrap()
    }

    #[test]
    fn same_host_accepts_its_own_pages_only() {
        let policy = OriginPolicy::same_host();
        assert!(policy.allows(&request(Some("http://chat.example:8080"))));
        assert!(policy.allows(&request(Some("HTTPS://Chat.Example:8080/"))));
        assert!(!policy.allows(&request(Some("http://evil.example"))));
        assert!(!policy.allows(&request(Some("http://chat.example"))));
        assert!(!policy.allows(&request(Some("null"))));
        assert!(policy.allows(&request(None)));
    }

    #[test]
    fn list_accepts_listed_origins() {
        let policy = OriginPolicy::only(["https://app.example/"]);
        assert!(policy.allows(&request(Some("https://app.example"))));
        assert!(!policy.allows(&request(Some("http://chat.example:8080"))));
        assert!(!policy.allowing_missing(false).allows(&request(None)));
    }

    #[test]
    fn same_host_plus_list() {
        let policy = OriginPolicy::same_host().or_origins(["http://localhost:3000"]);
        assert!(policy.allows(&request(Some("http://localhost:3000"))));
        assert!(policy.allows(&request(Some("http://chat.example:8080"))));
    }

    #[tokio::test]
    async fn rejected_origin_is_403() {
        struct Never;
        impl HttpComponent for Never {
            async fn on_request(&self, _: &mut Request) -> Decision {
                Decision::Reject(Rejection::new(500, "should not be reached"))
            }
        }
        let check = OriginCheck::new(Never, OriginPolicy::same_host());
        match check.on_request(&mut request(Some("http://evil.example"))).await {
            Decision::Reject(r) => assert_eq!(r.status(), 403),
            _ => panic!("expected a 403"),
        }
    }
}
