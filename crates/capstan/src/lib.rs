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
pub mod conn;
mod error;
pub mod http;
pub mod pubsub;
mod request;
pub mod server;
pub mod ws;
mod ws_server;

pub use app::App;
pub use component::{CloseCause, CloseInfo, Component, StatefulComponent, Timeout};
pub use conn::{Attributes, Conn, ConnId, Overflow};
pub use error::{ConnError, SendError};
pub use http::{HttpConfig, HttpServer, HttpService, Request, Router};
pub use pubsub::{Delivery, Topic, Topics};
pub use server::{IoServer, ServerConfig, ShutdownHandle};
pub use ws::{CloseCode, Message, PreparedMessage, ProtocolError, Utf8Bytes};
pub use ws_server::{MessageRate, WsConfig, WsServer};
