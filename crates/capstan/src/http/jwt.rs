//! JSON Web Tokens at the handshake: [`JwtAuth`] is an [`Authenticator`]
//! that finds a token in the upgrade request, checks its signature (HS256 or
//! RS256, one algorithm per verifier) and its times, and attaches the
//! verified claims ([`JwtClaims`]) to the connection.
//!
//! Browsers cannot set headers on a WebSocket, so besides
//! `Authorization: Bearer` the token may come in a cookie (sent by the
//! browser itself, for pages of the same site) or in a query parameter
//! (`wss://host/ws?token=...`; mind that URLs end up in access logs).
//!
//! ```
//! use capstan::http::{Authenticate, JwtAuth, JwtClaims};
//! use capstan::{Component, Conn, HttpServer, Message, WsServer};
//!
//! struct App;
//!
//! impl Component for App {
//!     async fn on_open(&self, conn: &Conn) {
//!         let claims = conn.identity::<JwtClaims>().expect("authenticated");
//!         println!("{:?} connected", claims.sub);
//!     }
//!
//!     async fn on_message(&self, conn: &Conn, message: Message) {
//!         let _ = conn.send(message);
//!     }
//! }
//!
//! let auth = JwtAuth::hs256(b"a long random secret").with_issuer("https://login.example");
//! let http = HttpServer::new(Authenticate::new(WsServer::new(App), auth));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::auth::Authenticator;
use crate::request::Rejection;
use crate::request::Request;

/// Where a token may be found in the upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSource {
    /// `Authorization: Bearer <token>` (the scheme is case-insensitive;
    /// other schemes are skipped).
    Bearer,
    /// The cookie with this name.
    Cookie(String),
    /// The query parameter with this name (percent-decoded).
    Query(String),
}

/// The claims of a verified token: the identity [`JwtAuth`] attaches, read
/// in callbacks with `conn.identity::<JwtClaims>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtClaims {
    /// `sub`, the subject, when it is a string.
    pub sub: Option<String>,
    /// `name`, a display name (OpenID Connect), when it is a string.
    pub name: Option<String>,
    /// `exp`, the expiry, in seconds since the Unix epoch.
    pub exp: u64,
    /// Every claim, as sent (a JSON object).
    pub claims: Value,
}

impl JwtClaims {
    /// One claim, by name.
    pub fn get(&self, claim: &str) -> Option<&Value> {
        self.claims.get(claim)
    }

    fn from_value(claims: Value) -> Self {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let exp = claims.get("exp").and_then(|exp| {
            exp.as_u64().or_else(|| exp.as_f64().filter(|e| *e >= 0.0).map(|e| e.round() as u64))
        });
        Self { sub: text("sub"), name: text("name"), exp: exp.unwrap_or(0), claims }
    }
}

/// A key that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidKey(String);

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid key: {}", self.0)
    }
}

impl std::error::Error for InvalidKey {}

/// Verifies JSON Web Tokens (RFC 7519) signed with one algorithm and one
/// key, taken from the request's `Authorization: Bearer` header, cookie
/// `token` or query parameter `token`, in that order (the first one present
/// is the one checked).
///
/// A token is accepted when its signature is valid for the configured
/// algorithm (never `none`, never another algorithm named in the token's
/// header), it has an `exp` that has not passed, its `nbf` (if any) has
/// come, and, when configured, its `iss` and `aud` match. A token with an
/// `aud` claim is refused unless an audience is configured (RFC 7519
/// §4.1.3). Times allow [`JwtAuth::DEFAULT_LEEWAY`] of clock skew.
///
/// Refusals are 401 with `WWW-Authenticate: Bearer` (RFC 6750): "missing
/// token", "token expired", "token not yet valid", or "invalid token" for
/// everything else (malformed, bad signature, wrong algorithm, issuer or
/// audience); the details are logged at debug level, not sent.
pub struct JwtAuth {
    key: DecodingKey,
    validation: Validation,
    sources: Vec<TokenSource>,
}

impl JwtAuth {
    /// The clock skew allowed on `exp` and `nbf` by default.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

    /// HS256 (HMAC-SHA256) with a shared secret. Use at least 32 random
    /// bytes: anyone who knows the secret can make tokens.
    pub fn hs256(secret: &[u8]) -> Self {
        Self::new(DecodingKey::from_secret(secret), Algorithm::HS256)
    }

    /// RS256 (RSA PKCS#1 v1.5 with SHA-256) with the issuer's public key,
    /// in PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`).
    pub fn rs256_pem(public_key_pem: &[u8]) -> Result<Self, InvalidKey> {
        let key =
            DecodingKey::from_rsa_pem(public_key_pem).map_err(|e| InvalidKey(e.to_string()))?;
        Ok(Self::new(key, Algorithm::RS256))
    }

