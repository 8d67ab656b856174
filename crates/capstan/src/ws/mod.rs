//! The sans-IO WebSocket codec (RFC 6455): frames, masking, UTF-8, close
//! codes, the opening handshake. Bytes in, events out; frames in, bytes out.
//! Nothing here touches a socket, so every rule is tested without one.

pub mod close;
pub mod decoder;
pub mod deflate;
pub mod encoder;
pub mod error;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod opcode;
mod prepared;
pub mod utf8;

pub use close::{CloseCode, CloseFrame};
pub use decoder::{Decoder, Event, Limits, Role};
pub use encoder::{OutFrame, encode_client_frame, encode_frame};
pub use error::ProtocolError;
pub use frame::FrameHeader;
pub use message::{Message, Utf8Bytes};
pub use opcode::OpCode;
pub use prepared::PreparedMessage;
