//! WAMP-Ticket: the client names itself (`authid`), the router answers
//! `[4, "ticket", {}]`, the client sends its ticket as AUTHENTICATE's
//! Signature. The ticket travels in the clear: use it over TLS.

use super::error::AuthError;
use super::secret::SecretDigest;

/// A principal known by a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TicketPrincipal {
    /// Its role.
    pub role: String,
    /// Its ticket, kept as a digest.
    ticket: SecretDigest,
}

impl TicketPrincipal {
    /// A principal with this ticket and role.
    pub fn new(ticket: &str, role: String) -> Self {
        Self { role, ticket: SecretDigest::of(ticket.as_bytes()) }
    }

    /// The proof AUTHENTICATE must bring.
    pub fn expected(&self) -> SecretDigest {
        self.ticket.clone()
    }
}

/// Checks AUTHENTICATE's Signature against the ticket, in constant time.
pub(crate) fn verify(
    expected: &SecretDigest,
    signature: &str,
    authid: &str,
) -> Result<(), AuthError> {
    if expected.matches(signature.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::WrongTicket { authid: authid.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_and_only_it_passes() {
        let alice = TicketPrincipal::new("secret-ticket", "user".into());
        assert_eq!(verify(&alice.expected(), "secret-ticket", "alice"), Ok(()));
        assert_eq!(
            verify(&alice.expected(), "secret-ticket2", "alice"),
            Err(AuthError::WrongTicket { authid: "alice".into() })
        );
        assert!(verify(&alice.expected(), "", "alice").is_err());
    }
}
