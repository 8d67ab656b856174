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
//! - The operators' endpoints ([`router`]): `/metrics` ([`Metrics`]: the
//!   server's counters, the process's resources, API and broker/store
//!   latencies, in the Prometheus text format), `/healthz` and `/readyz`
//!   ([`Health`]: the application's readiness checks).
//!
//! docs/API.md lists every method, request, reply and error code;
//! docs/OPERATIONS.md every metric and what the health endpoints answer.

#![forbid(unsafe_code)]

mod backend;
mod collector;
mod command;
mod endpoints;
mod error;
mod handle;
mod health;
mod metrics;
mod process;
mod reply;

pub use backend::{ApiFuture, ServerApi};
pub use command::{
    Broadcast, Channels, Command, Disconnect, DisconnectReason, History, Info, Presence,
    PresenceStats, Publish, StreamPosition, Unsubscribe,
};
pub use endpoints::router;
pub use error::{ApiError, ErrorCode};
pub use handle::Api;
pub use health::{Health, NotReady, ProbeFuture, Readiness, ReadyFlag};
pub use metrics::{CONTENT_TYPE, Metrics};
pub use process::ProcessReading;
pub use reply::{
    BroadcastReply, ChannelInfo, ChannelsReply, ClientInfo, Empty, HistoryReply, InfoReply,
    NodeInfo, PresenceReply, PresenceStatsReply, Publication, PublishReply, Reply,
};
