//! The admin token, compared in constant time: neither how many bytes of
//! a guess matched nor (beyond the token's own length) how long the guess
//! was shows in the time a refusal takes.

use subtle::ConstantTimeEq;

/// The configured admin token.
pub(crate) struct AdminToken(Box<[u8]>);

impl AdminToken {
    /// Holds `token`.
    pub(crate) fn new(token: &str) -> Self {
        Self(token.as_bytes().into())
    }

    /// Whether `candidate` is the token.
    pub(crate) fn matches(&self, candidate: &[u8]) -> bool {
        let token = &self.0;
        // The candidate cut or padded to the token's length, so that the
        // comparison always reads the same number of bytes.
        let mut padded = vec![0u8; token.len()];
        let n = candidate.len().min(token.len());
        padded[..n].copy_from_slice(&candidate[..n]);
        let same_bytes = padded.as_slice().ct_eq(token);
        let same_len = (candidate.len() as u64).ct_eq(&(token.len() as u64));
        (same_bytes & same_len).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_itself_matches() {
        let token = AdminToken::new("0123456789abcdef");
        assert!(token.matches(b"0123456789abcdef"));
        assert!(!token.matches(b"0123456789abcdeX"));
        assert!(!token.matches(b"0123456789abcde"));
        assert!(!token.matches(b"0123456789abcdef0"));
        assert!(!token.matches(b"0123456789abcdef\0"));
        assert!(!token.matches(b""));
    }
}
