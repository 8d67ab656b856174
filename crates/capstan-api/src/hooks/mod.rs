//! Backend hooks, for applications whose users and sessions live in
//! another framework (a PHP app's session, a Django login): the server
//! POSTs JSON to the backend — at the handshake (connect), and when the
//! application asks (subscribe, publish) — with the browser's cookies and
//! allowed headers, and the backend allows, refuses, or says who the user
//! is. The JSON is Centrifugo's proxy shape; docs/HOOKS.md has it all.
//!
//! Each file one concept, bottom to top: the failure policy, the errors,
//! a hook's config, the forwarded headers, the client id, the answer, the
//! HTTP client, the refusal, the identity, the policy applied, then the
//! three hooks.

mod answer;
mod client;
mod client_id;
mod config;
mod connect;
mod denied;
mod error;
mod forwarded;
mod identity;
mod outcome;
mod policy;
mod publish;
mod subscribe;

pub use client::HookClient;
pub use config::{HookConfig, HookConfigError};
pub use connect::{ConnectHook, handshake_rejection};
pub use denied::HookDenied;
pub use error::HookError;
pub use forwarded::{DEFAULT_FORWARDED, ForwardedHeaders};
pub use identity::{ChannelGrant, HookIdentity};
pub use policy::FailurePolicy;
pub use publish::PublishHook;
pub use subscribe::{SubscribeAllowed, SubscribeHook};
