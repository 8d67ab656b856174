//! One hook's settings: where the backend is, how long to wait for it,
//! how large an answer may be, and what to do when it fails.

use std::fmt;
use std::time::Duration;

use http::Uri;

use super::policy::FailurePolicy;

/// Where one hook calls the backend, and how.
#[derive(Debug, Clone)]
pub struct HookConfig {
    url: Uri,
    timeout: Duration,
    policy: FailurePolicy,
    max_answer_bytes: usize,
}

impl HookConfig {
    /// How long a hook waits for the whole answer unless told otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// The largest answer read unless told otherwise (64 KiB).
    pub const DEFAULT_MAX_ANSWER_BYTES: usize = 64 * 1024;

    /// A hook that POSTs to `url` (`http://host:port/path`), with the
    /// default timeout and the [`FailurePolicy::Deny`] policy.
    pub fn new(url: &str) -> Result<Self, HookConfigError> {
        let bad = || HookConfigError::UrlNotHttp(url.to_owned());
        let parsed: Uri = url.parse().map_err(|_| bad())?;
        if parsed.scheme_str() != Some("http") || parsed.authority().is_none() {
            return Err(bad());
        }
        Ok(Self {
            url: parsed,
            timeout: Self::DEFAULT_TIMEOUT,
            policy: FailurePolicy::default(),
            max_answer_bytes: Self::DEFAULT_MAX_ANSWER_BYTES,
        })
    }

    /// Waits at most `timeout` for the whole answer (connecting included).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What to do when the backend fails.
    pub fn with_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reads answers of at most `bytes`; a longer one is a failure.
    pub fn with_max_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_answer_bytes = bytes;
        self
    }

    /// The backend's URL.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// The bound on one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The failure policy.
    pub fn policy(&self) -> FailurePolicy {
        self.policy
    }

    /// The largest answer read.
    pub fn max_answer_bytes(&self) -> usize {
        self.max_answer_bytes
    }
}

/// A hook setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HookConfigError {
    /// A hook's URL must be an absolute `http://` URL (the hook client
    /// speaks plain HTTP/1.1: backends sit beside the server).
    UrlNotHttp(String),
    /// A forwarded header's name must be a valid header name.
    InvalidHeaderName(String),
    /// Only end-to-end headers may be forwarded: those that frame the
    /// hook's own request (Host, Content-Length, Content-Type,
    /// Transfer-Encoding, Connection, …) are the hook's.
    HeaderNotForwardable(String),
}

impl fmt::Display for HookConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UrlNotHttp(url) => write!(f, "hook URL {url:?}: an http:// URL is needed"),
            Self::InvalidHeaderName(name) => write!(f, "{name:?} is not a header name"),
            Self::HeaderNotForwardable(name) => {
                write!(f, "{name} frames the hook's own request and cannot be forwarded")
            }
        }
    }
}

impl std::error::Error for HookConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_hooks() {
        assert!(HookConfig::new("http://127.0.0.1:8000/centrifugo/connect").is_ok());
        for url in ["https://backend/connect", "/connect", "backend:80/connect", "http://"] {
            assert_eq!(
                HookConfig::new(url).unwrap_err(),
                HookConfigError::UrlNotHttp(url.to_owned()),
                "{url}"
            );
        }
    }

    #[test]
    fn defaults_deny_within_a_second() {
        let config = HookConfig::new("http://b/").unwrap();
        assert_eq!(config.policy(), FailurePolicy::Deny);
        assert_eq!(config.timeout(), Duration::from_secs(1));
    }
}
