//! Why a client was not admitted, and the URI its ABORT carries.
//!
//! The URIs are the ones crossbar.io sends (through autobahn's
//! `ApplicationError` constants), so that a client tested against crossbar
//! sees the same reasons here: `wamp.error.not_authorized` for credentials
//! refused (crossbar's default `Deny` reason), `wamp.error.no_auth_method`
//! when no method the client offered is served, and
//! `wamp.error.authentication_failed` for a failure of the router itself
//! ("fail secure"). The Advanced Profile's URI list names
//! `wamp.error.no_matching_auth_method` and
//! `wamp.error.authentication_denied` for the first two; no router in use
//! sends them.

use std::fmt;

use super::method::AuthMethod;
use crate::message::Message;
use crate::value::{Dict, Value};

/// Credentials refused, or a principal unknown: ABORT reason.
pub const NOT_AUTHORIZED: &str = "wamp.error.not_authorized";
/// The router could not run the authentication (no random source): ABORT
/// reason.
pub const AUTHENTICATION_FAILED: &str = "wamp.error.authentication_failed";
/// No method the client offered is served on the realm: ABORT reason.
pub const NO_AUTH_METHOD: &str = "wamp.error.no_auth_method";
/// HELLO.Details with a field of the wrong type: ABORT reason.
pub const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";

/// Why authentication did not admit a client; each variant is named after
/// the rule it enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// A field of HELLO.Details that authentication reads has the wrong
    /// type (`authmethods` a list of strings, `authid` a string, `authextra`
    /// a dictionary).
    MalformedHello {
        /// The field, e.g. `authmethods`.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// None of the methods the client offered is served on the realm
    /// (this includes a client offering nothing, i.e. anonymous, on a realm
    /// that admits no anonymous clients).
    NoAcceptableMethod {
        /// The realm.
        realm: String,
        /// What the client offered (`["anonymous"]` when it offered none).
        offered: Vec<String>,
        /// What the realm serves.
        served: Vec<AuthMethod>,
    },
    /// Ticket and WAMP-CRA authenticate a named principal:
    /// `HELLO.Details.authid` must be given.
    AuthidRequired {
        /// The method.
        method: AuthMethod,
    },
    /// The method knows no principal of that authid.
    UnknownPrincipal {
        /// The method.
        method: AuthMethod,
        /// The authid asked for.
        authid: String,
    },
    /// Cryptosign needs `HELLO.Details.authextra.pubkey`.
    PubkeyRequired,
    /// `authextra.pubkey` is not an Ed25519 public key in hex.
    MalformedPubkey {
        /// What is wrong with it.
        reason: String,
    },
    /// No cryptosign principal holds the key (and no authid was given).
    UnknownPubkey {
        /// The key, in hex.
        pubkey: String,
    },
    /// The principal named by `authid` does not hold the key offered.
    KeyNotAuthorized {
        /// The principal.
        authid: String,
        /// The key, in hex.
        pubkey: String,
    },
    /// Several principals hold the key and no `authid` chose one.
    AmbiguousPubkey {
        /// The key, in hex.
        pubkey: String,
    },
    /// The client asked for TLS channel binding (`authextra.channel_binding`),
    /// which needs the TLS channel ID this router cannot read; a client that
    /// asked must not go on without it, so it is refused here.
    ChannelBindingUnsupported {
        /// What it asked for, e.g. `tls-unique`.
        requested: String,
    },
    /// The client asked the router to prove itself (`authextra.challenge`,
    /// cryptosign's router authentication); this router has no key to sign
    /// with.
    RouterAuthenticationUnsupported,
    /// The ticket is not the principal's.
    WrongTicket {
        /// The principal.
        authid: String,
    },
    /// The signature does not verify (WAMP-CRA's HMAC, cryptosign's
    /// Ed25519 signature).
    WrongSignature {
        /// The method.
        method: AuthMethod,
        /// The principal.
        authid: String,
    },
    /// The signature is not of the method's form (base64 of 32 bytes for
    /// WAMP-CRA, hex of 96 bytes for cryptosign).
    MalformedSignature {
        /// The method.
        method: AuthMethod,
        /// What is wrong with it.
        reason: String,
    },
    /// Cryptosign: the message signed is not the challenge this router sent
    /// (a replayed answer).
    WrongChallenge {
        /// The principal.
        authid: String,
    },
    /// The OS's random source failed, so no challenge could be made.
    RandomnessUnavailable {
        /// The OS's error.
        reason: String,
    },
}

