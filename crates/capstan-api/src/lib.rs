//! The surface of a Capstan server for the web application's backend and
//! for its operators.
//!
//! - The server API ([`Api`]): publish, broadcast, presence, history,
//!   channels, disconnect, unsubscribe, info and batch — as methods on a
//!   handle for Rust code, and over HTTP ([`ApiService`]) in the shape of
//!   Centrifugo's HTTP API, so that its server SDKs (`cent`, …) work
//!   unchanged. An application implements [`ServerApi`] once: what a
//!   channel is and how a publication reaches its subscribers is its
//!   business — or takes [`TopicsApi`], the implementation for any
//!   application on capstan's `Topics`.
//!
//! - Backend hooks ([`hooks`]): connect, subscribe and publish hooks that
//!   ask the application's backend over HTTP (with the browser's cookies)
//!   who a connection is and what it may do; docs/HOOKS.md.
//!
//! - The live admin page ([`Admin`]): traffic charts, top topics, nodes
//!   and close causes, pushed over a WebSocket, behind its own token;
//!   docs/OPERATIONS.md.
//!
//! - The operators' endpoints ([`router`]): `/metrics` ([`Metrics`]: the
//!   server's counters, the process's resources, API and broker/store
//!   latencies, in the Prometheus text format), `/healthz` and `/readyz`
//!   ([`Health`]: the application's readiness checks).
//!
//! On the WebSocket's port (plain requests go to the API; the app's own
//! axum routes can be merged with [`ApiService::router`]):
//!
//! ```no_run
//! # use capstan::{Component, Conn, HttpServer, IoServer, Message, Topics, WsServer};
//! # use capstan_api::{Api, ApiConfig, ApiService, TopicsApi};
//! # struct Chat { api: TopicsApi }
//! # impl Component for Chat {
//! #     async fn on_open(&self, conn: &Conn) { self.api.subscribe("lobby", conn); }
//! #     async fn on_message(&self, _: &Conn, _: Message) {}
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let api = TopicsApi::new(Topics::new());
//! let service = ApiService::new(Api::new(api.clone()), ApiConfig::with_key("KEY"))?;
//! let http = HttpServer::new(WsServer::new(Chat { api })).with_service(service.http_service());
//! IoServer::bind("0.0.0.0:8000", http).await?.run().await?;
//! # Ok(())
//! # }
//! ```
//!
//! On a port of its own (`--api-port`), run beside the WebSocket's; both
//! stop on SIGINT/SIGTERM:
//!
//! ```no_run
//! # use capstan::{Component, Conn, HttpServer, IoServer, Message, Topics, WsServer};
//! # use capstan_api::{Api, ApiConfig, ApiService, TopicsApi};
//! # struct Chat { api: TopicsApi }
//! # impl Component for Chat {
//! #     async fn on_open(&self, conn: &Conn) { self.api.subscribe("lobby", conn); }
//! #     async fn on_message(&self, _: &Conn, _: Message) {}
//! # }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let api = TopicsApi::new(Topics::new());
//! let service = ApiService::new(Api::new(api.clone()), ApiConfig::with_key("KEY"))?;
//! let ws = IoServer::bind("0.0.0.0:8000", HttpServer::new(WsServer::new(Chat { api }))).await?;
//! let api_port = service.bind("127.0.0.1:8001").await?;
//! tokio::try_join!(ws.run(), api_port.run())?;
//! # Ok(())
//! # }
//! ```
//!
//! docs/API.md lists every method, request, reply, HTTP status and error
//! code.

#![forbid(unsafe_code)]

mod admin;
mod backend;
mod batch;
mod collector;
mod command;
mod config;
mod endpoints;
mod error;
mod handle;
mod health;
pub mod hooks;
mod key;
mod metrics;
mod observer;
mod port;
mod process;
mod rate;
mod reply;
mod service;
mod topics_api;

pub use admin::{
    Admin, AdminConfig, AdminConfigError, AdminEndpoint, AdminSample, AdminSource, CapstanStats,
    MIN_TOKEN_BYTES,
};
pub use backend::{ApiFuture, ServerApi};
pub use command::{
    Broadcast, Channels, Command, Disconnect, DisconnectReason, History, Info, Presence,
    PresenceStats, Publish, StreamPosition, Unsubscribe,
};
pub use config::{ApiConfig, ConfigError, RateLimit};
pub use endpoints::router;
pub use error::{ApiError, ErrorCode};
pub use handle::Api;
pub use health::{Health, NotReady, ProbeFuture, Readiness, ReadyFlag};
pub use metrics::{CONTENT_TYPE, Metrics};
pub use observer::{OK, Observer, UNKNOWN_METHOD};
pub use port::ApiServer;
pub use process::ProcessReading;
pub use reply::{
    BroadcastReply, ChannelInfo, ChannelsReply, ClientInfo, Empty, HistoryReply, InfoReply,
    NodeInfo, PresenceReply, PresenceStatsReply, Publication, PublishReply, Reply,
};
pub use service::ApiService;
pub use topics_api::{DISCONNECT_CODE, IDEMPOTENCY_KEYS, IDEMPOTENCY_WINDOW, TopicsApi};

/// docs/HOOKS.md's Rust example, compiled by `cargo test --doc` so that it
/// stays as shown.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/HOOKS.md")]
struct HooksGuide;
