//! Why a config file was refused; each variant is named after the rule it
//! enforces and says where in the file (a line, or the path of the value).

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::auth::{AuthMethod, InvalidPermission, PublicKeyError};
use crate::pattern::MatchPolicy;

/// A config file the router cannot run with.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The OS's error.
        source: io::Error,
    },
    /// A field the format does not have (a typo, or a crossbar option not
    /// served here).
    UnknownField {
        /// Where: the path of the field, e.g. `transport.tlss`.
        path: String,
        /// The field.
        field: String,
        /// The fields allowed there.
        expected: String,
        /// Its line (from 1).
        line: usize,
        /// Its column (from 1).
        column: usize,
    },
    /// Not JSON, or not the format's shape: a missing field, a value of the
    /// wrong type, a key given twice.
    Syntax {
        /// Where: the path of the value, e.g. `realms[0].auth`.
        path: String,
        /// What is wrong.
        message: String,
        /// Its line (from 1).
        line: usize,
        /// Its column (from 1).
        column: usize,
    },
    /// `realms` must name at least one realm.
    NoRealm,
    /// A realm's name must be a URI.
    InvalidRealmName {
        /// The name.
        realm: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two realms of one name.
    DuplicateRealm {
        /// The name.
        realm: String,
    },
    /// Two roles of one name in a realm.
    DuplicateRole {
        /// The realm.
        realm: String,
        /// The role.
        role: String,
    },
    /// A role used (by `auth.anonymous` or a principal) that the realm's
    /// `roles` do not define.
    UnknownRole {
        /// The realm.
        realm: String,
        /// The role.
        role: String,
        /// Who uses it, e.g. `auth.ticket.principals.alice`.
        used_by: String,
    },
    /// A permission's URI its match policy cannot match with.
    InvalidPermission {
        /// The realm.
        realm: String,
        /// The role.
        role: String,
        /// What is wrong.
        error: InvalidPermission,
    },
    /// Two permissions of a role with the same URI and match policy (which
    /// would win is not obvious).
    DuplicatePermission {
        /// The realm.
        realm: String,
        /// The role.
        role: String,
        /// The URI.
        uri: String,
        /// The policy.
        policy: MatchPolicy,
    },
    /// A realm whose `auth` serves no method: no one could join it.
    NoAuthMethod {
        /// The realm.
        realm: String,
    },
    /// A ticket or a WAMP-CRA secret must not be empty.
    EmptySecret {
        /// The realm.
        realm: String,
        /// The method.
        method: AuthMethod,
        /// The principal.
        authid: String,
    },
    /// A salted WAMP-CRA secret needs `salt`, `iterations` and `keylen`
    /// together.
    IncompleteSalt {
        /// The realm.
        realm: String,
        /// The principal.
        authid: String,
        /// The ones missing.
        missing: Vec<&'static str>,
    },
    /// `iterations` must be at least 1 and `keylen` within 1..=1024.
    InvalidSalt {
        /// The realm.
        realm: String,
        /// The principal.
        authid: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A cryptosign principal must have at least one authorized key.
    NoAuthorizedKeys {
        /// The realm.
        realm: String,
        /// The principal.
        authid: String,
    },
    /// An authorized key must be an Ed25519 public key in hex (32 bytes).
    InvalidPublicKey {
        /// The realm.
        realm: String,
        /// The principal.
        authid: String,
        /// The key as written.
        key: String,
        /// What is wrong.
        error: PublicKeyError,
    },
    /// One key authorized for two principals of a realm: a client giving
    /// only its key could not be told apart.
    SharedPublicKey {
        /// The realm.
        realm: String,
        /// The key, in hex.
        key: String,
        /// The two principals.
        authids: [String; 2],
    },
    /// `transport.bind` must be an IP address or a host name.
    InvalidBind {
        /// What was given.
        bind: String,
    },
    /// `transport.paths` must list at least one path.
    NoPaths,
    /// A WebSocket path must start with `/` and hold no whitespace, `?`
    /// or `#`, and appear once.
    InvalidPath {
        /// The path.
        path: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `broker` names both `redis` and `nats`: a router publishes through
    /// one broker.
    TwoBrokers,
    /// `broker` names neither `redis` nor `nats` (leave it out for this
    /// process only).
    NoBroker,
    /// `broker`'s URL is empty.
    EmptyBrokerUrl {
        /// `redis` or `nats`.
        broker: &'static str,
    },
    /// `transport.tls`'s certificate and key could not be loaded.
    Tls {
        /// The certificate chain file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::UnknownField { path, field, expected, line, column } => write!(
                f,
                "line {line}, column {column}: unknown field {field:?} at {path} (expected {expected})"
            ),
            Self::Syntax { path, message, line, column } if path == "." => {
                write!(f, "line {line}, column {column}: {message}")
            }
            Self::Syntax { path, message, line, column } => {
                write!(f, "line {line}, column {column}: {path}: {message}")
            }
            Self::NoRealm => f.write_str("realms: no realm configured"),
            Self::InvalidRealmName { realm, reason } => {
                write!(f, "realm {realm:?}: the name is not a URI ({reason})")
            }
            Self::DuplicateRealm { realm } => write!(f, "realm {realm:?} is configured twice"),
            Self::DuplicateRole { realm, role } => {
                write!(f, "realm {realm:?}: role {role:?} is defined twice")
            }
            Self::UnknownRole { realm, role, used_by } => write!(
                f,
                "realm {realm:?}: {used_by} has role {role:?}, which the realm's roles do not define"
            ),
            Self::InvalidPermission { realm, role, error } => {
                write!(f, "realm {realm:?}, role {role:?}: {error}")
            }
            Self::DuplicatePermission { realm, role, uri, policy } => {
                write!(f, "realm {realm:?}, role {role:?}: two {policy} permissions for {uri:?}")
            }
            Self::NoAuthMethod { realm } => write!(
                f,
                "realm {realm:?}: auth serves no method (anonymous, ticket, wampcra, cryptosign), \
                 so no one could join"
            ),
            Self::EmptySecret { realm, method, authid } => {
                let what = if *method == AuthMethod::Ticket { "ticket" } else { "secret" };
                write!(f, "realm {realm:?}: auth.{method}.principals.{authid}: the {what} is empty")
            }
            Self::IncompleteSalt { realm, authid, missing } => write!(
                f,
                "realm {realm:?}: auth.wampcra.principals.{authid}: salt, iterations and keylen \
                 go together ({} missing)",
                missing.join(", ")
            ),
            Self::InvalidSalt { realm, authid, reason } => {
                write!(f, "realm {realm:?}: auth.wampcra.principals.{authid}: {reason}")
            }
            Self::NoAuthorizedKeys { realm, authid } => write!(
                f,
                "realm {realm:?}: auth.cryptosign.principals.{authid}: authorized_keys is empty"
            ),
            Self::InvalidPublicKey { realm, authid, key, error } => write!(
                f,
                "realm {realm:?}: auth.cryptosign.principals.{authid}: authorized key {key:?} is \
                 not an Ed25519 public key: {error}"
            ),
            Self::SharedPublicKey { realm, key, authids: [a, b] } => {
                write!(f, "realm {realm:?}: the key {key} is authorized for both {a:?} and {b:?}")
            }
            Self::InvalidBind { bind } => {
                write!(f, "transport.bind: {bind:?} is neither an IP address nor a host name")
            }
            Self::NoPaths => f.write_str("transport.paths: no path to serve WebSocket at"),
            Self::InvalidPath { path, reason } => write!(f, "transport.paths: {path:?} {reason}"),
            Self::TwoBrokers => f.write_str(
                "broker: redis and nats are both given; a router publishes through one broker",
            ),
            Self::NoBroker => f.write_str(
                "broker: name redis or nats with its URL (leave broker out to publish in this \
                 process only)",
            ),
            Self::EmptyBrokerUrl { broker } => write!(f, "broker.{broker}: the URL is empty"),
            Self::Tls { cert, key, source } => write!(
                f,
                "transport.tls: cannot load {} and {}: {source}",
                cert.display(),
                key.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read { source, .. } | Self::Tls { source, .. } => Some(source),
            Self::InvalidPermission { error, .. } => Some(error),
            Self::InvalidPublicKey { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl ConfigError {
    /// A serde error, classified, with the path of the value it is about.
    pub(crate) fn from_serde(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path().to_string();
        Self::from_json(path, error.into_inner())
    }

    /// A JSON error about the value at `path`, classified.
    pub(crate) fn from_json(path: String, error: serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        // serde_json's text is "<message> at line L column C".
        let text = error.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        if let Some((field, expected)) = unknown_field(&message) {
            return Self::UnknownField { path, field, expected, line, column };
        }
        Self::Syntax { path, message, line, column }
    }
}

/// The field and the expected ones of serde's "unknown field `x`, expected
/// …" (or "…, there are no fields").
fn unknown_field(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest.strip_prefix(", expected ").unwrap_or("no fields");
    Some((field.to_owned(), expected.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serdes_unknown_field_message_is_taken_apart() {
        assert_eq!(
            unknown_field("unknown field `tlss`, expected one of `bind`, `port`"),
            Some(("tlss".into(), "one of `bind`, `port`".into()))
        );
        assert_eq!(unknown_field("missing field `name`"), None);
    }
}
