//! A login: `POST /admin/login` with `{"token": "…"}` as JSON. The checks,
//! in order, each refusal a [`LoginRefused`] naming the rule: the body is
//! JSON (415), within its size (413), well formed (400); a wrong token
//! has not been tried too often (429); the token is right (401). Then a
//! session starts.

use std::fmt;
use std::time::{Duration, Instant};

use http::StatusCode;
use serde::Deserialize;

use super::login_limit::LoginLimit;
use super::sessions::Sessions;
use super::token::AdminToken;

/// The largest login body read, in bytes.
pub(crate) const MAX_BODY: usize = 1024;

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoginRefused {
    /// The body is not declared JSON (`Content-Type: application/json`),
    /// which also keeps other sites' plain forms out.
    NotJson,
    /// The body is over [`MAX_BODY`].
    TooLarge,
    /// The body is not `{"token": "…"}`.
    Malformed,
    /// Too many wrong tokens lately: retry after this long.
    TooManyFailures(Duration),
    /// The token is wrong.
    WrongToken,
    /// The OS gave no randomness for the session id.
    NoRandomness,
}

impl LoginRefused {
    /// The HTTP status that says so.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Self::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Malformed => StatusCode::BAD_REQUEST,
            Self::TooManyFailures(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::WrongToken => StatusCode::UNAUTHORIZED,
            Self::NoRandomness => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl fmt::Display for LoginRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson => f.write_str("send the token as JSON (Content-Type: application/json)"),
            Self::TooLarge => write!(f, "the body is over {MAX_BODY} bytes"),
            Self::Malformed => f.write_str("the body must be {\"token\": \"...\"}"),
            Self::TooManyFailures(wait) => {
                write!(f, "too many wrong tokens; retry in {} s", wait.as_secs().max(1))
            }
            Self::WrongToken => f.write_str("wrong token"),
            Self::NoRandomness => f.write_str("no session could be made; retry"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body<'a> {
    #[serde(borrow)]
    token: std::borrow::Cow<'a, str>,
}

/// What a login needs: the token, the failure bound, the sessions.
pub(crate) struct Login {
    pub(crate) token: AdminToken,
    pub(crate) limit: LoginLimit,
    pub(crate) sessions: std::sync::Arc<Sessions>,
}

impl Login {
    /// Judges a login whose body is `body` (read up to one byte past
    /// [`MAX_BODY`]), at `now`: the new session's id, or the refusal.
    pub(crate) fn attempt(
        &self,
        content_type: Option<&str>,
        body: &[u8],
        now: Instant,
    ) -> Result<String, LoginRefused> {
        let json = content_type
            .and_then(|t| t.split(';').next())
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(LoginRefused::NotJson);
        }
        if body.len() > MAX_BODY {
            return Err(LoginRefused::TooLarge);
        }
        let body: Body<'_> = serde_json::from_slice(body).map_err(|_| LoginRefused::Malformed)?;
        self.limit.admit(now).map_err(LoginRefused::TooManyFailures)?;
        if !self.token.matches(body.token.as_bytes()) {
            self.limit.failed(now);
            return Err(LoginRefused::WrongToken);
        }
        self.sessions.start(now).map_err(|error| {
            tracing::error!(%error, "admin login: no randomness for a session id");
            LoginRefused::NoRandomness
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const TOKEN: &str = "0123456789abcdef";

    fn login(now: Instant) -> Login {
        Login {
            token: AdminToken::new(TOKEN),
            limit: LoginLimit::new(now),
            sessions: Arc::new(Sessions::new(Duration::from_secs(60), 4)),
        }
    }

    const JSON: Option<&str> = Some("application/json; charset=utf-8");

    #[test]
    fn the_right_token_starts_a_session() {
        let now = Instant::now();
        let login = login(now);
        let id = login.attempt(JSON, br#"{"token":"0123456789abcdef"}"#, now).unwrap();
        assert!(login.sessions.is_valid(&id, now));
    }

    #[test]
    fn each_rule_has_its_refusal() {
        let now = Instant::now();
        let login = login(now);
        let right = format!(r#"{{"token":"{TOKEN}"}}"#);
        let attempt = |ct, body: &[u8]| login.attempt(ct, body, now).unwrap_err();
        assert_eq!(attempt(Some("text/plain"), right.as_bytes()), LoginRefused::NotJson);
        assert_eq!(attempt(None, right.as_bytes()), LoginRefused::NotJson);
        assert_eq!(attempt(JSON, &[b' '; MAX_BODY + 1]), LoginRefused::TooLarge);
        assert_eq!(attempt(JSON, b"{\"tok\":1}"), LoginRefused::Malformed);
        assert_eq!(attempt(JSON, b"{\"token\":\"nope\"}"), LoginRefused::WrongToken);
        assert_eq!(LoginRefused::WrongToken.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn wrong_tokens_are_bounded_then_even_the_right_one_waits() {
        let now = Instant::now();
        let login = login(now);
        for _ in 0..5 {
            let refused = login.attempt(JSON, br#"{"token":"guess-guess-guess"}"#, now);
            assert_eq!(refused, Err(LoginRefused::WrongToken));
        }
        let right = format!(r#"{{"token":"{TOKEN}"}}"#);
        let refused = login.attempt(JSON, right.as_bytes(), now).unwrap_err();
        assert!(matches!(refused, LoginRefused::TooManyFailures(_)), "{refused:?}");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
