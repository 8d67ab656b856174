//! Who hears that an append was stored: the connection that posted it (the
//! `ack` envelope, or a `storage_failed` error), or the server API's caller
//! (the stored id and epoch, or why it failed).

use capstan::Conn;
use tokio::sync::oneshot;

use super::answers;
use crate::message::StoredMessage;
use crate::protocol::server as wire;

/// What the server API hears of a stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiStored {
    /// Its id in the room (the API's offset).
    pub id: u64,
    /// The room history's epoch ("" on one node: SQLite has one sequence).
    pub epoch: String,
    /// It was stored before under the same client id (idempotency key).
    pub duplicate: bool,
}

/// The receiving end of an API append.
pub type ApiAck = oneshot::Receiver<Result<ApiStored, String>>;

/// Who is told how an append ended.
#[derive(Debug)]
pub enum AckTo {
    /// The connection that posted it.
    Conn(Conn),
    /// A server API call, waiting.
    Api(oneshot::Sender<Result<ApiStored, String>>),
}

impl AckTo {
    /// An API append's two ends.
    pub fn api() -> (Self, ApiAck) {
        let (tx, rx) = oneshot::channel();
        (Self::Api(tx), rx)
    }

    /// Stored as `message` in `epoch` (the earlier copy if `duplicate`).
    pub fn stored(self, message: &StoredMessage, epoch: &str, duplicate: bool) {
        match self {
            Self::Conn(conn) => {
                let _ = conn.send_text(wire::ack(message, duplicate));
            }
            Self::Api(reply) => {
                let stored = ApiStored { id: message.id, epoch: epoch.to_owned(), duplicate };
                let _ = reply.send(Ok(stored));
            }
        }
    }

    /// Not stored: the `kind` request (`message`, `direct`) failed for
    /// `why` (logged); a connection reads `message`.
    pub fn failed(self, kind: &str, client_id: Option<&str>, why: &str, message: &str) {
        match self {
            Self::Conn(conn) => answers::failed(&conn, kind, client_id, why, message),
            Self::Api(reply) => {
                tracing::error!(error = why, kind, "store failed (server API)");
                let _ = reply.send(Err(why.to_owned()));
            }
        }
    }
}