    fn new(key: DecodingKey, algorithm: Algorithm) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = Self::DEFAULT_LEEWAY.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        let sources = vec![
            TokenSource::Bearer,
            TokenSource::Cookie("token".to_owned()),
            TokenSource::Query("token".to_owned()),
        ];
        Self { key, validation, sources }
    }

    /// Where to look for the token, in order (replaces the default:
    /// Bearer header, cookie `token`, query parameter `token`).
    pub fn with_sources(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.sources = sources.into_iter().collect();
        self
    }

    /// The clock skew allowed on `exp` and `nbf` (whole seconds).
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway.as_secs();
        self
    }

    /// Requires `iss` to be this issuer (call again to accept several).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.validation.iss.get_or_insert_with(Default::default).insert(issuer.into());
        self.validation.required_spec_claims.insert("iss".to_owned());
        self
    }

    /// Requires `aud` to name this audience (call again to accept several).
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.validation.aud.get_or_insert_with(Default::default).insert(audience.into());
        self.validation.required_spec_claims.insert("aud".to_owned());
        self
    }

    /// The token in `request`, from the first source that has one.
    pub fn find_token<'a>(&self, request: &'a Request) -> Option<Cow<'a, str>> {
        self.sources.iter().find_map(|source| {
            let token = match source {
                TokenSource::Bearer => request
                    .headers_named("authorization")
                    .filter_map(|value| std::str::from_utf8(value).ok())
                    .find_map(bearer_token)
                    .map(Cow::Borrowed),
                TokenSource::Cookie(name) => request.cookie(name).map(Cow::Borrowed),
                TokenSource::Query(name) => request.query_param(name),
            };
            token.filter(|t| !t.trim().is_empty())
        })
    }

    /// Verifies a token and returns its claims, or the 401 to answer.
    pub fn verify(&self, token: &str) -> Result<JwtClaims, Rejection> {
        match jsonwebtoken::decode::<Value>(token.trim(), &self.key, &self.validation) {
            Ok(data) if data.claims.is_object() => Ok(JwtClaims::from_value(data.claims)),
            Ok(_) => Err(refused("invalid token")),
            Err(error) => {
                tracing::debug!(%error, "JWT refused");
                Err(refused(match error.kind() {
                    ErrorKind::ExpiredSignature => "token expired",
                    ErrorKind::ImmatureSignature => "token not yet valid",
                    _ => "invalid token",
                }))
            }
        }
    }
}

impl JwtAuth {
    /// The claims of the request's token, verified; decided at once.
    pub fn check(&self, request: &Request) -> Result<JwtClaims, Rejection> {
        match self.find_token(request) {
            Some(token) => self.verify(&token),
            None => {
                Err(Rejection::new(401, "missing token").with_header("WWW-Authenticate", "Bearer"))
            }
        }
    }
}

impl Authenticator for JwtAuth {
    type Identity = JwtClaims;

    async fn authenticate(&self, request: &Request) -> Result<JwtClaims, Rejection> {
        self.check(request)
    }
}

impl fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key: an HS256 secret is a password.
        f.debug_struct("JwtAuth")
            .field("algorithm", &self.validation.algorithms)
            .field("leeway", &self.validation.leeway)
            .field("iss", &self.validation.iss)
            .field("aud", &self.validation.aud)
            .field("sources", &self.sources)
            .finish_non_exhaustive()
    }
}