impl AuthError {
    /// The WAMP URI to put in ABORT's Reason.
    pub fn uri(&self) -> &'static str {
        match self {
            Self::MalformedHello { .. } => PROTOCOL_VIOLATION,
            Self::NoAcceptableMethod { .. } => NO_AUTH_METHOD,
            Self::RandomnessUnavailable { .. } => AUTHENTICATION_FAILED,
            _ => NOT_AUTHORIZED,
        }
    }

    /// A sentence for people (ABORT.Details.message, logs). It never holds
    /// a secret.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The ABORT to send: this error's URI as Reason, its message in
    /// `Details.message`.
    pub fn abort(&self) -> Message {
        let details = Dict::from([("message".to_owned(), Value::from(self.message()))]);
        Message::Abort { details, reason: self.uri().to_owned() }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedHello { field, expected } => {
                write!(f, "HELLO.Details.{field} must be {expected}")
            }
            Self::NoAcceptableMethod { realm, offered, served } => {
                let served: Vec<&str> = served.iter().map(|m| m.as_str()).collect();
                write!(
                    f,
                    "cannot authenticate using any of the offered authmethods {offered:?}: \
                     realm {realm:?} serves {served:?}"
                )
            }
            Self::AuthidRequired { method } => {
                write!(f, "{method} authentication needs HELLO.Details.authid")
            }
            Self::UnknownPrincipal { method, authid } => {
                write!(f, "no {method} principal with authid {authid:?}")
            }
            Self::PubkeyRequired => {
                f.write_str("cryptosign authentication needs HELLO.Details.authextra.pubkey")
            }
            Self::MalformedPubkey { reason } => {
                write!(f, "HELLO.Details.authextra.pubkey is not an Ed25519 public key: {reason}")
            }
            Self::UnknownPubkey { pubkey } => {
                write!(f, "no cryptosign principal holds the public key {pubkey}")
            }
            Self::KeyNotAuthorized { authid, pubkey } => {
                write!(f, "the public key {pubkey} is not among the authorized keys of {authid:?}")
            }
            Self::AmbiguousPubkey { pubkey } => write!(
                f,
                "several principals hold the public key {pubkey}: give HELLO.Details.authid"
            ),
            Self::ChannelBindingUnsupported { requested } => write!(
                f,
                "channel binding {requested:?} is not offered by this router (it cannot read \
                 the TLS channel ID): authenticate without authextra.channel_binding"
            ),
            Self::RouterAuthenticationUnsupported => f.write_str(
                "this router cannot sign authextra.challenge (router authentication is not \
                 offered): authenticate without it",
            ),
            Self::WrongTicket { authid } => write!(f, "wrong ticket for {authid:?}"),
            Self::WrongSignature { method, authid } => {
                write!(f, "{method} signature of {authid:?} is invalid")
            }
            Self::MalformedSignature { method, reason } => {
                write!(f, "{method} signature is malformed: {reason}")
            }
            Self::WrongChallenge { authid } => {
                write!(f, "the message {authid:?} signed is not the challenge this router sent")
            }
            Self::RandomnessUnavailable { reason } => {
                write!(f, "the router could not make a challenge (no random source: {reason})")
            }
        }
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_has_its_uri_and_the_abort_carries_the_message() {
        let refused = AuthError::WrongTicket { authid: "alice".into() };
        assert_eq!(refused.uri(), "wamp.error.not_authorized");
        let none = AuthError::NoAcceptableMethod {
            realm: "authrealm".into(),
            offered: vec!["anonymous".into()],
            served: vec![AuthMethod::Ticket],
        };
        assert_eq!(none.uri(), "wamp.error.no_auth_method");
        assert!(none.message().contains("[\"anonymous\"]"), "{none}");
        let broken = AuthError::RandomnessUnavailable { reason: "x".into() };
        assert_eq!(broken.uri(), "wamp.error.authentication_failed");
        let malformed = AuthError::MalformedHello { field: "authid", expected: "a string" };
        assert_eq!(malformed.uri(), "wamp.error.protocol_violation");

        let Message::Abort { details, reason } = refused.abort() else { panic!("not ABORT") };
        assert_eq!(reason, "wamp.error.not_authorized");
        assert_eq!(details["message"], Value::from("wrong ticket for \"alice\""));
    }
}
