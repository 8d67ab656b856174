//! The API key check: the key a request carries (`X-API-Key: KEY`, or
//! `Authorization: apikey KEY`) against every configured key, in constant
//! time.
//!
//! Every configured key is compared, whatever the earlier ones gave, and
//! each comparison reads the whole configured key (the candidate padded or
//! cut to its length, the lengths compared apart) with `subtle`, which
//! keeps the compiler from turning it back into an early exit. So the time
//! a refusal takes tells neither which key nearly matched nor how many of
//! its bytes did.

use http::HeaderMap;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// The configured keys.
#[derive(Clone)]
pub(crate) struct ApiKeys {
    keys: Vec<Box<[u8]>>,
}

/// Why a request carries no usable key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRefusal {
    /// Neither header is there.
    Missing,
    /// `Authorization` names a scheme other than `apikey`.
    WrongScheme,
    /// A key was given and none matches.
    NoMatch,
}

impl KeyRefusal {
    /// What the 401's message says.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Self::Missing => "no API key: send X-API-Key: KEY or Authorization: apikey KEY",
            Self::WrongScheme => "Authorization: the scheme must be apikey",
            Self::NoMatch => "the API key is not valid",
        }
    }
}

impl ApiKeys {
    /// The keys accepted.
    pub(crate) fn new(keys: &[String]) -> Self {
        Self { keys: keys.iter().map(|k| k.as_bytes().into()).collect() }
    }

    /// The index of the configured key the request carries.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<usize, KeyRefusal> {
        let given = given_key(headers)?;
        self.position(given).ok_or(KeyRefusal::NoMatch)
    }

    /// The index of the key equal to `given`: every key compared, no early
    /// exit.
    fn position(&self, given: &[u8]) -> Option<usize> {
        let mut found = Choice::from(0);
        let mut index = 0u64;
        for (i, key) in self.keys.iter().enumerate() {
            let equal = equal(key, given);
            index = u64::conditional_select(&index, &(i as u64), equal);
            found |= equal;
        }
        bool::from(found).then_some(index as usize)
    }
}

/// Whether `given` is `key`, in time that depends on `key`'s length only.
fn equal(key: &[u8], given: &[u8]) -> Choice {
    let same_length = (key.len() as u64).ct_eq(&(given.len() as u64));
    let mut padded = vec![0u8; key.len()];
    let n = given.len().min(key.len());
    padded[..n].copy_from_slice(&given[..n]);
    same_length & key.ct_eq(&padded[..])
}

/// The key a request carries: `X-API-Key`, else `Authorization: apikey`.
fn given_key(headers: &HeaderMap) -> Result<&[u8], KeyRefusal> {
    if let Some(value) = headers.get("x-api-key") {
        return Ok(trim(value.as_bytes()));
    }
    let Some(value) = headers.get(http::header::AUTHORIZATION) else {
        return Err(KeyRefusal::Missing);
    };
    let value = trim(value.as_bytes());
    let scheme_end = value.iter().position(|b| *b == b' ').unwrap_or(value.len());
    if !value[..scheme_end].eq_ignore_ascii_case(b"apikey") {
        return Err(KeyRefusal::WrongScheme);
    }
    Ok(trim(&value[scheme_end..]))
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn keys() -> ApiKeys {
        ApiKeys::new(&["first-key".into(), "second-key".into()])
    }

    #[test]
    fn either_header_form_finds_its_key() {
        assert_eq!(keys().check(&headers(&[("x-api-key", "first-key")])), Ok(0));
        assert_eq!(keys().check(&headers(&[("authorization", "apikey second-key")])), Ok(1));
        assert_eq!(keys().check(&headers(&[("authorization", "ApiKey  second-key ")])), Ok(1));
    }

    #[test]
    fn a_missing_wrong_or_schemeless_key_is_refused() {
        assert_eq!(keys().check(&headers(&[])), Err(KeyRefusal::Missing));
        assert_eq!(
            keys().check(&headers(&[("authorization", "Bearer first-key")])),
            Err(KeyRefusal::WrongScheme)
        );
        assert_eq!(keys().check(&headers(&[("x-api-key", "first-ke")])), Err(KeyRefusal::NoMatch));
        assert_eq!(
            keys().check(&headers(&[("x-api-key", "first-keyy")])),
            Err(KeyRefusal::NoMatch)
        );
        assert_eq!(keys().check(&headers(&[("x-api-key", "")])), Err(KeyRefusal::NoMatch));
        assert_eq!(
            keys().check(&headers(&[("authorization", "apikey")])),
            Err(KeyRefusal::NoMatch)
        );
    }

    #[test]
    fn a_prefix_or_an_extension_of_a_key_is_not_it() {
        assert!(!bool::from(equal(b"abc", b"ab")));
        assert!(!bool::from(equal(b"abc", b"abcd")));
        assert!(!bool::from(equal(b"abc", b"abd")));
        assert!(bool::from(equal(b"abc", b"abc")));
        assert!(!bool::from(equal(b"", b"x")));
    }
}
