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
//! docs/API.md lists every method, request, reply and error code.

#![forbid(unsafe_code)]

mod backend;
mod batch;
mod command;
mod config;
mod error;
mod handle;
mod key;
mod observer;
mod port;
mod rate;
mod reply;
mod service;
mod topics_api;

pub use backend::{ApiFuture, ServerApi};
pub use command::{
    Broadcast, Channels, Command, Disconnect, DisconnectReason, History, Info, Presence,
    PresenceStats, Publish, StreamPosition, Unsubscribe,
};
pub use config::{ApiConfig, ConfigError, RateLimit};
pub use error::{ApiError, ErrorCode};
pub use handle::Api;
pub use observer::{OK, Observer, UNKNOWN_METHOD};
pub use port::ApiServer;
pub use reply::{
    BroadcastReply, ChannelInfo, ChannelsReply, ClientInfo, Empty, HistoryReply, InfoReply,
    NodeInfo, PresenceReply, PresenceStatsReply, Publication, PublishReply, Reply,
};
pub use service::ApiService;
pub use topics_api::{DISCONNECT_CODE, IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW, TopicsApi};
