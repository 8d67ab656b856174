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
//! - The live admin page ([`Admin`]): traffic charts, top topics, nodes
//!   and close causes, pushed over a WebSocket, behind its own token.
//!
//! docs/API.md lists every method, request, reply and error code;
//! docs/OPERATIONS.md describes the admin page.

#![forbid(unsafe_code)]

mod admin;
mod backend;
mod command;
mod error;
mod handle;
mod reply;

pub use admin::{
    Admin, AdminConfig, AdminConfigError, AdminEndpoint, AdminSample, AdminSource, MIN_TOKEN_BYTES,
};
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
