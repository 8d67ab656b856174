//! Rust callees, subscribers, callers and publishers in the router's own
//! process: a [`LocalSession`] joins a realm like a client, through the same
//! sans-IO session, but its messages travel as values on a channel — no
//! serializing, no socket. Clients over WebSocket see it as any other
//! session.
//!
//! ```no_run
//! use capstan_wamp::{LocalSession, Payload, Router, Value, WampServer};
//!
//! # async fn run() -> Result<(), capstan_wamp::WampError> {
//! let wamp = WampServer::new(Router::new(["realm1"]));
//! let local = LocalSession::join(&wamp, "realm1")?;
//! local
//!     .register("com.example.add", Default::default(), |call| async move {
//!         let args = call.payload.args.unwrap_or_default();
//!         let sum: i64 = args.iter().filter_map(|a| a.as_i64()).sum();
//!         Ok(Payload::args(vec![Value::Int(sum)]))
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod dispatch;
mod error;

pub use error::WampError;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::{self, WeakUnboundedSender};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use crate::id::Id;
use crate::message::{Message, Payload};
use crate::router::Session;
use crate::server::WampServer;
use crate::value::{Dict, Value};

/// A call of a procedure registered by a [`LocalSession`].
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The arguments.
    pub payload: Payload,
    /// INVOCATION.Details (the procedure for a pattern registration, the
    /// caller if disclosed).
    pub details: Dict,
}

/// An event received by a [`LocalSession`]'s subscriber.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The publication's ID.
    pub publication: Id,
    /// EVENT.Details (the topic for a pattern subscription, the publisher
    /// if disclosed).
    pub details: Dict,
    /// What was published.
    pub payload: Payload,
}

type CallFuture = Pin<Box<dyn Future<Output = Result<Payload, WampError>> + Send>>;
/// A registered procedure.
type Procedure = Arc<dyn Fn(Invocation) -> CallFuture + Send + Sync>;
/// A subscriber.
type Subscriber = Arc<dyn Fn(Event) + Send + Sync>;

/// A request waiting for the router's answer, and what to keep if it
/// succeeds (kept by the dispatcher, before any INVOCATION or EVENT for it
/// can arrive).
struct Waiting {
    answer: oneshot::Sender<Message>,
    on_success: Option<Handler>,
}

enum Handler {
    Procedure(Procedure),
    Subscriber(Subscriber),
}

/// What a local session keeps.
struct State {
    session: Session,
    next_request: u64,
    waiting: HashMap<Id, Waiting>,
    procedures: HashMap<Id, Procedure>,
    subscribers: HashMap<Id, Subscriber>,
    /// Invocations being answered, to interrupt.
    running: HashMap<Id, AbortHandle>,
}

struct Inner {
    server: WampServer,
    /// Where the router sends to this session. Only the router holds it
    /// strongly: when the session leaves, the channel closes and the
    /// dispatcher ends.
    inbox: WeakUnboundedSender<Message>,
    state: Mutex<State>,
}

/// A session of this process in a realm of a [`WampServer`]. Cheap to
/// clone. It stays in its realm, serving its procedures and subscribers,
/// until [`LocalSession::leave`] (or the router's shutdown), whether or not
/// a handle to it is kept.
#[derive(Clone)]
pub struct LocalSession(Arc<Inner>);

impl LocalSession {
    /// Joins `realm` of `wamp` as a trusted in-process session
    /// (authrole `trusted`, every feature of a caller, callee, publisher
    /// and subscriber). Needs a Tokio runtime.
    pub fn join(wamp: &WampServer, realm: &str) -> Result<Self, WampError> {
        let (inbox, mut messages) = mpsc::unbounded_channel();
        let state = State {
            session: Session::trusted(),
            next_request: 0,
            waiting: HashMap::new(),
            procedures: HashMap::new(),
            subscribers: HashMap::new(),
            running: HashMap::new(),
        };
        let inner = Arc::new(Inner {
            server: wamp.clone(),
            inbox: inbox.downgrade(),
            state: Mutex::new(state),
        });
        let hello = Message::Hello { realm: realm.to_owned(), details: hello_details() };
        wamp.local_step(&mut inner.lock().session, &inbox, Some(hello));
        drop(inbox);
        // The router answers HELLO at once.
        match messages.try_recv() {
            Ok(Message::Welcome { .. }) => {}
            Ok(Message::Abort { reason, details }) => {
                let message = details.get("message").cloned().unwrap_or(Value::Null);
                return Err(WampError { uri: reason, payload: Payload::args(vec![message]) });
            }
            other => panic!("the router answered HELLO with {other:?}"),
        }
        tokio::spawn(dispatch::run(inner.clone(), messages));
        Ok(Self(inner))
    }

    /// The session's ID, while it is in its realm.
    pub fn id(&self) -> Option<Id> {
        self.0.lock().session.id()
    }

