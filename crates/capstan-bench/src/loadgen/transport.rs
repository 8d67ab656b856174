//! How the load generator's connections speak: plain WebSocket, or
//! session mode (docs/SESSIONS.md) over WebSocket or over the HTTP
//! fallback (Server-Sent Events down, batch POSTs up).

/// The route a session-mode run uses unless told otherwise.
pub const SESSION_PATH: &str = "/echo-session";

/// A client acknowledges at least every this many data messages.
pub const ACK_EVERY: u64 = 32;

/// How connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// Plain WebSocket messages.
    #[default]
    Plain,
    /// Session mode over WebSocket: `hello` → `welcome` first, then `m`
    /// data messages, `ack` every [`ACK_EVERY`].
    Session,
    /// Session mode over the fallback: an open POST, a Server-Sent Events
    /// downstream, one batch POST at a time (carrying the `ack`).
    Sse,
}

impl Transport {
    /// Every transport.
    pub const ALL: [Transport; 3] = [Transport::Plain, Transport::Session, Transport::Sse];

    /// Its name (in plans and reports).
    pub fn name(self) -> &'static str {
        match self {
            Transport::Plain => "plain",
            Transport::Session => "session",
            Transport::Sse => "sse",
        }
    }

    /// The transport called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether it speaks session mode.
    pub fn is_session(self) -> bool {
        self != Transport::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Transport::ALL {
            assert_eq!(Transport::parse(t.name()), Some(t));
        }
        assert_eq!(Transport::parse("ws"), None);
        assert!(!Transport::Plain.is_session() && Transport::Sse.is_session());
    }
}
