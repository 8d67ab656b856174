//! The sans-IO WebSocket codec (RFC 6455): frames, masking, UTF-8, close
//! codes, the opening handshake. Bytes in, events out; frames in, bytes out.
//! Nothing here touches a socket, so every rule is tested without one.

pub(crate) mod close;
pub(crate) mod decoder;
pub mod deflate;
mod encoder;
pub(crate) mod error;
mod frame;
pub mod handshake;
pub mod mask;
pub(crate) mod message;
mod opcode;
pub(crate) mod prepared;
mod utf8;

// Reached from the crate root only (`capstan::Message`, …): named here for
// the crate's own modules.
pub(crate) use close::CloseCode;
pub(crate) use decoder::Limits;
pub(crate) use error::ProtocolError;
pub(crate) use message::{Message, Utf8Bytes};
pub(crate) use prepared::PreparedMessage;

pub use close::CloseFrame;
pub use decoder::{Decoder, Event, Role};
pub use encoder::{OutFrame, encode_client_frame, encode_frame};
pub use frame::{FrameHeader, MAX_HEADER_LEN};
pub use opcode::OpCode;
pub use utf8::Utf8Validator;