/// The token of an `Authorization: Bearer <token>` value.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A 401 for a token that was sent but not accepted (RFC 6750 §3.1).
fn refused(message: &str) -> Rejection {
    Rejection::new(401, message).with_header(
        "WWW-Authenticate",
        format!("Bearer error=\"invalid_token\", error_description=\"{message}\""),
    )
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
    const RSA_PRIVATE: &[u8] = include_bytes!("../../tests/fixtures/jwt_rsa_private.pem");
    const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/fixtures/jwt_rsa_public.pem");
    const RSA_OTHER_PRIVATE: &[u8] =
        include_bytes!("../../tests/fixtures/jwt_rsa_other_private.pem");

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn hs256_token(secret: &[u8], claims: &Value) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn rs256_token(private_pem: &[u8], claims: &Value) -> String {
        let key = EncodingKey::from_rsa_pem(private_pem).unwrap();
        encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
    }

    fn alice() -> Value {
        json!({ "sub": "u-1", "name": "alice", "exp": now() + 600, "role": "admin" })
    }

    fn upgrade(target: &str, extra: &str) -> Request {
        Request::from_head(&format!(
            "GET {target} HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n"
        ))
        .unwrap()
    }

    fn with_bearer(token: &str) -> Request {
        upgrade("/ws", &format!("Authorization: Bearer {token}\r\n"))
    }

    #[track_caller]
    fn assert_refused(result: Result<JwtClaims, Rejection>, message: &str) {
        let rejection = result.expect_err("refused");
        assert_eq!((rejection.status(), rejection.message()), (401, message));
        let challenge = rejection.header("www-authenticate").expect("WWW-Authenticate");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }

    #[test]
    fn hs256_good_token_gives_its_claims() {
        let auth = JwtAuth::hs256(SECRET);
        let claims = alice();
        let verified = auth.check(&with_bearer(&hs256_token(SECRET, &claims))).unwrap();
        assert_eq!(verified.sub.as_deref(), Some("u-1"));
        assert_eq!(verified.name.as_deref(), Some("alice"));
        assert_eq!(verified.exp, claims["exp"].as_u64().unwrap());
        assert_eq!(verified.get("role"), Some(&json!("admin")));
        assert_eq!(verified.claims, claims);
    }

    #[test]
    fn hs256_wrong_secret_is_an_invalid_token() {
        let auth = JwtAuth::hs256(SECRET);
        let token = hs256_token(b"another secret, just as long....", &alice());
        assert_refused(auth.check(&with_bearer(&token)), "invalid token");
    }

    #[test]
    fn tampered_claims_are_an_invalid_token() {
        let auth = JwtAuth::hs256(SECRET);
        let token = hs256_token(SECRET, &alice());
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({ "sub": "root", "exp": now() + 600 }).to_string(),
        );
        parts[1] = &forged;
        assert_refused(auth.verify(&parts.join(".")), "invalid token");
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        let auth = JwtAuth::hs256(SECRET);
        for token in ["garbage", "a.b", "a.b.c", "...", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
            assert_refused(auth.verify(token), "invalid token");
        }
    }

    #[test]
    fn expired_tokens_are_refused_beyond_the_leeway() {
        let auth = JwtAuth::hs256(SECRET);
        let expired = json!({ "sub": "u-1", "exp": now() - 120 });
        assert_refused(auth.verify(&hs256_token(SECRET, &expired)), "token expired");
        // Within the leeway: accepted.
        let just = json!({ "sub": "u-1", "exp": now() - 5 });
        assert!(auth.verify(&hs256_token(SECRET, &just)).is_ok());
        // With no leeway, the same token is expired.
        let strict = JwtAuth::hs256(SECRET).with_leeway(Duration::ZERO);
        assert_refused(strict.verify(&hs256_token(SECRET, &just)), "token expired");
    }

    #[test]
    fn exp_is_required() {
        let auth = JwtAuth::hs256(SECRET);
        let forever = json!({ "sub": "u-1" });
        assert_refused(auth.verify(&hs256_token(SECRET, &forever)), "invalid token");
        let text = json!({ "sub": "u-1", "exp": "tomorrow" });
        assert_refused(auth.verify(&hs256_token(SECRET, &text)), "invalid token");
    }

    #[test]
    fn nbf_is_honoured() {
        let auth = JwtAuth::hs256(SECRET);
        let later = json!({ "sub": "u-1", "exp": now() + 600, "nbf": now() + 300 });
        assert_refused(auth.verify(&hs256_token(SECRET, &later)), "token not yet valid");
        let now_valid = json!({ "sub": "u-1", "exp": now() + 600, "nbf": now() - 1 });
        assert!(auth.verify(&hs256_token(SECRET, &now_valid)).is_ok());
    }

    #[test]
    fn each_source_is_read() {
        let auth = JwtAuth::hs256(SECRET);
        let token = hs256_token(SECRET, &alice());
        let requests = [
            with_bearer(&token),
            upgrade("/ws", &format!("Authorization: bearer   {token} \r\n")),
            upgrade("/ws", &format!("Cookie: theme=dark; token={token}\r\n")),
            upgrade(&format!("/ws?room=a&token={token}"), ""),
        ];
        for request in &requests {
            let claims = auth.check(request).unwrap_or_else(|r| panic!("{r:?}"));
            assert_eq!(claims.sub.as_deref(), Some("u-1"), "{request:?}");
        }
    }

    #[test]
    fn sources_are_checked_in_order_and_the_first_found_decides() {
        let auth = JwtAuth::hs256(SECRET);
        let good = hs256_token(SECRET, &alice());
        // A bad bearer token is not rescued by a good cookie.
        let request =
            upgrade("/ws", &format!("Authorization: Bearer nope\r\nCookie: token={good}\r\n"));
        assert_refused(auth.check(&request), "invalid token");
        // Another scheme is not a token: the cookie is used.
        let request =
            upgrade("/ws", &format!("Authorization: Basic YTpi\r\nCookie: token={good}\r\n"));
        assert!(auth.check(&request).is_ok());
    }

    #[test]
    fn sources_and_names_are_configurable() {
        let token = hs256_token(SECRET, &alice());
        let auth = JwtAuth::hs256(SECRET).with_sources([
            TokenSource::Query("access_token".into()),
            TokenSource::Cookie("jwt".into()),
        ]);
        assert!(auth.check(&upgrade(&format!("/?access_token={token}"), "")).is_ok());
        assert!(auth.check(&upgrade("/", &format!("Cookie: jwt={token}\r\n"))).is_ok());
        // The default places are no longer read.
        assert_refused(auth.check(&with_bearer(&token)), "missing token");
        assert_refused(auth.check(&upgrade(&format!("/?token={token}"), "")), "missing token");
    }

    #[test]
    fn missing_token_is_a_bare_bearer_challenge() {
        let auth = JwtAuth::hs256(SECRET);
        for request in [
            upgrade("/ws", ""),
            upgrade("/ws?token=", "Cookie: token=\r\n"),
            upgrade("/ws", "Authorization: Bearer \r\n"),
        ] {
            let rejection = auth.check(&request).expect_err("refused");
            assert_eq!((rejection.status(), rejection.message()), (401, "missing token"));
            assert_eq!(rejection.header("WWW-Authenticate"), Some("Bearer"));
        }
    }

    #[test]
    fn alg_none_is_never_accepted() {
        let auth = JwtAuth::hs256(SECRET);
        let b64 = |v: Value| {
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, v.to_string())
        };
        let header = b64(json!({ "alg": "none", "typ": "JWT" }));
        let payload = b64(alice());
        for token in [format!("{header}.{payload}."), format!("{header}.{payload}.c2ln")] {
            assert_refused(auth.verify(&token), "invalid token");
        }
    }

    #[test]
    fn issuer_and_audience_when_configured() {
        let auth =
            JwtAuth::hs256(SECRET).with_issuer("https://login.example").with_audience("chat");
        let mut claims = alice();
        claims["iss"] = json!("https://login.example");
        claims["aud"] = json!(["chat", "other"]);
        assert!(auth.verify(&hs256_token(SECRET, &claims)).is_ok());

        let mut wrong_iss = claims.clone();
        wrong_iss["iss"] = json!("https://evil.example");
        assert_refused(auth.verify(&hs256_token(SECRET, &wrong_iss)), "invalid token");
        let mut wrong_aud = claims.clone();
        wrong_aud["aud"] = json!("other");
        assert_refused(auth.verify(&hs256_token(SECRET, &wrong_aud)), "invalid token");
        // Configured means required.
        let mut no_iss = claims.clone();
        no_iss.as_object_mut().unwrap().remove("iss");
        assert_refused(auth.verify(&hs256_token(SECRET, &no_iss)), "invalid token");
        let mut no_aud = claims;
        no_aud.as_object_mut().unwrap().remove("aud");
        assert_refused(auth.verify(&hs256_token(SECRET, &no_aud)), "invalid token");
    }

    #[test]
    fn a_token_for_some_audience_needs_an_audience_configured() {
        let auth = JwtAuth::hs256(SECRET);
        let mut claims = alice();
        claims["aud"] = json!("some-other-service");
        assert_refused(auth.verify(&hs256_token(SECRET, &claims)), "invalid token");
    }

    #[test]
    fn rs256_good_token_and_wrong_key() {
        let auth = JwtAuth::rs256_pem(RSA_PUBLIC).unwrap();
        let claims = auth.check(&with_bearer(&rs256_token(RSA_PRIVATE, &alice()))).unwrap();
        assert_eq!(claims.name.as_deref(), Some("alice"));
        let forged = rs256_token(RSA_OTHER_PRIVATE, &alice());
        assert_refused(auth.verify(&forged), "invalid token");
        let expired = json!({ "sub": "u-1", "exp": now() - 120 });
        assert_refused(auth.verify(&rs256_token(RSA_PRIVATE, &expired)), "token expired");
    }

    #[test]
    fn rs256_refuses_an_hs256_token_keyed_with_the_public_key() {
        // The classic algorithm confusion: HMAC keyed with the (public) RSA
        // key, hoping the verifier takes the header's word for the algorithm.
        let auth = JwtAuth::rs256_pem(RSA_PUBLIC).unwrap();
        let confused = hs256_token(RSA_PUBLIC, &alice());
        assert_refused(auth.verify(&confused), "invalid token");
        // And the other way round: an HS256 verifier refuses RS256 tokens.
        let hs = JwtAuth::hs256(RSA_PUBLIC);
        assert_refused(hs.verify(&rs256_token(RSA_PRIVATE, &alice())), "invalid token");
    }

    #[test]
    fn rs256_needs_a_public_key() {
        assert!(JwtAuth::rs256_pem(b"not a key").is_err());
        let error =
            JwtAuth::rs256_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .unwrap_err();
        assert!(error.to_string().starts_with("invalid key"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", JwtAuth::hs256(b"hunter2-hunter2-hunter2"));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("HS256"), "{text}");
    }
}
