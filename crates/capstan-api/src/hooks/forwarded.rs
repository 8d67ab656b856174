//! Which of the upgrade request's headers a hook passes on to the
//! backend, so that the backend's own session handling (a PHP session
//! cookie, a bearer token) reads them as if the browser had called it.

use capstan::Request;
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue};

use super::config::HookConfigError;

/// The allow-list of request headers forwarded to the backend, as HTTP
/// headers of each hook's request. Taken at connect time and kept in the
/// [`HookIdentity`](super::HookIdentity), so that subscribe and publish
/// hooks send the same ones after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedHeaders {
    names: Vec<HeaderName>,
}

/// The names forwarded unless told otherwise.
pub const DEFAULT_FORWARDED: [&str; 7] = [
    "Cookie",
    "Authorization",
    "User-Agent",
    "Origin",
    "X-Forwarded-For",
    "X-Real-IP",
    "Accept-Language",
];

/// The headers that frame the hook's own request, never forwarded.
const FRAMING: [HeaderName; 10] = [
    header::HOST,
    header::CONTENT_LENGTH,
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::TRANSFER_ENCODING,
    header::CONNECTION,
    header::UPGRADE,
    header::TE,
    header::TRAILER,
    header::EXPECT,
];

/// The headers whose values are never printed.
const CREDENTIALS: [HeaderName; 3] =
    [header::COOKIE, header::AUTHORIZATION, header::PROXY_AUTHORIZATION];

impl ForwardedHeaders {
    /// Forwards exactly the headers called `names` (case-insensitive).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, HookConfigError> {
        let mut list = Vec::new();
        for name in names {
            let parsed = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HookConfigError::InvalidHeaderName(name.to_owned()))?;
            if FRAMING.contains(&parsed) || parsed.as_str() == "keep-alive" {
                return Err(HookConfigError::HeaderNotForwardable(name.to_owned()));
            }
            if !list.contains(&parsed) {
                list.push(parsed);
            }
        }
        Ok(Self { names: list })
    }

    /// The names on the list, lower-case.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(HeaderName::as_str)
    }

    /// The listed headers of `request`, every value of each (values that
    /// are not valid header values are left out). Credentials (Cookie,
    /// Authorization, Proxy-Authorization) are marked sensitive: an
    /// identity printed with `{:?}` does not show them.
    pub fn pick(&self, request: &Request) -> HeaderMap {
        let mut picked = HeaderMap::new();
        for name in &self.names {
            let secret = CREDENTIALS.contains(name);
            for value in request.headers_named(name.as_str()) {
                if let Ok(mut value) = HeaderValue::from_bytes(value) {
                    value.set_sensitive(secret);
                    picked.append(name.clone(), value);
                }
            }
        }
        picked
    }
}

impl Default for ForwardedHeaders {
    /// Cookie, Authorization, User-Agent, Origin, X-Forwarded-For,
    /// X-Real-IP and Accept-Language.
    fn default() -> Self {
        Self::new(DEFAULT_FORWARDED).expect("the default names are forwardable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request::from_head(
            "GET /ws HTTP/1.1\r\nHost: h\r\nCookie: PHPSESSID=abc\r\nX-Secret: s\r\n\
             User-Agent: t\r\nAccept-Language: fr\r\nAccept-Language: en\r\n\r\n",
        )
        .unwrap()
    }

    #[test]
    fn only_listed_headers_are_picked_every_value_of_each() {
        let picked = ForwardedHeaders::default().pick(&request());
        assert_eq!(picked.get("cookie").unwrap(), "PHPSESSID=abc");
        assert_eq!(picked.get("user-agent").unwrap(), "t");
        assert_eq!(picked.get_all("accept-language").iter().count(), 2);
        assert!(picked.get("x-secret").is_none());
        assert!(picked.get("host").is_none());
    }

    #[test]
    fn credentials_are_not_printed() {
        let picked = ForwardedHeaders::default().pick(&request());
        let printed = format!("{picked:?}");
        assert!(!printed.contains("PHPSESSID"), "{printed}");
        assert!(printed.contains("Sensitive") && printed.contains("fr"), "{printed}");
    }

    #[test]
    fn a_list_of_ones_own_replaces_the_default() {
        let list = ForwardedHeaders::new(["X-Secret"]).unwrap();
        let picked = list.pick(&request());
        assert_eq!(picked.len(), 1);
        assert_eq!(picked.get("x-secret").unwrap(), "s");
    }

    #[test]
    fn headers_that_frame_the_hooks_request_are_refused() {
        for name in ["Host", "content-length", "Connection", "Keep-Alive"] {
            assert_eq!(
                ForwardedHeaders::new([name]),
                Err(HookConfigError::HeaderNotForwardable(name.to_owned()))
            );
        }
        assert_eq!(
            ForwardedHeaders::new(["bad name"]),
            Err(HookConfigError::InvalidHeaderName("bad name".to_owned()))
        );
    }
}
