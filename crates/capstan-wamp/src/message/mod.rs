//! Every WAMP v2 message (codes 1–70), as a value of [`Message`], read
//! from and written to the list form all serializers share:
//! `[CODE, field, …]`. Reading checks the arity and the type of every field
//! and that IDs are within 1..=2^53; URIs are checked by the router, whose
//! rules depend on the message's options (a wildcard pattern may have
//! empty components).

mod code;
mod decode;
mod encode;
mod error;

pub use code::Code;
pub use error::DecodeError;

use crate::id::Id;
use crate::value::{Dict, Value};

/// The positional and keyword arguments that PUBLISH, EVENT, CALL,
/// INVOCATION, YIELD, RESULT and ERROR may carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payload {
    /// Positional arguments, if any were given.
    pub args: Option<Vec<Value>>,
    /// Keyword arguments, if any were given.
    pub kwargs: Option<Dict>,
}

impl Payload {
    /// No arguments.
    pub fn none() -> Self {
        Self::default()
    }

    /// Positional arguments only.
    pub fn args(args: Vec<Value>) -> Self {
        Self { args: Some(args), kwargs: None }
    }
}

/// A WAMP v2 message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// `[1, Realm, Details]`: a client opens a session on a realm.
    Hello { realm: String, details: Dict },
    /// `[2, Session, Details]`: the router accepts it.
    Welcome { session: Id, details: Dict },
    /// `[3, Details, Reason]`: a session is refused or torn down.
    Abort { details: Dict, reason: String },
    /// `[4, AuthMethod, Extra]`: the router asks the client to prove who it is.
    Challenge { auth_method: String, extra: Dict },
    /// `[5, Signature, Extra]`: the client's answer to a challenge.
    Authenticate { signature: String, extra: Dict },
    /// `[6, Details, Reason]`: either side ends the session; the other answers.
    Goodbye { details: Dict, reason: String },
    /// `[8, REQUEST.Type, REQUEST.Request, Details, Error, Args?, KwArgs?]`.
    Error { request_type: u64, request: Id, details: Dict, error: String, payload: Payload },
    /// `[16, Request, Options, Topic, Args?, KwArgs?]`.
    Publish { request: Id, options: Dict, topic: String, payload: Payload },
    /// `[17, PUBLISH.Request, Publication]`.
    Published { request: Id, publication: Id },
    /// `[32, Request, Options, Topic]`.
    Subscribe { request: Id, options: Dict, topic: String },
    /// `[33, SUBSCRIBE.Request, Subscription]`.
    Subscribed { request: Id, subscription: Id },
    /// `[34, Request, SUBSCRIBED.Subscription]`.
    Unsubscribe { request: Id, subscription: Id },
    /// `[35, UNSUBSCRIBE.Request, Details?]`; request `None` (sent as 0)
    /// with details `{subscription, reason}`: the router revoked it.
    Unsubscribed { request: Option<Id>, details: Option<Dict> },
    /// `[36, Subscription, Publication, Details, Args?, KwArgs?]`.
    Event { subscription: Id, publication: Id, details: Dict, payload: Payload },
    /// `[48, Request, Options, Procedure, Args?, KwArgs?]`.
    Call { request: Id, options: Dict, procedure: String, payload: Payload },
    /// `[49, CALL.Request, Options]`.
    Cancel { request: Id, options: Dict },
    /// `[50, CALL.Request, Details, Args?, KwArgs?]`.
    Result { request: Id, details: Dict, payload: Payload },
    /// `[64, Request, Options, Procedure]`.
    Register { request: Id, options: Dict, procedure: String },
    /// `[65, REGISTER.Request, Registration]`.
    Registered { request: Id, registration: Id },
    /// `[66, Request, REGISTERED.Registration]`.
    Unregister { request: Id, registration: Id },
    /// `[67, UNREGISTER.Request, Details?]`; request `None` (sent as 0)
    /// with details `{registration, reason}`: the router revoked it.
    Unregistered { request: Option<Id>, details: Option<Dict> },
    /// `[68, Request, Registration, Details, Args?, KwArgs?]`.
    Invocation { request: Id, registration: Id, details: Dict, payload: Payload },
    /// `[69, INVOCATION.Request, Options]`.
    Interrupt { request: Id, options: Dict },
    /// `[70, INVOCATION.Request, Options, Args?, KwArgs?]`.
    Yield { request: Id, options: Dict, payload: Payload },
}

impl Message {
    /// The message's code.
    pub fn code(&self) -> Code {
        match self {
            Self::Hello { .. } => Code::Hello,
            Self::Welcome { .. } => Code::Welcome,
            Self::Abort { .. } => Code::Abort,
            Self::Challenge { .. } => Code::Challenge,
            Self::Authenticate { .. } => Code::Authenticate,
            Self::Goodbye { .. } => Code::Goodbye,
            Self::Error { .. } => Code::Error,
            Self::Publish { .. } => Code::Publish,
            Self::Published { .. } => Code::Published,
            Self::Subscribe { .. } => Code::Subscribe,
            Self::Subscribed { .. } => Code::Subscribed,
            Self::Unsubscribe { .. } => Code::Unsubscribe,
            Self::Unsubscribed { .. } => Code::Unsubscribed,
            Self::Event { .. } => Code::Event,
            Self::Call { .. } => Code::Call,
            Self::Cancel { .. } => Code::Cancel,
            Self::Result { .. } => Code::Result,
            Self::Register { .. } => Code::Register,
            Self::Registered { .. } => Code::Registered,
            Self::Unregister { .. } => Code::Unregister,
            Self::Unregistered { .. } => Code::Unregistered,
            Self::Invocation { .. } => Code::Invocation,
            Self::Interrupt { .. } => Code::Interrupt,
            Self::Yield { .. } => Code::Yield,
        }
    }

    /// Reads a message from its list form.
    pub fn from_value(value: Value) -> Result<Self, DecodeError> {
        decode::message(value)
    }

    /// Its list form.
    pub fn to_value(&self) -> Value {
        encode::message(self)
    }
}

#[cfg(test)]
pub(crate) mod tests;
