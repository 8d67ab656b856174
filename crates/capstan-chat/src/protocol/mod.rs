//! The chat's wire protocol (docs/chat-protocol.md): JSON envelopes
//! `{"type": ..., "data": {...}}` both ways.

pub mod client;
pub mod server;
pub mod since;

pub use client::{Command, parse};
pub use since::Since;
