//! WAMP v1 as Ratchet serves it: `wamp` over WebSocket, JSON text, nine
//! messages (WELCOME, PREFIX, CALL, CALLRESULT, CALLERROR, SUBSCRIBE,
//! UNSUBSCRIBE, PUBLISH, EVENT), and CURIEs.
//!
//! The codec and the session are sans-IO and usable on their own (by a v2
//! router hosting v1 clients, say): [`Message`] reads and writes the nine
//! messages, [`Prefixes`] expands CURIEs, [`Session`] takes what a client
//! sends and says what the application is asked ([`Inbound`]) or how to
//! refuse it ([`Refusal`]).

mod curie;
mod decode;
mod encode;
mod error;
mod json;
mod message;
mod session;

pub use curie::Prefixes;
pub use error::DecodeError;
pub use message::{Exclude, Message, MessageType};
pub use session::{ERROR_INVALID_ARGUMENT, Inbound, Refusal, Session};
