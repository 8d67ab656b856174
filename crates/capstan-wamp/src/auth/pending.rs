//! An authentication waiting for AUTHENTICATE: who the client will be if
//! its answer is right, and what a right answer is. One answer is taken
//! (`authenticate` consumes it); a wrong one ends the attempt.

use super::cryptosign::{self, CryptosignExpected};
use super::error::AuthError;
use super::identity::Identity;
use super::method::AuthMethod;
use super::secret::SecretDigest;
use super::ticket;
use super::wampcra::{self, CraExpected};
use crate::value::Dict;

/// What a right answer is, per method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Proof {
    /// The ticket.
    Ticket(SecretDigest),
    /// The HMAC of the challenge sent.
    WampCra(CraExpected),
    /// The challenge sent, signed by the key.
    Cryptosign(CryptosignExpected),
}

/// A challenge sent, waiting for the client's AUTHENTICATE. Holds no
/// secret in the clear (a ticket's digest, an HMAC expected, a public key)
/// and shows none in `Debug`.
#[derive(Clone, PartialEq)]
pub struct PendingAuth {
    identity: Identity,
    /// Boxed: a verifying key is large, and this waits in a session's
    /// state.
    proof: Box<Proof>,
}

impl std::fmt::Debug for PendingAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuth")
            .field("authmethod", &self.identity.authmethod)
            .field("authid", &self.identity.authid)
            .finish_non_exhaustive()
    }
}

impl PendingAuth {
    pub(crate) fn new(identity: Identity, proof: Proof) -> Self {
        Self { identity, proof: Box::new(proof) }
    }

    /// The method challenged.
    pub fn authmethod(&self) -> AuthMethod {
        self.identity.authmethod
    }

    /// The principal challenged.
    pub fn authid(&self) -> &str {
        &self.identity.authid
    }

    /// Checks AUTHENTICATE (`[5, Signature, Extra]`): the identity if the
    /// signature is right. `extra` is not read by any method served here
    /// (WAMP-SCRAM would); it is taken so that the session hands over the
    /// whole message.
    pub fn authenticate(self, signature: &str, extra: &Dict) -> Result<Identity, AuthError> {
        let _ = extra;
        let authid = &self.identity.authid;
        match &*self.proof {
            Proof::Ticket(expected) => ticket::verify(expected, signature, authid)?,
            Proof::WampCra(expected) => wampcra::verify(expected, signature, authid)?,
            Proof::Cryptosign(expected) => cryptosign::verify(expected, signature, authid)?,
        }
        Ok(self.identity)
    }
}
