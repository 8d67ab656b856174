//! WAMP-CRA, challenge-response with a shared secret that never travels.
//!
//! The router's CHALLENGE carries `extra.challenge`: a JSON object, as a
//! string, naming the principal (`authid`, `authrole`, `authmethod`,
//! `authprovider`), the `session` ID to be, a random `nonce` and the
//! `timestamp` (ISO 8601, UTC). The client answers with
//! `base64(HMAC-SHA256(key, challenge))`, where the key is the secret
//! itself or, for a salted secret, `base64(PBKDF2-HMAC-SHA256(secret,
//! salt, iterations, keylen))` as text (the base64 characters are the key
//! bytes, as autobahn's `derive_key` returns them); `extra` then also
//! carries `salt`, `iterations` and `keylen` so the client can derive it.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::entropy::Entropy;
use super::error::AuthError;
use super::identity::STATIC_PROVIDER;
use super::method::AuthMethod;
use crate::id::Id;
use crate::value::{Dict, Value};

/// The PBKDF2 parameters of a salted WAMP-CRA secret (sent to the client in
/// CHALLENGE.extra).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Salt {
    /// The salt (its UTF-8 bytes go into PBKDF2).
    pub salt: String,
    /// PBKDF2 iterations (at least 1).
    pub iterations: u32,
    /// Length of the derived key in bytes (at least 1).
    pub keylen: u32,
}

/// The WAMP-CRA key of a salted secret: base64 of
/// PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen) (what autobahn's
/// `auth.derive_key` returns). Its text is the HMAC key. Iterations or
/// keylen of 0 count as 1.
pub fn derive_wampcra_key(secret: &str, salt: &Salt) -> String {
    let mut key = vec![0u8; salt.keylen.max(1) as usize];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        secret.as_bytes(),
        salt.salt.as_bytes(),
        salt.iterations.max(1),
        &mut key,
    );
    STANDARD.encode(key)
}

/// A WAMP-CRA signature: base64 of HMAC-SHA256(key, challenge) (what
/// autobahn's `auth.compute_wcs` returns).
pub fn wampcra_signature(key: &[u8], challenge: &str) -> String {
    STANDARD.encode(hmac(key, challenge))
}

fn hmac(key: &[u8], challenge: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(challenge.as_bytes());
    mac.finalize().into_bytes().into()
}

/// A principal known by a WAMP-CRA secret.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CraPrincipal {
    /// Its role.
    pub role: String,
    /// The HMAC key: the secret, or the key derived from it (derived once,
    /// here, not per HELLO: PBKDF2 is slow on purpose).
    key: Vec<u8>,
    /// The salt, if the secret is salted.
    salt: Option<Salt>,
}

impl std::fmt::Debug for CraPrincipal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CraPrincipal")
            .field("role", &self.role)
            .field("salt", &self.salt)
            .finish_non_exhaustive()
    }
}

/// What a WAMP-CRA CHALLENGE asks for: the HMAC of the challenge sent.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct CraExpected([u8; 32]);

impl std::fmt::Debug for CraExpected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CraExpected(..)")
    }
}

/// The JSON object of `extra.challenge`.
#[derive(Serialize)]
struct ChallengeObject<'a> {
    authid: &'a str,
    authrole: &'a str,
    authmethod: &'static str,
    authprovider: &'static str,
    nonce: String,
    timestamp: String,
    session: u64,
}

impl CraPrincipal {
    /// A principal with this secret (salted with `salt`, if given) and role.
    pub fn new(secret: &str, role: String, salt: Option<Salt>) -> Self {
        let key = match &salt {
            Some(salt) => derive_wampcra_key(secret, salt).into_bytes(),
            None => secret.as_bytes().to_vec(),
        };
        Self { role, key, salt }
    }

    /// CHALLENGE.extra for `authid` joining as `session`, and the signature
    /// AUTHENTICATE must bring.
    pub fn challenge(
        &self,
        authid: &str,
        session: Id,
        entropy: &mut dyn Entropy,
    ) -> Result<(Dict, CraExpected), AuthError> {
        let mut nonce = [0u8; 24];
        entropy.fill(&mut nonce)?;
        let object = ChallengeObject {
            authid,
            authrole: &self.role,
            authmethod: AuthMethod::WampCra.as_str(),
            authprovider: STATIC_PROVIDER,
            nonce: URL_SAFE_NO_PAD.encode(nonce),
            timestamp: timestamp(entropy.now()),
            session: session.get(),
        };
        let challenge = serde_json::to_string(&object).expect("strings and a number serialize");
        let expected = CraExpected(hmac(&self.key, &challenge));
        let mut extra = Dict::from([("challenge".to_owned(), Value::from(challenge))]);
        if let Some(salt) = &self.salt {
            extra.insert("salt".to_owned(), Value::from(salt.salt.as_str()));
            extra.insert("iterations".to_owned(), Value::from(u64::from(salt.iterations)));
            extra.insert("keylen".to_owned(), Value::from(u64::from(salt.keylen)));
        }
        Ok((extra, expected))
    }
}

/// Checks AUTHENTICATE's Signature (base64 of the HMAC) in constant time.
pub(crate) fn verify(
    expected: &CraExpected,
    signature: &str,
    authid: &str,
) -> Result<(), AuthError> {
    let malformed =
        |reason: String| AuthError::MalformedSignature { method: AuthMethod::WampCra, reason };
    let given = STANDARD.decode(signature).map_err(|e| malformed(format!("not base64: {e}")))?;
    if given.len() != 32 {
        return Err(malformed(format!("{} bytes, not the 32 of HMAC-SHA256", given.len())));
    }
    if bool::from(given.ct_eq(&expected.0)) {
        Ok(())
    } else {
        Err(AuthError::WrongSignature { method: AuthMethod::WampCra, authid: authid.to_owned() })
    }
}

