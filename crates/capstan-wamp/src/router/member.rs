//! Who a session in a realm is (its authentication) and which optional
//! features its client announced in HELLO, which decide what the router
//! may send it (INTERRUPT, progressive results, revocations).

use crate::auth::Identity;
use crate::id::Id;

/// The authrole and authmethod of the router's own sessions.
const TRUSTED: &str = "trusted";
use crate::value::{Dict, Value};

/// A session of a realm.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Its session ID.
    pub session: Id,
    /// Its authentication ID.
    pub authid: String,
    /// Its role.
    pub authrole: String,
    /// How it authenticated (`anonymous`, `ticket`, `wampcra`, `cryptosign`).
    pub authmethod: String,
    /// Who authenticated it.
    pub authprovider: String,
    /// What its client announced.
    pub features: ClientFeatures,
    /// What the authentication tells the client (cryptosign: its key).
    pub authextra: Dict,
}

/// The optional features a client announced (HELLO.Details.roles.*.features).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientFeatures {
    /// As callee: it takes INTERRUPT (`call_canceling`).
    pub callee_canceling: bool,
    /// As callee: it produces progressive results (`progressive_call_results`).
    pub callee_progress: bool,
    /// As callee: it handles `INVOCATION.Details.timeout` (`call_timeout`).
    pub callee_timeout: bool,
    /// As callee: it takes UNREGISTERED with request 0 (`registration_revocation`).
    pub registration_revocation: bool,
    /// As subscriber: it takes UNSUBSCRIBED with request 0 (`subscription_revocation`).
    pub subscription_revocation: bool,
}

impl ClientFeatures {
    /// The features announced in HELLO.Details.roles.
    pub fn from_roles(roles: &Dict) -> Self {
        let has = |role: &str, feature: &str| {
            roles
                .get(role)
                .and_then(Value::as_dict)
                .and_then(|role| role.get("features"))
                .and_then(Value::as_dict)
                .and_then(|features| features.get(feature))
                .and_then(Value::as_bool)
                == Some(true)
        };
        Self {
            callee_canceling: has("callee", "call_canceling"),
            callee_progress: has("callee", "progressive_call_results"),
            callee_timeout: has("callee", "call_timeout"),
            registration_revocation: has("callee", "registration_revocation"),
            subscription_revocation: has("subscriber", "subscription_revocation"),
        }
    }
}

impl Member {
    /// Session `session`, authenticated as `identity`, with `features`.
    pub fn new(session: Id, identity: Identity, features: ClientFeatures) -> Self {
        Self {
            session,
            authid: identity.authid,
            authrole: identity.authrole,
            authmethod: identity.authmethod.as_str().to_owned(),
            authprovider: identity.authprovider,
            features,
            authextra: identity.authextra,
        }
    }

    /// A session of the router's own process: authrole and authmethod
    /// `trusted`, authorized for everything.
    pub fn trusted(session: Id, features: ClientFeatures) -> Self {
        Self {
            session,
            authid: session.to_string(),
            authrole: TRUSTED.into(),
            authmethod: TRUSTED.into(),
            authprovider: "local".into(),
            features,
            authextra: Dict::new(),
        }
    }

    /// Whether it is a session of the router's own process.
    pub fn is_trusted(&self) -> bool {
        self.authmethod == TRUSTED
    }

    /// What the meta API says of it (`wamp.session.get`, `on_join`).
    pub fn details(&self) -> Dict {
        Dict::from([
            ("session".to_owned(), Value::from(self.session)),
            ("authid".to_owned(), Value::from(self.authid.as_str())),
            ("authrole".to_owned(), Value::from(self.authrole.as_str())),
            ("authmethod".to_owned(), Value::from(self.authmethod.as_str())),
            ("authprovider".to_owned(), Value::from(self.authprovider.as_str())),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_read_per_role_and_only_when_true() {
        let features = |pairs: &[(&str, bool)]| {
            Value::Dict(Dict::from([(
                "features".to_owned(),
                Value::Dict(
                    pairs.iter().map(|(k, v)| ((*k).to_owned(), Value::Bool(*v))).collect(),
                ),
            )]))
        };
        let roles = Dict::from([
            ("callee".to_owned(), features(&[("call_canceling", true), ("call_timeout", false)])),
            ("subscriber".to_owned(), features(&[("subscription_revocation", true)])),
            // A caller's canceling is not a callee's.
            ("caller".to_owned(), features(&[("progressive_call_results", true)])),
        ]);
        let read = ClientFeatures::from_roles(&roles);
        assert!(read.callee_canceling && read.subscription_revocation);
        assert!(!read.callee_timeout && !read.callee_progress && !read.registration_revocation);
    }
}
