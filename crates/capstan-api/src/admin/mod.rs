//! The live admin page (`/admin`): connections, messages and bytes per
//! second over the last minutes as charts, the busiest topics, the nodes,
//! recent close causes — pushed to the page over a Capstan WebSocket
//! (`/admin/ws`) once a second, never polled.
//!
//! The application gives the numbers ([`AdminSource`]) and the server API
//! ([`crate::Api`]: topics and nodes); [`Admin`] gives the routes to
//! mount. The page is behind a token of its own ([`AdminConfig`]), which
//! a login exchanges for an HttpOnly, SameSite=Strict session cookie.
//! docs/OPERATIONS.md says how to turn it on and what it shows.

mod assets;
mod config;
mod cookie;
mod endpoint;
mod feed;
mod frame;
mod history;
mod login;
mod login_limit;
mod mount;
mod rates;
mod routes;
mod sessions;
mod slots;
mod source;
mod token;
mod view;

pub use config::{AdminConfig, AdminConfigError, MIN_TOKEN_BYTES};
pub use endpoint::AdminEndpoint;
pub use mount::Admin;
pub use source::{AdminSample, AdminSource, CapstanStats};
