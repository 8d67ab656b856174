//! Backend hooks, for applications whose users and sessions live in
//! another framework (a PHP app's session, a Django login): the server
//! POSTs JSON to the backend with the browser's cookies and allowed
//! headers, and the backend allows, refuses, or says who the user is.
//! The JSON is Centrifugo's proxy shape.
//!
//! Each file one concept, bottom to top: the failure policy, the errors,
//! a hook's config, the forwarded headers, the client id, the answer, the
//! HTTP client.

#![allow(dead_code)] // the hooks that use these come next

mod answer;
mod client;
mod client_id;
mod config;
mod error;
mod forwarded;
mod policy;

pub use client::HookClient;
pub use config::{HookConfig, HookConfigError};
pub use error::HookError;
pub use forwarded::{DEFAULT_FORWARDED, ForwardedHeaders};
pub use policy::FailurePolicy;
