//! WAMP-Anonymous: no proof asked; the session gets the realm's anonymous
//! role and its own session ID as authid (crossbar ignores a requested
//! authid the same way, drawing a random one).

use super::identity::{Identity, STATIC_PROVIDER};
use super::method::AuthMethod;
use crate::id::Id;
use crate::value::Dict;

/// The identity of an anonymous session.
pub(crate) fn identity(role: &str, session: Id) -> Identity {
    Identity {
        authid: session.to_string(),
        authrole: role.to_owned(),
        authmethod: AuthMethod::Anonymous,
        authprovider: STATIC_PROVIDER.to_owned(),
        authextra: Dict::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authid_is_the_session_id() {
        let identity = identity("anonymous", Id::new(42).unwrap());
        assert_eq!((identity.authid.as_str(), identity.authrole.as_str()), ("42", "anonymous"));
        assert_eq!(identity.authmethod, AuthMethod::Anonymous);
    }
}
