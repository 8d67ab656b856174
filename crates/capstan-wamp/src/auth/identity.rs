//! Who a session is once admitted: what WELCOME.Details tells the client,
//! and what the authorizer judges the session's actions by (`authrole`).

use super::method::AuthMethod;
use crate::value::{Dict, Value};

/// The provider of every identity this router's static principals give.
pub const STATIC_PROVIDER: &str = "static";

/// An authenticated session's identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The authentication ID (the principal's name; for anonymous
    /// sessions, the session ID).
    pub authid: String,
    /// The role the session acts in; the [`Authorizer`](super::Authorizer)
    /// looks it up.
    pub authrole: String,
    /// How it was authenticated.
    pub authmethod: AuthMethod,
    /// Who vouched for it: [`STATIC_PROVIDER`] for principals from the
    /// config.
    pub authprovider: String,
    /// Extra information for the client (cryptosign: the `pubkey` used);
    /// empty for the other methods.
    pub authextra: Dict,
}

impl Identity {
    /// The authentication keys of WELCOME.Details: `authid`, `authrole`,
    /// `authmethod`, `authprovider`, and `authextra` when not empty. The
    /// router adds `realm` and `roles`.
    pub fn welcome_details(&self) -> Dict {
        let mut details = Dict::from([
            ("authid".to_owned(), Value::from(self.authid.as_str())),
            ("authrole".to_owned(), Value::from(self.authrole.as_str())),
            ("authmethod".to_owned(), Value::from(self.authmethod.as_str())),
            ("authprovider".to_owned(), Value::from(self.authprovider.as_str())),
        ]);
        if !self.authextra.is_empty() {
            details.insert("authextra".to_owned(), Value::Dict(self.authextra.clone()));
        }
        details
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welcome_details_name_the_identity_and_leave_out_an_empty_authextra() {
        let mut identity = Identity {
            authid: "alice".into(),
            authrole: "user".into(),
            authmethod: AuthMethod::Ticket,
            authprovider: STATIC_PROVIDER.into(),
            authextra: Dict::new(),
        };
        let details = identity.welcome_details();
        assert_eq!(details["authid"], Value::from("alice"));
        assert_eq!(details["authrole"], Value::from("user"));
        assert_eq!(details["authmethod"], Value::from("ticket"));
        assert_eq!(details["authprovider"], Value::from("static"));
        assert!(!details.contains_key("authextra"));
        identity.authextra.insert("pubkey".into(), Value::from("ab"));
        assert_eq!(
            identity.welcome_details()["authextra"],
            Value::Dict(Dict::from([("pubkey".to_owned(), Value::from("ab"))]))
        );
    }
}
