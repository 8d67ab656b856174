//! The HTTP API's settings ([`ApiConfig`]) and the rules they must keep
//! ([`ConfigError`]).

use std::fmt;

/// How the server API is served over HTTP.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// The API keys accepted (`X-API-Key: KEY` or `Authorization: apikey
    /// KEY`). None: the API is off and its routes answer 404.
    pub keys: Vec<String>,
    /// The largest request body read; a larger one gets 413 (default
    /// 1 MiB).
    pub max_body_bytes: usize,
    /// Requests allowed per key (`None`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// The most commands one batch may hold; more get 413 (default 1000).
    pub max_batch_commands: usize,
    /// Where the methods are: `{path_prefix}/{method}` (default `/api`).
    pub path_prefix: String,
}

/// A token bucket per key: `burst` requests at once, refilled at
/// `per_second`; a batch takes one token per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Tokens added each second.
    pub per_second: u32,
    /// Tokens the bucket holds at most (and starts with).
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per_second: 1000, burst: 2000 }
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            max_body_bytes: 1024 * 1024,
            rate_limit: Some(RateLimit::default()),
            max_batch_commands: 1000,
            path_prefix: "/api".to_owned(),
        }
    }
}

impl ApiConfig {
    /// The defaults with `key` accepted.
    pub fn with_key(key: impl Into<String>) -> Self {
        Self { keys: vec![key.into()], ..Self::default() }
    }

    /// Whether the API is on (a key is configured).
    pub fn is_on(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Checks the rules below; [`ApiService::new`](crate::ApiService::new)
    /// refuses a config that breaks one.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.keys.iter().any(String::is_empty) {
            return Err(ConfigError::EmptyKey);
        }
        if self.max_body_bytes == 0 {
            return Err(ConfigError::ZeroBodyLimit);
        }
        if self.max_batch_commands == 0 {
            return Err(ConfigError::ZeroBatchLimit);
        }
        if let Some(rate) = self.rate_limit
            && (rate.per_second == 0 || rate.burst == 0)
        {
            return Err(ConfigError::ZeroRate);
        }
        let prefix = &self.path_prefix;
        if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains(['{', '}', '*']) {
            return Err(ConfigError::BadPathPrefix(prefix.clone()));
        }
        Ok(())
    }
}

impl fmt::Debug for ApiConfig {
    // The keys are secrets: their number is shown, never their text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiConfig")
            .field("keys", &format_args!("[{} hidden]", self.keys.len()))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("rate_limit", &self.rate_limit)
            .field("max_batch_commands", &self.max_batch_commands)
            .field("path_prefix", &self.path_prefix)
            .finish()
    }
}

/// The rule an [`ApiConfig`] breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// An empty key would let in any request that sends an empty one.
    EmptyKey,
    /// `max_body_bytes` is 0: no request could be read.
    ZeroBodyLimit,
    /// `max_batch_commands` is 0: no batch could run.
    ZeroBatchLimit,
    /// A rate limit of 0 per second or a burst of 0 refuses everything
    /// (leave `rate_limit` at `None` for no limit).
    ZeroRate,
    /// The path prefix must start with `/`, not end with one, and hold no
    /// route pattern characters (`{`, `}`, `*`).
    BadPathPrefix(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyKey => f.write_str("an API key is empty"),
            Self::ZeroBodyLimit => f.write_str("max_body_bytes is 0"),
            Self::ZeroBatchLimit => f.write_str("max_batch_commands is 0"),
            Self::ZeroRate => f.write_str("the rate limit's per_second or burst is 0"),
            Self::BadPathPrefix(prefix) => write!(
                f,
                "path prefix {prefix:?}: must start with '/', not end with one, and hold no '{{', '}}' or '*'"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_off_and_sound() {
        let config = ApiConfig::default();
        assert!(!config.is_on());
        assert_eq!(config.check(), Ok(()));
        assert!(ApiConfig::with_key("k").is_on());
    }

    #[test]
    fn each_rule_is_named() {
        let with = |f: fn(&mut ApiConfig)| {
            let mut config = ApiConfig::with_key("k");
            f(&mut config);
            config.check()
        };
        assert_eq!(with(|c| c.keys.push(String::new())), Err(ConfigError::EmptyKey));
        assert_eq!(with(|c| c.max_body_bytes = 0), Err(ConfigError::ZeroBodyLimit));
        assert_eq!(with(|c| c.max_batch_commands = 0), Err(ConfigError::ZeroBatchLimit));
        assert_eq!(
            with(|c| c.rate_limit = Some(RateLimit { per_second: 0, burst: 1 })),
            Err(ConfigError::ZeroRate)
        );
        assert!(matches!(
            with(|c| c.path_prefix = "/api/".into()),
            Err(ConfigError::BadPathPrefix(_))
        ));
        assert!(matches!(
            with(|c| c.path_prefix = "api".into()),
            Err(ConfigError::BadPathPrefix(_))
        ));
        assert_eq!(with(|c| c.rate_limit = None), Ok(()));
    }

    #[test]
    fn debug_hides_the_keys() {
        let shown = format!("{:?}", ApiConfig::with_key("secret-key"));
        assert!(!shown.contains("secret-key"), "{shown}");
        assert!(shown.contains("1 hidden"), "{shown}");
    }
}
