//! The authentication methods a router can offer, by their WAMP names.

use std::fmt;

/// An authentication method, as named in `HELLO.Details.authmethods`,
/// `CHALLENGE.AuthMethod` and `WELCOME.Details.authmethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthMethod {
    /// `anonymous`: no proof; the realm's anonymous role.
    Anonymous,
    /// `ticket`: a shared ticket sent in AUTHENTICATE.
    Ticket,
    /// `wampcra`: an HMAC-SHA256 of the router's challenge under a shared
    /// (possibly PBKDF2-salted) secret.
    WampCra,
    /// `cryptosign`: an Ed25519 signature of the router's challenge.
    Cryptosign,
}

impl AuthMethod {
    /// Every method, in the order a router lists them.
    pub const ALL: [AuthMethod; 4] =
        [Self::Anonymous, Self::Ticket, Self::WampCra, Self::Cryptosign];

    /// Its WAMP name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::Ticket => "ticket",
            Self::WampCra => "wampcra",
            Self::Cryptosign => "cryptosign",
        }
    }

    /// The method called `name`, if this router knows it (`scram`, `tls`,
    /// `cookie` and others are not served).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.as_str() == name)
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_ones_are_none() {
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::from_name(method.as_str()), Some(method));
        }
        assert_eq!(AuthMethod::from_name("scram"), None);
        assert_eq!(AuthMethod::from_name("WAMPCRA"), None);
    }
}
