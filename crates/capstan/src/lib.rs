//! Capstan: real-time web applications over WebSockets.
//!
//! As in PHP's Ratchet, an application is a [`Component`] with four
//! callbacks, served by a stack of small layers that wrap each other:
//!
//! ```no_run
//! use capstan::{Component, Conn, HttpServer, IoServer, Message, Topic, WsServer};
//!
//! struct Chat {
//!     room: Topic,
//! }
//!
//! impl Component for Chat {
//!     async fn on_open(&self, conn: &Conn) {
//!         self.room.subscribe(conn);
//!     }
//!
//!     async fn on_message(&self, conn: &Conn, message: Message) {
//!         self.room.publish_except(message, &[conn.id()]);
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let chat = Chat { room: Topic::new("lobby") };
//! IoServer::bind("0.0.0.0:8080", HttpServer::new(WsServer::new(chat))).await?.run().await
//! # }
//! ```
//!
//! Layers: [`IoServer`] (TCP, limits, graceful shutdown) → [`HttpServer`]
//! (request head, plain HTTP service) → [`Router`] (optional, by path) →
//! [`WsServer`] (handshake, RFC 6455, keepalive) → your [`Component`].

mod app;
mod component;
mod conn;
mod error;
pub mod http;
mod overflow;
pub mod pubsub;
mod request;
pub mod resume;
pub mod server;
pub mod sessions;
pub mod stats;
pub mod ws;
mod ws_server;

// What an application needs, each at this one path; the modules above hold
// what layers of your own, brokers and the codec need.
pub use app::App;
pub use component::{CloseCause, CloseInfo, Component, Shared, StatefulComponent, Timeout};
pub use conn::{
    Attributes, Conn, ConnId, Membership, Overflow, TransportKind, waiting_with_read_buffer,
};
pub use error::{ConnError, SendError};
pub use http::fallback::HttpService;
pub use http::http_server::{HttpConfig, HttpServer};
pub use http::router::Router;
pub use pubsub::topic::{Delivery, Topic};
pub use pubsub::topics::{Listening, Topics};
pub use request::{Rejection, Request};
pub use server::io_server::{IoServer, ServerConfig};
pub use server::shutdown::ShutdownHandle;
pub use server::tls::TlsConfig;
pub use sessions::SessionRoute;
pub use ws::close::CloseCode;
pub use ws::decoder::Limits;
pub use ws::deflate::params::DeflateConfig;
pub use ws::error::ProtocolError;
pub use ws::message::{Message, Utf8Bytes};
pub use ws::prepared::PreparedMessage;
pub use ws_server::{MessageRate, WsConfig, WsServer};

/// The README's examples, compiled by `cargo test --doc` so that they stay
/// as shown.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;

/// The guide's examples (docs/GUIDE.md), compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/GUIDE.md")]
struct GuideExamples;
