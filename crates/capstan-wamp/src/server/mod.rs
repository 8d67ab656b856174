//! The WAMP layer in Capstan's stack: `WsServer::new(WampServer::new(router))`,
//! as Ratchet's `new WsServer(new WampServer($app))`. Each connection's
//! serializer is the subprotocol it agreed; each message is decoded, handed
//! to the connection's [`Session`], and what the session says is sent: an
//! event for many subscribers is serialized once per serializer and the
//! frame shared (a slow subscriber is left to its connection's overflow
//! policy).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

mod peer;

use capstan::{CloseCode, CloseInfo, Conn, StatefulComponent, WsConfig};
use tokio::sync::mpsc::UnboundedSender;

use peer::{Peer, fan_out};

use crate::id::Id;
use crate::message::Message;
use crate::router::errors::SYSTEM_SHUTDOWN;
use crate::router::{Out, Router, Session};
use crate::serializer::Serializer;

/// The router and the connections of its sessions, under one lock.
pub(crate) struct Shared {
    pub(crate) router: Router,
    peers: HashMap<Id, Peer>,
}

/// The WAMP v2 layer: a [`StatefulComponent`] for `WsServer`. Cheap to
/// clone; clones serve the same router (mount one on several paths).
#[derive(Clone)]
pub struct WampServer(Arc<Mutex<Shared>>);

/// A connection's WAMP state: its serializer and session.
pub struct Connection {
    serializer: Serializer,
    session: Session,
}

impl WampServer {
    /// Serves `router`.
    pub fn new(router: Router) -> Self {
        Self(Arc::new(Mutex::new(Shared { router, peers: HashMap::new() })))
    }

    /// The WebSocket settings WAMP needs: its subprotocols (JSON preferred,
    /// then MessagePack, then CBOR), on top of `config`.
    pub fn ws_config(config: WsConfig) -> WsConfig {
        let protocols = Serializer::ALL.iter().map(|s| s.subprotocol().to_owned()).collect();
        WsConfig { protocols, ..config }
    }

    /// How many sessions are joined in `realm`.
    pub fn session_count(&self, realm: &str) -> usize {
        self.lock().router.realm(realm).map_or(0, |r| r.session_count())
    }

    /// How many sessions are joined, in every realm.
    pub fn session_total(&self) -> usize {
        self.lock().peers.len()
    }

    /// Says GOODBYE (`wamp.close.system_shutdown`) to every session, as a
    /// router going down should; each connection closes when its client
    /// answers. Returns how many were told.
    pub fn shut_down(&self) -> usize {
        let mut shared = self.lock();
        let out = shared.router.shut_down(SYSTEM_SHUTDOWN, "the router is shutting down");
        let told = out.len();
        self.deliver(&mut shared, None, out);
        told
    }

    /// Hands `message` from the in-process session `session` to the
    /// router, as if a client had sent it; what comes back for it goes to
    /// `me`. Records the session as a peer when it joins, forgets it when
    /// it leaves.
    pub(crate) fn local_step(
        &self,
        session: &mut Session,
        me: &UnboundedSender<Message>,
        message: Option<Message>,
    ) {
        let mut shared = self.lock();
        let was = session.id();
        let out = match message {
            Some(message) => session.handle(&mut shared.router, message),
            None => session.ended(&mut shared.router),
        };
        match (was, session.id()) {
            (None, Some(joined)) => drop(shared.peers.insert(joined, Peer::Local(me.clone()))),
            (Some(left), None) => drop(shared.peers.remove(&left)),
            _ => {}
        }
        self.deliver(&mut shared, Some(&Peer::Local(me.clone())), out);
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Does what a session step said: `me` is the connection that spoke
    /// (none for a timer).
    fn deliver(&self, shared: &mut Shared, me: Option<&Peer>, out: Vec<Out>) {
        for step in out {
            match step {
                Out::Reply(message) => {
                    if let Some(me) = me {
                        me.send(&message);
                    }
                }
                Out::To(to, message) => {
                    if let Some(peer) = shared.peers.get(&to) {
                        peer.send(&message);
                    }
                }
                Out::Fanout(to, message) => fan_out(&shared.peers, &to, &message),
                Out::Close => {
                    if let Some(Peer::Remote { conn, .. }) = me {
                        conn.close(CloseCode::NORMAL, "");
                    }
                }
                Out::Timer { realm, invocation, timer, after_ms } => {
                    let server = self.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(after_ms)).await;
                        let mut shared = server.lock();
                        let out = shared.router.timer_fired(&realm, invocation, timer);
                        server.deliver(&mut shared, None, out);
                    });
                }
            }
        }
    }
}

impl StatefulComponent for WampServer {
    type State = Option<Connection>;

    async fn on_open(&self, conn: &Conn) -> Option<Connection> {
        match conn.protocol().and_then(Serializer::from_subprotocol) {
            Some(serializer) => Some(Connection { serializer, session: Session::new() }),
            None => {
                let offer = "WAMP needs a subprotocol: wamp.2.json, wamp.2.msgpack or wamp.2.cbor";
                conn.close(CloseCode::PROTOCOL_ERROR, offer);
                None
            }
        }
    }

    async fn on_message(
        &self,
        conn: &Conn,
        state: &mut Option<Connection>,
        message: capstan::Message,
    ) {
        let Some(state) = state else { return };
        let decoded = state.serializer.decode(&message);
        let was = state.session.id();
        let mut shared = self.lock();
        let out = match decoded {
            Ok(message) => state.session.handle(&mut shared.router, message),
            Err(error) => state.session.undecodable(&mut shared.router, &error),
        };
        // Reachable by the router from its WELCOME on, until it leaves.
        match (was, state.session.id()) {
            (None, Some(joined)) => {
                let peer = Peer::Remote { conn: conn.clone(), serializer: state.serializer };
                shared.peers.insert(joined, peer);
            }
            (Some(left), None) => drop(shared.peers.remove(&left)),
            _ => {}
        }
        let me = Peer::Remote { conn: conn.clone(), serializer: state.serializer };
        self.deliver(&mut shared, Some(&me), out);
    }

    async fn on_close(&self, conn: &Conn, state: Option<Connection>, _close: CloseInfo) {
        let Some(mut state) = state else { return };
        let mut shared = self.lock();
        let id = state.session.id();
        let out = state.session.ended(&mut shared.router);
        if let Some(id) = id {
            shared.peers.remove(&id);
        }
        let me = Peer::Remote { conn: conn.clone(), serializer: state.serializer };
        self.deliver(&mut shared, Some(&me), out);
    }
}
