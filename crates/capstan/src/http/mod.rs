//! The HTTP layer: reads the request head, hands upgrade requests inward
//! and plain requests to an optional HTTP service.

pub(crate) mod component;
mod fallback;
mod head;
mod http_server;
mod origin;
mod percent;
mod rejection;
mod request;
mod router;

pub use component::{Decision, HttpComponent, Upgrade};
pub use fallback::{HttpResponse, HttpService};
pub use head::HeadError;
pub use http_server::{HttpConfig, HttpServer};
pub use origin::{OriginCheck, OriginPolicy};
pub use rejection::Rejection;
pub use request::{MAX_HEADERS, ParseError, Request};
pub use router::Router;
