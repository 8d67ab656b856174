//! The HTTP layer: reads the request head, hands upgrade requests inward
//! and plain requests to an optional HTTP service.

mod assets;
mod auth;
pub(crate) mod component;
mod conn_limit;
mod either;
pub(crate) mod fallback;
mod head;
mod host_router;
pub(crate) mod http_server;
mod ip_policy;
#[cfg(feature = "jwt")]
mod jwt;
mod kept_alive;
mod origin;
pub(crate) mod router;

pub use crate::request::{MAX_HEADERS, ParseError};
// Reached from the crate root only: named here for the crate's own modules.
pub(crate) use crate::request::{Rejection, Request};
pub use assets::{Asset, Assets, plain};
pub use auth::{Authenticate, Authenticator};
pub use component::{Decision, HttpComponent, Upgrade};
pub use conn_limit::PerIpLimit;
pub use either::Either;
pub use fallback::{BoxError, HttpResponse};
pub use head::HeadError;
pub use host_router::HostRouter;
pub(crate) use http_server::HttpServer;
pub use ip_policy::{Cidr, InvalidCidr, IpFilter, IpPolicy};
#[cfg(feature = "jwt")]
pub use jwt::{InvalidKey, JwtAuth, JwtClaims, TokenSource};
pub use origin::{OriginCheck, OriginPolicy};
pub(crate) use router::Router;
