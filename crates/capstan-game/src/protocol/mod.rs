//! The wire protocol (docs/game-protocol.md): the original TikzTakz
//! messages, answered exactly, and the new ones.

pub mod client;
pub mod server;
