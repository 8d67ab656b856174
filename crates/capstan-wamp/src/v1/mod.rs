//! WAMP v1 as Ratchet serves it: `wamp` over WebSocket, JSON text, nine
//! messages (WELCOME, PREFIX, CALL, CALLRESULT, CALLERROR, SUBSCRIBE,
//! UNSUBSCRIBE, PUBLISH, EVENT), CURIEs, and an application written against
//! Ratchet's `WampServerInterface` ([`WampV1App`]) with its `WampConnection`
//! ([`WampConn`]), `Topic` and `TopicManager`.
//!
//! ```no_run
//! use capstan::{HttpServer, IoServer, WsConfig, WsServer};
//! use capstan_wamp::Value;
//! use capstan_wamp::v1::{Topic, WampConn, WampV1App, WampV1Server, ws_config};
//!
//! struct Pubsub;
//!
//! impl WampV1App for Pubsub {
//!     async fn on_call(&self, conn: &WampConn, id: &str, topic: &Topic, _: Vec<Value>) {
//!         conn.call_error(id, topic, "RPC not supported");
//!     }
//!
//!     async fn on_publish(
//!         &self,
//!         _: &WampConn,
//!         topic: &Topic,
//!         event: Value,
//!         exclude: &[String],
//!         eligible: &[String],
//!     ) {
//!         topic.broadcast(&event, exclude, eligible);
//!     }
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let ws = WsServer::with_config(WampV1Server::new(Pubsub), ws_config(WsConfig::default()));
//! IoServer::bind("127.0.0.1:8080", HttpServer::new(ws)).await?.run().await
//! # }
//! ```
//!
//! The codec and the session are sans-IO and usable on their own (by a v2
//! router hosting v1 clients, say): [`Message`] reads and writes the nine
//! messages, [`Prefixes`] expands CURIEs, [`Session`] takes what a client
//! sends and says what the application is asked ([`Inbound`]) or how to
//! refuse it ([`Refusal`]).

mod app;
mod conn;
mod curie;
mod decode;
mod encode;
mod error;
mod json;
mod message;
mod server;
mod session;
mod topic;
mod topic_manager;

pub use app::{WampV1App, WampV1Error};
pub use conn::WampConn;
pub use curie::Prefixes;
pub use error::DecodeError;
pub use message::{Exclude, Message, MessageType};
pub use server::{SERVER_IDENT, SUBPROTOCOL, WampV1Server, ws_config};
pub use session::{ERROR_INVALID_ARGUMENT, Inbound, Refusal, Session};
pub use topic::{Topic, is_recipient};
pub use topic_manager::TopicManager;
