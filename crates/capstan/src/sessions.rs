//! Session mode (docs/SESSIONS.md): a route whose connections survive the
//! network. Its [`SessionRoute`] serves the application's connections as
//! sessions: each runs over one transport at a time (a WebSocket; the HTTP
//! fallbacks where a WebSocket cannot pass), and when the transport drops,
//! the session lives on for a grace period with what it still has to send;
//! a client that comes back resumes it — nothing lost, nothing twice, and
//! the application sees one continuous connection. The protocol's rules
//! are [`crate::resume`]'s; this module wires them to transports.

mod attached;
mod batch;
mod carrier;
mod clock;
mod core;
mod downstream;
mod entry;
mod events;
mod fallback;
mod link;
mod registry;
mod route;
mod tokens;

pub use crate::conn::TransportKind;
pub use core::Identify;
pub use fallback::FallbackConfig;
pub use route::{SessionRoute, SessionRouteBuilder};

pub use crate::resume::{Identity, SessionConfig, SessionId};

/// The browser client of session mode (`clients/js/capstan.js`: an ES
/// module exporting `CapstanSocket`), for an HTTP service to serve at
/// `/capstan.js` as `text/javascript`.
pub const CLIENT_JS: &str = include_str!("../../../clients/js/capstan.js");
