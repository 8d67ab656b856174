//! Secrets compared in constant time. A shared secret of any length (a
//! ticket) is kept as its SHA-256 digest and a candidate is compared by
//! digest, so neither the secret's content nor its length shows in the
//! time a comparison takes, and the secret itself is not kept.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 digest of a secret, to compare candidates against.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// The digest of `secret`.
    pub fn of(secret: &[u8]) -> Self {
        Self(Sha256::digest(secret).into())
    }

    /// Whether `candidate` is the secret, in time independent of both.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        bool::from(Self::of(candidate).0.ct_eq(&self.0))
    }
}

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_matches() {
        let digest = SecretDigest::of(b"secret-ticket");
        assert!(digest.matches(b"secret-ticket"));
        for wrong in [&b"secret-ticket "[..], b"secret-ticke", b"", b"SECRET-TICKET"] {
            assert!(!digest.matches(wrong), "{wrong:?}");
        }
        assert_eq!(format!("{digest:?}"), "SecretDigest(..)");
    }
}
