//! The local session's side of its channel: answers to its requests, the
//! invocations of its procedures (each in its own task, interruptible),
//! the events of its subscriptions, revocations and the router's GOODBYE.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedReceiver;

use super::{Event, Handler, Inner, Invocation, WampError};
use crate::message::{Code, Message};
use crate::value::{Dict, Value};

/// Reads what the router sends the session until it leaves (the router
/// drops its end of the channel).
pub(super) async fn run(session: Arc<Inner>, mut messages: UnboundedReceiver<Message>) {
    while let Some(message) = messages.recv().await {
        session.dispatch(message);
    }
    // Requests still waiting get no answer: their senders drop here.
    session.lock().waiting.clear();
}

impl Inner {
    fn dispatch(self: &Arc<Self>, message: Message) {
        match message {
            Message::Invocation { request, registration, details, payload } => {
                let procedure = self.lock().procedures.get(&registration).cloned();
                let Some(procedure) = procedure else {
                    let gone = WampError::new("wamp.error.no_such_registration", "unregistered");
                    self.answer(request, Err(gone));
                    return;
                };
                let inner = self.clone();
                // Recorded before the task can answer (it needs the lock).
                let mut state = self.lock();
                let task = tokio::spawn(async move {
                    let answer = procedure(Invocation { payload, details }).await;
                    inner.answer(request, answer);
                });
                state.running.insert(request, task.abort_handle());
            }
            Message::Interrupt { request, .. } => {
                let running = self.lock().running.remove(&request);
                if let Some(task) = running {
                    task.abort();
                    let canceled = WampError::new("wamp.error.canceled", "interrupted");
                    self.answer(request, Err(canceled));
                }
            }
            Message::Event { subscription, publication, details, payload } => {
                let subscriber = self.lock().subscribers.get(&subscription).cloned();
                if let Some(subscriber) = subscriber {
                    subscriber(Event { publication, details, payload });
                }
            }
            // Revocations: the router took a subscription or registration.
            Message::Unsubscribed { request: None, details: Some(details) } => {
                if let Some(id) = revoked(&details, "subscription") {
                    self.lock().subscribers.remove(&id);
                }
            }
            Message::Unregistered { request: None, details: Some(details) } => {
                if let Some(id) = revoked(&details, "registration") {
                    self.lock().procedures.remove(&id);
                }
            }
            Message::Goodbye { .. } => {
                let mut state = self.lock();
                let answer = Message::Goodbye {
                    details: Dict::new(),
                    reason: "wamp.close.goodbye_and_out".into(),
                };
                self.step(&mut state, answer);
                state.waiting.clear();
            }
            answer => self.answered(answer),
        }
    }

    /// An answer to one of the session's requests.
    fn answered(&self, answer: Message) {
        let request = match &answer {
            Message::Registered { request, .. }
            | Message::Subscribed { request, .. }
            | Message::Published { request, .. }
            | Message::Result { request, .. }
            | Message::Error { request, .. } => *request,
            Message::Unregistered { request: Some(request), .. }
            | Message::Unsubscribed { request: Some(request), .. } => *request,
            _ => return,
        };
        let mut state = self.lock();
        let Some(waiting) = state.waiting.remove(&request) else { return };
        match (&answer, waiting.on_success) {
            (Message::Registered { registration, .. }, Some(Handler::Procedure(procedure))) => {
                state.procedures.insert(*registration, procedure);
            }
            (Message::Subscribed { subscription, .. }, Some(Handler::Subscriber(subscriber))) => {
                state.subscribers.insert(*subscription, subscriber);
            }
            _ => {}
        }
        drop(state);
        let _ = waiting.answer.send(answer);
    }

    /// Answers invocation `request` with YIELD or ERROR.
    fn answer(&self, request: crate::id::Id, answer: Result<crate::message::Payload, WampError>) {
        let mut state = self.lock();
        state.running.remove(&request);
        if state.session.id().is_none() {
            return;
        }
        let message = match answer {
            Ok(payload) => Message::Yield { request, options: Dict::new(), payload },
            Err(error) => Message::Error {
                request_type: Code::Invocation.number(),
                request,
                details: Dict::new(),
                error: error.uri,
                payload: error.payload,
            },
        };
        self.step(&mut state, message);
    }
}

/// The ID a revocation names under `key`.
fn revoked(details: &Dict, key: &str) -> Option<crate::id::Id> {
    details.get(key).and_then(Value::as_u64).and_then(crate::id::Id::new)
}
