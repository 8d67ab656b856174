//! What the chat keeps on each connection.

use crate::rate::RateLimiter;

/// A connection's chat state: made in `on_open`, kept by the connection's task
/// and handed to each callback (`StatefulComponent`).
#[derive(Debug)]
pub struct Session {
    /// The name, once `add_user` succeeded.
    pub name: Option<String>,
    /// The token that lets a reconnecting client take its name back.
    pub token: String,
    /// Who owns the name, once named: the session token, or `token:NAME`
    /// for a user named by a verified token. Block lists and the budget of
    /// new direct conversations belong to it.
    pub owner: Option<String>,
    /// Public rooms joined.
    pub rooms: std::collections::BTreeSet<String>,
    /// Requests allowed per second.
    pub limiter: RateLimiter,
}

/// A random session token: 128 bits from the OS, in hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Public rooms the server took a connection out of (the server API's
/// `unsubscribe`), kept on the connection until its next request brings
/// its [`Session`] up to date.
#[derive(Debug, Default)]
pub struct LeftByServer(pub Vec<String>);

impl LeftByServer {
    /// Notes on `conn` that it left `room`.
    pub fn note(conn: &capstan::Conn, room: &str) {
        let noted = conn.attributes().with_mut(|left: &mut LeftByServer| left.0.push(room.into()));
        if noted.is_none() {
            conn.attributes().insert(LeftByServer(vec![room.into()]));
        }
    }

    /// Takes the rooms left out of `session`.
    pub fn apply(conn: &capstan::Conn, session: &mut Session) {
        let left =
            conn.attributes().with_mut(|left: &mut LeftByServer| std::mem::take(&mut left.0));
        for room in left.into_iter().flatten() {
            session.rooms.remove(&room);
        }
    }
}
