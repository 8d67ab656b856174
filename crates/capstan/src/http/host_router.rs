//! Components by Host (virtual hosts on one port): unknown hosts get 404.

use super::component::{Decision, DynHttpComponent, HttpComponent};
use crate::request::Rejection;
use crate::request::Request;

/// Dispatches each request by its Host header (case-insensitive; a port in
/// the pattern must match, a pattern without port matches any port;
/// `*.example.com` matches one or more labels in front of it).
#[derive(Default)]
pub struct HostRouter {
    hosts: Vec<(String, Box<dyn DynHttpComponent>)>,
}

impl HostRouter {
    /// No host yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `host` with `component`.
    pub fn host(mut self, host: &str, component: impl HttpComponent) -> Self {
        self.hosts.push((host.to_ascii_lowercase(), Box::new(component)));
        self
    }
}

/// Whether a Host header value matches a pattern.
fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = split_port(&host);
    let (pattern_name, pattern_port) = split_port(pattern);
    if pattern_port.is_some() && pattern_port != port {
        return false;
    }
    match pattern_name.strip_prefix("*.") {
        Some(suffix) => name.len() > suffix.len() + 1 && name.ends_with(&format!(".{suffix}")),
        None => name == pattern_name,
    }
}

fn split_port(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        // [v6]:port
        return match host.rsplit_once("]:") {
            Some((name, port)) => (&host[..name.len() + 1], Some(port)),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (host, None),
    }
}

impl HttpComponent for HostRouter {
    async fn on_request(&self, request: &mut Request) -> Decision {
        let host = request.header("host").unwrap_or("").to_owned();
        match self.hosts.iter().find(|(pattern, _)| host_matches(pattern, &host)) {
            Some((_, component)) => component.on_request_boxed(request).await,
            None => Decision::Pass(Rejection::new(404, "unknown host")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_matches;

    #[test]
    fn hosts_match_by_name_port_and_wildcard() {
        assert!(host_matches("chat.example.com", "Chat.Example.com:8080"));
        assert!(host_matches("chat.example.com:8080", "chat.example.com:8080"));
        assert!(!host_matches("chat.example.com:8080", "chat.example.com:9090"));
        assert!(!host_matches("chat.example.com:8080", "chat.example.com"));
        assert!(host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("chat.example.com", "evil.com"));
        assert!(host_matches("[::1]:8080", "[::1]:8080"));
        assert!(host_matches("[::1]", "[::1]:9"));
    }
}
