//! The WAMP v1 layer in Capstan's stack, as Ratchet's `WampServer`:
//! `WsServer::with_config(WampV1Server::new(app), ws_config(…))`.
//! Each client gets a session ID and WELCOME on open; each message goes
//! through its [`Session`] (prefixes, CURIEs, `excludeMe`), subscriptions
//! through the [`TopicManager`], and the rest to the application.
//!
//! Bad input: a CALL that can be read up to its call ID but no further is
//! answered with CALLERROR ([`ERROR_INVALID_ARGUMENT`](super::ERROR_INVALID_ARGUMENT))
//! and the connection goes on; anything else that breaks WAMP v1 closes
//! the connection with the [`DecodeError`](super::DecodeError)'s close code
//! (1007; 1003 for binary; 1008 past the prefix bound) and its text as the
//! reason, after `on_error` tells the application.

use std::sync::{Arc, Mutex};

use capstan::{CloseCode, CloseInfo, Conn, ConnError, StatefulComponent, WsConfig};

use super::app::{WampV1App, WampV1Error};
use super::conn::WampConn;
use super::session::{Inbound, Session};
use super::topic_manager::TopicManager;
use crate::ids::IdSource;

/// The WebSocket subprotocol of WAMP v1.
pub const SUBPROTOCOL: &str = "wamp";

/// What WELCOME says the server is.
pub const SERVER_IDENT: &str = concat!("Capstan/", env!("CARGO_PKG_VERSION"));

/// The WebSocket settings WAMP v1 needs — its subprotocol, `wamp`, which
/// clients such as autobahn insist on — on top of `config` (what
/// `WampServer::ws_config` is for v2; a function of its own, as
/// [`WampV1Server`]'s application type could not be inferred here).
pub fn ws_config(config: WsConfig) -> WsConfig {
    WsConfig { protocols: vec![SUBPROTOCOL.to_owned()], ..config }
}

struct Shared<A> {
    app: A,
    topics: TopicManager,
    /// Where session IDs come from: random, as WAMP v2's (so a bridge can
    /// give a v1 client the same ID in both protocols).
    ids: Mutex<IdSource>,
}

/// The WAMP v1 layer: serves a [`WampV1App`] as a [`StatefulComponent`]
/// for `WsServer`. Cheap to clone; clones serve the same application and
/// topics (mount one on several paths, keep one for its topics).
pub struct WampV1Server<A>(Arc<Shared<A>>);

impl<A> Clone for WampV1Server<A> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<A: WampV1App> WampV1Server<A> {
    /// Serves `app`.
    pub fn new(app: A) -> Self {
        let ids = Mutex::new(IdSource::new());
        Self(Arc::new(Shared { app, topics: TopicManager::new(), ids }))
    }

    /// The topics and their subscribers (to broadcast from outside a
    /// callback, as Ratchet's push integration does).
    pub fn topics(&self) -> &TopicManager {
        &self.0.topics
    }

    /// The application.
    pub fn app(&self) -> &A {
        &self.0.app
    }

    fn new_session(&self) -> Session {
        let mut ids = self.0.ids.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Session::new(ids.random().get().to_string())
    }
}

/// Why a connection cannot be served, from the subprotocol agreed: one
/// that is not `wamp`, or none although the client offered some (a
/// client that offers none is served: JSON is WAMP v1's only format).
fn subprotocol_refusal(conn: &Conn) -> Option<&'static str> {
    match conn.protocol() {
        Some(SUBPROTOCOL) => None,
        Some(_) => Some("this endpoint speaks WAMP v1 (subprotocol wamp)"),
        None if conn.request().header_tokens("sec-websocket-protocol").next().is_some() => Some(
            "WAMP v1 needs the subprotocol wamp agreed (WsConfig: capstan_wamp::v1::ws_config)",
        ),
        None => None,
    }
}

impl<A: WampV1App> StatefulComponent for WampV1Server<A> {
    type State = Option<WampConn>;

    async fn on_open(&self, conn: &Conn) -> Option<WampConn> {
        if let Some(reason) = subprotocol_refusal(conn) {
            conn.close(CloseCode::PROTOCOL_ERROR, reason);
            return None;
        }
        let session = self.new_session();
        let welcome = session.welcome(SERVER_IDENT);
        let wamp = WampConn::new(conn.clone(), session);
        wamp.send(&welcome);
        self.0.app.on_open(&wamp).await;
        Some(wamp)
    }

    async fn on_message(
        &self,
        _conn: &Conn,
        state: &mut Option<WampConn>,
        message: capstan::Message,
    ) {
        let Some(wamp) = state.as_ref() else { return };
        let (app, topics) = (&self.0.app, &self.0.topics);
        match wamp.receive(&message) {
            Ok(Inbound::Prefix { .. }) => {}
            Ok(Inbound::Call { call_id, proc_uri, args }) => {
                app.on_call(wamp, &call_id, &topics.topic(&proc_uri), args).await;
            }
            Ok(Inbound::Subscribe { topic_uri }) => {
                if let Some(topic) = topics.subscribe(wamp, &topic_uri) {
                    app.on_subscribe(wamp, &topic).await;
                }
            }
            Ok(Inbound::Unsubscribe { topic_uri }) => {
                if let Some(topic) = topics.unsubscribe(wamp, &topic_uri) {
                    app.on_unsubscribe(wamp, &topic).await;
                }
            }
            Ok(Inbound::Publish { topic_uri, event, exclude, eligible }) => {
                let topic = topics.topic(&topic_uri);
                app.on_publish(wamp, &topic, event, &exclude, &eligible).await;
            }
            Err(refusal) => match refusal.answer() {
                Some(call_error) => drop(wamp.send(&call_error)),
                None => {
                    let error = refusal.error().clone();
                    wamp.close_with(error.close_code(), &error.to_string());
                    app.on_error(wamp, WampV1Error::Protocol(error)).await;
                }
            },
        }
    }

    async fn on_close(&self, _conn: &Conn, state: Option<WampConn>, _close: CloseInfo) {
        let Some(wamp) = state else { return };
        self.0.app.on_close(&wamp).await;
        self.0.topics.leave_all(&wamp);
    }

    async fn on_error(&self, _conn: &Conn, state: &mut Option<WampConn>, error: ConnError) {
        if let Some(wamp) = state {
            self.0.app.on_error(wamp, WampV1Error::Connection(error)).await;
        }
    }
}

#[cfg(test)]
mod tests;