    /// Registers `procedure` (REGISTER.Options in `options`: `match`,
    /// `invoke`, …) answered by `handler`: the registration's ID.
    pub async fn register<F, Fut>(
        &self,
        procedure: &str,
        options: Dict,
        handler: F,
    ) -> Result<Id, WampError>
    where
        F: Fn(Invocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Payload, WampError>> + Send + 'static,
    {
        let handler: Procedure = Arc::new(move |call| Box::pin(handler(call)));
        let procedure = procedure.to_owned();
        let answer = self
            .request(Some(Handler::Procedure(handler)), |request| Message::Register {
                request,
                options,
                procedure,
            })
            .await?;
        match answer {
            Message::Registered { registration, .. } => Ok(registration),
            other => Err(WampError::unexpected(&other)),
        }
    }

    /// Subscribes `handler` to `topic` (SUBSCRIBE.Options in `options`):
    /// the subscription's ID. Handlers run in order, one at a time: keep
    /// them short, or spawn.
    pub async fn subscribe<F>(
        &self,
        topic: &str,
        options: Dict,
        handler: F,
    ) -> Result<Id, WampError>
    where
        F: Fn(Event) + Send + Sync + 'static,
    {
        let topic = topic.to_owned();
        let answer =
            self.request(Some(Handler::Subscriber(Arc::new(handler))), |request| {
                Message::Subscribe { request, options, topic }
            })
            .await?;
        match answer {
            Message::Subscribed { subscription, .. } => Ok(subscription),
            other => Err(WampError::unexpected(&other)),
        }
    }

    /// Publishes to `topic`. With `acknowledge: true` in `options`, waits
    /// for the router's PUBLISHED (or its error).
    pub async fn publish(
        &self,
        topic: &str,
        options: Dict,
        payload: Payload,
    ) -> Result<(), WampError> {
        let topic = topic.to_owned();
        if options.get("acknowledge").and_then(Value::as_bool) == Some(true) {
            let publish = |request| Message::Publish { request, options, topic, payload };
            return match self.request(None, publish).await? {
                Message::Published { .. } => Ok(()),
                other => Err(WampError::unexpected(&other)),
            };
        }
        let mut state = self.0.lock();
        let request = state.next_request();
        self.0.step(&mut state, Message::Publish { request, options, topic, payload });
        Ok(())
    }

    /// Calls `procedure`: its final result (progressive ones are not asked
    /// for), or the error of the callee or the router.
    pub async fn call(
        &self,
        procedure: &str,
        options: Dict,
        payload: Payload,
    ) -> Result<Payload, WampError> {
        let procedure = procedure.to_owned();
        let call = |request| Message::Call { request, options, procedure, payload };
        match self.request(None, call).await? {
            Message::Result { payload, .. } => Ok(payload),
            other => Err(WampError::unexpected(&other)),
        }
    }

    /// Leaves the realm (GOODBYE): its registrations and subscriptions go.
    pub fn leave(&self) {
        let mut state = self.0.lock();
        let goodbye =
            Message::Goodbye { details: Dict::new(), reason: "wamp.close.close_realm".into() };
        self.0.step(&mut state, goodbye);
    }

    /// Sends the request `make` builds and waits for its answer; an ERROR
    /// answer is returned as the error.
    async fn request(
        &self,
        on_success: Option<Handler>,
        make: impl FnOnce(Id) -> Message,
    ) -> Result<Message, WampError> {
        let (answer, answered) = oneshot::channel();
        {
            let mut state = self.0.lock();
            if state.session.id().is_none() {
                return Err(WampError::left());
            }
            let request = state.next_request();
            state.waiting.insert(request, Waiting { answer, on_success });
            self.0.step(&mut state, make(request));
        }
        match answered.await {
            Ok(Message::Error { error, payload, .. }) => Err(WampError { uri: error, payload }),
            Ok(message) => Ok(message),
            Err(_) => Err(WampError::left()),
        }
    }
}

impl State {
    fn next_request(&mut self) -> Id {
        self.next_request = self.next_request % crate::id::MAX_ID + 1;
        Id::new(self.next_request).expect("within 1..=2^53")
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands `message` to the router as this session's (nothing, once it
    /// left).
    fn step(&self, state: &mut State, message: Message) {
        if let Some(inbox) = self.inbox.upgrade() {
            self.server.local_step(&mut state.session, &inbox, Some(message));
        }
    }
}

/// HELLO.Details of a local session: every role, with the features its
/// dispatcher serves.
fn hello_details() -> Dict {
    let role = |features: &[&str]| {
        let features = features.iter().map(|f| ((*f).to_owned(), Value::Bool(true))).collect();
        Value::Dict(Dict::from([("features".to_owned(), Value::Dict(features))]))
    };
    let roles = Dict::from([
        ("caller".to_owned(), role(&[])),
        ("callee".to_owned(), role(&["call_canceling", "registration_revocation"])),
        ("publisher".to_owned(), role(&[])),
        ("subscriber".to_owned(), role(&["subscription_revocation"])),
    ]);
    Dict::from([("roles".to_owned(), Value::Dict(roles))])
}

#[cfg(test)]
mod tests;
