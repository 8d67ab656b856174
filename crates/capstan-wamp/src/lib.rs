//! WAMP for Capstan: the fourth layer of Ratchet's stack (I/O → HTTP →
//! WebSocket → WAMP → your app). Built on capstan's public API only.
//!
//! ```no_run
//! use capstan::{HttpServer, IoServer, WsConfig, WsServer};
//! use capstan_wamp::{Router, WampServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let wamp = WampServer::new(Router::new(["realm1"]));
//! let ws = WsServer::with_config(wamp, WampServer::ws_config(WsConfig::default()));
//! IoServer::bind("127.0.0.1:8080", HttpServer::new(ws)).await?.run().await
//! # }
//! ```
//!
//! Below the router and its WebSocket side lies the sans-IO codec: [`Value`] (what WAMP messages are
//! made of), [`Id`] and URI checks, every WAMP v2 message ([`Message`],
//! codes 1–70) checked field by field, and the three serializers chosen by
//! WebSocket subprotocol ([`Serializer`]: `wamp.2.json`, `wamp.2.msgpack`,
//! `wamp.2.cbor`).
#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod id;
mod ids;
mod local;
pub mod message;
pub mod pattern;
pub mod router;
pub mod serializer;
mod server;
pub mod uri;
pub mod v1;
pub mod value;

pub use id::Id;
pub use local::{Event, Invocation, LocalSession, WampError};
pub use message::{DecodeError, Message, Payload};
pub use router::Router;
pub use serializer::{SerializeError, Serializer};
pub use server::{Connection, JOIN_TIMEOUT, WampServer};
pub use value::{Dict, Value};
