//! Authentication and authorization, without I/O.
//!
//! **Authentication** (who a session is): a realm's [`Authenticator`]
//! answers HELLO's Details with [`Step::Welcome`] (anonymous) or
//! [`Step::Challenge`] (ticket, WAMP-CRA, cryptosign), whose
//! [`PendingAuth`] checks the client's AUTHENTICATE and gives the
//! [`Identity`] that WELCOME announces; a refusal is an [`AuthError`] with
//! the URI and message of the ABORT to send.
//!
//! ```text
//! HELLO ──► authenticator.hello(details, session) ─┬─► Welcome(identity) ───────────────► WELCOME
//!                                                  ├─► Challenge{authmethod, extra, pending} ─► CHALLENGE
//!                                                  └─► Err(e) ─────────────────────────► ABORT e.uri()
//! AUTHENTICATE ──► pending.authenticate(signature, extra) ─┬─► Ok(identity) ──► WELCOME
//!                                                          └─► Err(e) ────────► ABORT e.uri()
//! ```
//!
//! **Authorization** (what it may do): a realm's [`Authorizer`] holds
//! [`Role`]s of [`Permission`] rules and judges each CALL, REGISTER,
//! PUBLISH and SUBSCRIBE by the session's `authrole`; the most specific
//! matching rule decides (see [`Role`]).

mod action;
mod anonymous;
mod authenticator;
mod authorizer;
mod cryptosign;
mod entropy;
mod error;
mod hello;
mod identity;
mod method;
mod pending;
mod permission;
mod role;
mod secret;
mod ticket;
mod wampcra;

pub use action::Action;
pub use authenticator::{Authenticator, Step};
pub use authorizer::{Authorizer, Denial, NotAuthorized};
pub use cryptosign::{PublicKey, PublicKeyError};
pub use error::{
    AUTHENTICATION_FAILED, AuthError, NO_AUTH_METHOD, NOT_AUTHORIZED, PROTOCOL_VIOLATION,
};
pub use identity::{Identity, STATIC_PROVIDER};
pub use method::AuthMethod;
pub use pending::PendingAuth;
pub use permission::{InvalidPermission, Permission};
pub use role::Role;
pub use wampcra::{Salt, derive_wampcra_key, wampcra_signature};

#[cfg(test)]
pub(crate) mod tests;