/// `t` in ISO 8601, UTC, to the millisecond: `2014-06-22T16:36:25.448Z`.
fn timestamp(t: SystemTime) -> String {
    let t = OffsetDateTime::from(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::auth::entropy::FixedEntropy;

    /// The spec's example challenge (WAMP "Challenge Response
    /// Authentication"), as one line.
    const SPEC_CHALLENGE: &str = r#"{"authid": "peter", "authrole": "user", "authmethod": "wampcra", "authprovider": "userdb", "nonce": "LHRTC9zeOIrt_9U3", "timestamp": "2014-06-22T16:36:25.448Z", "session": 3251278072152162}"#;

    // Expected values below come from autobahn-python 26.11.1:
    //   autobahn.wamp.auth.derive_key(secret, salt, iterations, keylen)
    //   autobahn.wamp.auth.compute_wcs(key, SPEC_CHALLENGE)

    #[test]
    fn derived_keys_are_autobahns() {
        // derive_key("carol-secret", "salt123", 1000, 32)
        let carol = Salt { salt: "salt123".into(), iterations: 1000, keylen: 32 };
        assert_eq!(
            derive_wampcra_key("carol-secret", &carol),
            "bfFDmzkZgyFGqQvDV4fMkrqb0aD7CccUQXVwxiNW5d0="
        );
        // derive_key("password", "salt", 1, 20) (also RFC 7914's
        // PBKDF2-HMAC-SHA256 vector, cut to 20 bytes)
        let short = Salt { salt: "salt".into(), iterations: 1, keylen: 20 };
        assert_eq!(derive_wampcra_key("password", &short), "Eg+2z/z4syxD5yJSVsT4N6hlSMk=");
    }

    #[test]
    fn signatures_are_autobahns() {
        // compute_wcs("bob-secret", SPEC_CHALLENGE)
        assert_eq!(
            wampcra_signature(b"bob-secret", SPEC_CHALLENGE),
            "YfOwQc/5rA3zCgz+6vw5Lqz8+L5jPLI2gs1OewqCbRU="
        );
        // compute_wcs(derive_key("carol-secret", "salt123", 1000, 32), SPEC_CHALLENGE)
        assert_eq!(
            wampcra_signature(b"bfFDmzkZgyFGqQvDV4fMkrqb0aD7CccUQXVwxiNW5d0=", SPEC_CHALLENGE),
            "HeXqFEvGrtbeOEnYxiFFdG/euM+KJcCAcdTcPEE4aok="
        );
    }

    fn entropy() -> FixedEntropy {
        let now = UNIX_EPOCH + Duration::from_millis(1_403_454_985_448);
        FixedEntropy { bytes: vec![7], now, broken: false }
    }

    #[test]
    fn the_challenge_names_the_principal_and_the_session() {
        let bob = CraPrincipal::new("bob-secret", "user".into(), None);
        let session = Id::new(3_251_278_072_152_162).unwrap();
        let (extra, expected) = bob.challenge("bob", session, &mut entropy()).unwrap();
        assert_eq!(extra.len(), 1, "no salt: {extra:?}");
        let challenge = extra["challenge"].as_str().unwrap();
        assert_eq!(
            challenge,
            r#"{"authid":"bob","authrole":"user","authmethod":"wampcra","authprovider":"static","nonce":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH","timestamp":"2014-06-22T16:36:25.448Z","session":3251278072152162}"#
        );
        let right = wampcra_signature(b"bob-secret", challenge);
        assert_eq!(verify(&expected, &right, "bob"), Ok(()));
    }

    #[test]
    fn a_salted_challenge_carries_the_salt() {
        let salt = Salt { salt: "salt123".into(), iterations: 1000, keylen: 32 };
        let carol = CraPrincipal::new("carol-secret", "user".into(), Some(salt));
        let (extra, _) = carol.challenge("carol", Id::new(1).unwrap(), &mut entropy()).unwrap();
        assert_eq!(extra["salt"], Value::from("salt123"));
        assert_eq!(extra["iterations"], Value::Int(1000));
        assert_eq!(extra["keylen"], Value::Int(32));
        assert!(!format!("{carol:?}").contains("bfFD"), "the key stays out of Debug");
    }

    #[test]
    fn wrong_and_malformed_signatures_are_told_apart() {
        let bob = CraPrincipal::new("bob-secret", "user".into(), None);
        let (extra, expected) = bob.challenge("bob", Id::new(1).unwrap(), &mut entropy()).unwrap();
        let challenge = extra["challenge"].as_str().unwrap();
        let wrong = wampcra_signature(b"not-bob-secret", challenge);
        assert_eq!(
            verify(&expected, &wrong, "bob"),
            Err(AuthError::WrongSignature { method: AuthMethod::WampCra, authid: "bob".into() })
        );
        for malformed in ["not base64!", "AAAA"] {
            assert!(
                matches!(
                    verify(&expected, malformed, "bob"),
                    Err(AuthError::MalformedSignature { .. })
                ),
                "{malformed}"
            );
        }
    }

    #[test]
    fn timestamps_are_iso_8601_utc_to_the_millisecond() {
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_403_454_985_448);
        assert_eq!(timestamp(t), "2014-06-22T16:36:25.448Z");
    }
}
