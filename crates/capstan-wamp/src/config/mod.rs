//! The router's config file (`capstan-router --config FILE`): JSON, as
//! crossbar's, read into [`RouterConfig`] and checked whole before the
//! router starts. `docs/WAMP.md` ("Authentication, authorization and the config file") is the reference; in short:
//!
//! ```json
//! { "transport": { "bind": "127.0.0.1", "port": 8080, "paths": ["/ws", "/"],
//!                  "tls": { "cert": "cert.pem", "key": "key.pem" } },
//!   "realms": [ { "name": "realm1",
//!     "roles": [ { "name": "anonymous", "permissions": [
//!       { "uri": "", "match": "prefix", "call": true, "register": true,
//!         "publish": true, "subscribe": true } ] } ],
//!     "auth": { "anonymous": { "role": "anonymous" },
//!               "ticket": { "principals": { "alice": { "ticket": "…", "role": "user" } } },
//!               "wampcra": { "principals": { "bob": { "secret": "…", "role": "user" },
//!                 "carol": { "secret": "…", "role": "user",
//!                            "salt": "salt123", "iterations": 1000, "keylen": 32 } } },
//!               "cryptosign": { "principals": {
//!                 "dave": { "authorized_keys": ["<64 hex digits>"], "role": "user" } } } } } ],
//!   "broker": { "redis": "redis://127.0.0.1:6379" } }
//! ```
//!
//! - `transport` may be left out, and each of its fields: `127.0.0.1`,
//!   8080, `["/ws", "/"]`, no TLS. TLS file names are relative to the
//!   config file's folder; both files are loaded when the config is read.
//! - A permission's `match` defaults to `exact`; each action to `false`.
//! - A method left out of `auth` is not served; a realm must serve one.
//! - Every role `auth` gives must be one of the realm's `roles`.
//! - `broker` may be left out (this process only); otherwise it names
//!   exactly one of `redis` and `nats`, with the engine's URL.
//!
//! Refused, with the line or the path of the value: unknown fields, a key
//! given twice, missing fields, a realm name that is not a URI, duplicate
//! realms, roles or permissions, an empty ticket or secret, `salt`,
//! `iterations` and `keylen` not given together (or out of range), a
//! cryptosign key that is not 32 bytes of hex on the curve or that two
//! principals share, a bind address or path that cannot be served, TLS
//! files that do not load, a `broker` naming both engines, neither, or an
//! empty URL.

mod broker;
mod error;
mod file;
mod realm;
mod router_config;
mod transport;
mod unique_map;

pub use broker::BrokerConfig;
pub use error::ConfigError;
pub use realm::{MAX_KEYLEN, RealmConfig};
pub use router_config::RouterConfig;
pub use transport::{TlsFiles, TransportConfig};

#[cfg(test)]
mod tests;
