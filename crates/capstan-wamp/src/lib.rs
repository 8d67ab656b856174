//! WAMP for Capstan: the fourth layer of Ratchet's stack (I/O → HTTP →
//! WebSocket → WAMP → your app). Built on capstan's public API only.
//!
//! This first part is the sans-IO codec: [`Value`] (what WAMP messages are
//! made of), [`Id`] and URI checks, every WAMP v2 message ([`Message`],
//! codes 1–70) checked field by field, and the three serializers chosen by
//! WebSocket subprotocol ([`Serializer`]: `wamp.2.json`, `wamp.2.msgpack`,
//! `wamp.2.cbor`).
#![forbid(unsafe_code)]

pub mod id;
pub mod message;
pub mod serializer;
pub mod uri;
pub mod value;

pub use id::Id;
pub use message::{DecodeError, Message, Payload};
pub use serializer::{SerializeError, Serializer};
pub use value::{Dict, Value};
