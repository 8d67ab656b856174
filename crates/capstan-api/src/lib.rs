//! The surface of a Capstan server for the web application's backend and
//! for its operators.
//!
//! - The server API ([`Api`]): publish, broadcast, presence, history,
//!   channels, disconnect, unsubscribe, info and batch — as methods on a
//!   handle for Rust code, and over HTTP in the shape of Centrifugo's
//!   HTTP API, so that its server SDKs (`cent`, …) work unchanged.
//!   An application implements [`ServerApi`] once: what a channel is and
//!   how a publication reaches its subscribers is its business.
//!
//! - Backend hooks ([`hooks`]): connect, subscribe and publish hooks that
//!   ask the application's backend over HTTP (with the browser's cookies)
//!   who a connection is and what it may do; docs/HOOKS.md.
//!
//! docs/API.md lists every method, request, reply and error code.

#![forbid(unsafe_code)]

mod backend;
mod command;
mod error;
mod handle;
pub mod hooks;
mod reply;

pub use backend::{ApiFuture, ServerApi};
pub use command::{
    Broadcast, Channels, Command, Disconnect, DisconnectReason, History, Info, Presence,
    PresenceStats, Publish, StreamPosition, Unsubscribe,
};
pub use error::{ApiError, ErrorCode};
pub use handle::Api;
pub use reply::{
    BroadcastReply, ChannelInfo, ChannelsReply, ClientInfo, Empty, HistoryReply, InfoReply,
    NodeInfo, PresenceReply, PresenceStatsReply, Publication, PublishReply, Reply,
};

/// docs/HOOKS.md's Rust example, compiled by `cargo test --doc` so that it
/// stays as shown.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/HOOKS.md")]
struct HooksGuide;
