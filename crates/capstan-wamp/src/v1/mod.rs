//! WAMP v1 as Ratchet serves it: `wamp` over WebSocket, JSON text, nine
//! messages (WELCOME, PREFIX, CALL, CALLRESULT, CALLERROR, SUBSCRIBE,
//! UNSUBSCRIBE, PUBLISH, EVENT).
//!
//! The codec is sans-IO and usable on its own (by a v2 router hosting v1
//! clients, say): [`Message`] reads and writes the nine messages.

mod decode;
mod encode;
mod error;
mod json;
mod message;

pub use error::DecodeError;
pub use message::{Exclude, Message, MessageType};
