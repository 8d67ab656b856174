//! The chat's wire protocol (docs/chat-protocol.md): JSON envelopes
//! `{"type": ..., "data": {...}}` both ways.

pub mod client;
pub mod server;

pub use client::{Command, parse};
