//! The WAMP layer in Capstan's stack: `WsServer::new(WampServer::new(router))`,
//! as Ratchet's `new WsServer(new WampServer($app))`. Each connection's
//! serializer is the subprotocol it agreed; each message is decoded, handed
//! to the connection's [`Session`], and what the session says is sent: an
//! event for many subscribers is serialized once per serializer and the
//! frame shared (a slow subscriber is left to its connection's overflow
//! policy). Publications go through capstan's broker seam (`seam`) and
//! come back to be routed, so that with a broker across the network they
//! reach every node.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

mod peer;
mod seam;
mod v1_bridge;

use capstan::pubsub::{Ack, Acknowledged, BrokerError, Fanout};
use capstan::{
    CloseCode, CloseInfo, Conn, Listening, PreparedMessage, StatefulComponent, Topics, WsConfig,
};
use tokio::sync::mpsc::UnboundedSender;

use peer::{Peer, fan_out};
use v1_bridge::V1Bridge;

use crate::id::Id;
use crate::message::{Code, Message, Payload};
use crate::router::errors::SYSTEM_SHUTDOWN;
use crate::router::{Out, Publication, Router, Session};
use crate::serializer::Serializer;
use crate::v1;
use crate::value::{Dict, Value};

/// The router and the connections of its sessions, under one lock.
pub(crate) struct Shared {
    pub(crate) router: Router,
    peers: HashMap<Id, Peer>,
}

/// What every clone of a [`WampServer`] shares.
struct Inner {
    shared: Mutex<Shared>,
    /// The broker seam: publications leave and come back through it.
    topics: Topics,
    /// This node listens to its realms' channels while it lives.
    listening: Mutex<Vec<Listening>>,
    /// The realm WAMP v1 clients join, if they are served.
    v1_realm: std::sync::OnceLock<String>,
    /// Events go out paced, as a capstan topic's publishes.
    fanout: Fanout,
    /// How long a connection may take to join a realm (HELLO, and the
    /// authentication), if not the default.
    join_timeout: std::sync::OnceLock<Duration>,
}

/// How long a connection may take to join a realm, by default.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The WAMP v2 layer: a [`StatefulComponent`] for `WsServer`. Cheap to
/// clone; clones serve the same router (mount one on several paths).
#[derive(Clone)]
pub struct WampServer(Arc<Inner>);

/// A connection's WAMP state: how it speaks, and its session.
pub struct Connection {
    wire: Wire,
    session: Session,
    /// Set once the session joined: the join timer then lets it be.
    joined: Arc<AtomicBool>,
}

/// How a connection speaks.
enum Wire {
    /// WAMP v2 with this serializer.
    V2(Serializer),
    /// WAMP v1, through the bridge.
    V1(Arc<Mutex<V1Bridge>>),
}

impl WampServer {
    /// Serves `router`, its publications through this process's own
    /// topics (capstan's in-process broker).
    pub fn new(router: Router) -> Self {
        Self::with_topics(router, Topics::new())
    }

    /// Serves `router`, its publications through `topics` and their broker:
    /// give every node's server topics on the same broker across the
    /// network, and a publication on any node reaches subscribers on all.
    pub fn with_topics(router: Router, topics: Topics) -> Self {
        let realms = router.realm_names();
        let shared = Mutex::new(Shared { router, peers: HashMap::new() });
        let inner = Arc::new(Inner {
            shared,
            topics,
            listening: Mutex::default(),
            v1_realm: Default::default(),
            fanout: Fanout::new(),
            join_timeout: std::sync::OnceLock::new(),
        });
        let listening = realms
            .iter()
            .map(|realm| {
                let server = Arc::downgrade(&inner);
                inner.topics.listen(&seam::channel(realm), move |frame| {
                    if let Some(inner) = server.upgrade() {
                        WampServer(inner).arrived(frame);
                    }
                })
            })
            .collect();
        *inner.listening.lock().unwrap_or_else(|p| p.into_inner()) = listening;
        Self(inner)
    }

    /// The capstan topic `realm`'s publications travel on through the
    /// broker, `wamp:<realm>`: await the broker's `ready` for it to know
    /// this node receives other nodes' publications.
    pub fn realm_topic(realm: &str) -> String {
        seam::channel(realm)
    }

    /// The WebSocket settings WAMP needs: its subprotocols (JSON preferred,
    /// then MessagePack, then CBOR), on top of `config`.
    pub fn ws_config(config: WsConfig) -> WsConfig {
        let protocols = Serializer::ALL.iter().map(|s| s.subprotocol().to_owned()).collect();
        WsConfig { protocols, ..config }
    }

    /// Also serves WAMP v1 clients (subprotocol `wamp`, Ratchet's
    /// generation) as sessions of `realm`, bridged (see
    /// [`WampServer::ws_config_with_v1`] and docs/WAMP.md for the mapping).
    /// Set once; later calls are ignored.
    pub fn with_v1(self, realm: &str) -> Self {
        let _ = self.0.v1_realm.set(realm.to_owned());
        self
    }

    /// Closes (1008) a connection that has not joined a realm `timeout`
    /// after it opened: HELLO and the authentication must be done by then
    /// ([`JOIN_TIMEOUT`] unless set). Set once; later calls are ignored.
    pub fn with_join_timeout(self, timeout: Duration) -> Self {
        let _ = self.0.join_timeout.set(timeout);
        self
    }

    /// [`WampServer::ws_config`] plus WAMP v1's subprotocol `wamp`, last.
    pub fn ws_config_with_v1(config: WsConfig) -> WsConfig {
        let mut config = Self::ws_config(config);
        config.protocols.push(v1::SUBPROTOCOL.to_owned());
        config
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
        let publications = self.deliver(&mut shared, None, out);
        drop(shared);
        self.publish(publications);
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
        let publications = self.deliver(&mut shared, Some(&Peer::Local(me.clone())), out);
        drop(shared);
        self.publish(publications);
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.0.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A publication came back from the seam: this node's events for it.
    fn arrived(&self, frame: &PreparedMessage) {
        let Some(publication) = seam::decode(frame) else {
            eprintln!("capstan-wamp: a message on a realm's channel is no publication");
            return;
        };
        let mut shared = self.lock();
        let out = shared.router.route_publication(&publication);
        // Routing makes events only: nothing more to publish.
        let _ = self.deliver(&mut shared, None, out);
    }

    /// Hands publications to the seam (never under the router's lock: the
    /// in-process broker routes them back at once). A publisher that asked
    /// gets PUBLISHED once the broker has the publication.
    fn publish(&self, publications: Vec<Publication>) {
        for publication in publications {
            let channel = seam::channel(&publication.realm);
            let published =
                self.0.topics.publish_prepared(&channel, &seam::encode(&publication), &[]);
            if let Some((session, request)) = publication.acknowledge {
                self.acknowledge(session, request, publication.id, published.ack);
            }
        }
    }

    fn acknowledge(&self, session: Id, request: Id, publication: Id, mut ack: Ack) {
        match ack.now() {
            Some(answer) => self.answer_publisher(session, request, publication, answer),
            None => {
                let server = self.clone();
                tokio::spawn(async move {
                    let answer = ack.await;
                    server.answer_publisher(session, request, publication, answer);
                });
            }
        }
    }

    fn answer_publisher(
        &self,
        session: Id,
        request: Id,
        publication: Id,
        answer: Result<Acknowledged, BrokerError>,
    ) {
        let message = match answer {
            Ok(_) => Message::Published { request, publication },
            Err(error) => Message::Error {
                request_type: Code::Publish.number(),
                request,
                details: Dict::new(),
                error: BROKER_UNAVAILABLE.into(),
                payload: Payload::args(vec![Value::from(error.to_string())]),
            },
        };
        if let Some(peer) = self.lock().peers.get(&session) {
            peer.send(&message);
        }
    }

    /// Does what a session step said: `me` is the connection that spoke
    /// (none for a timer). Returns the publications, for [`Self::publish`]
    /// once the lock is released.
    #[must_use]
    fn deliver(&self, shared: &mut Shared, me: Option<&Peer>, out: Vec<Out>) -> Vec<Publication> {
        let mut publications = Vec::new();
        for step in out {
            match step {
                Out::Publish(publication) => publications.push(*publication),
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
                Out::Fanout(to, message) => fan_out(&self.0.fanout, &shared.peers, &to, &message),
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
                        let _ = server.deliver(&mut shared, None, out);
                    });
                }
            }
        }
        publications
    }
}

impl StatefulComponent for WampServer {
    type State = Option<Connection>;

    async fn on_open(&self, conn: &Conn) -> Option<Connection> {
        let protocol = conn.protocol();
        if let Some(serializer) = protocol.and_then(Serializer::from_subprotocol) {
            let joined = Arc::new(AtomicBool::new(false));
            self.close_unless_joined(conn, joined.clone());
            return Some(Connection {
                wire: Wire::V2(serializer),
                session: Session::new(),
                joined,
            });
        }
        if protocol == Some(v1::SUBPROTOCOL)
            && let Some(realm) = self.0.v1_realm.get()
        {
            return self.open_v1(conn, realm);
        }
        let offer = "WAMP needs a subprotocol: wamp.2.json, wamp.2.msgpack or wamp.2.cbor";
        conn.close(CloseCode::PROTOCOL_ERROR, offer);
        None
    }

    async fn on_message(
        &self,
        conn: &Conn,
        state: &mut Option<Connection>,
        message: capstan::Message,
    ) {
        let Some(state) = state else { return };
        let decoded = match &state.wire {
            Wire::V2(serializer) => serializer.decode(&message),
            Wire::V1(bridge) => {
                let mut bridge = bridge.lock().unwrap_or_else(|p| p.into_inner());
                match bridge.session.receive(&message) {
                    Ok(inbound) => match bridge.inbound(inbound) {
                        Some(message) => Ok(message),
                        None => return,
                    },
                    Err(refusal) => {
                        match refusal.answer() {
                            Some(answer) => {
                                let _ = conn.send(capstan::Message::text(answer.to_text()));
                            }
                            None => {
                                let error = refusal.error();
                                conn.close(error.close_code(), &error.to_string());
                            }
                        }
                        return;
                    }
                }
            }
        };
        let was = state.session.id();
        let mut shared = self.lock();
        let out = match decoded {
            Ok(message) => state.session.handle(&mut shared.router, message),
            Err(error) => state.session.undecodable(&mut shared.router, &error),
        };
        let me = state.peer(conn);
        // Reachable by the router from its WELCOME on, until it leaves.
        match (was, state.session.id()) {
            (None, Some(joined)) => {
                state.joined.store(true, Ordering::Relaxed);
                shared.peers.insert(joined, state.peer(conn));
            }
            (Some(left), None) => drop(shared.peers.remove(&left)),
            _ => {}
        }
        let publications = self.deliver(&mut shared, Some(&me), out);
        drop(shared);
        self.publish(publications);
    }

    async fn on_close(&self, conn: &Conn, state: Option<Connection>, _close: CloseInfo) {
        let Some(mut state) = state else { return };
        let mut shared = self.lock();
        let id = state.session.id();
        let out = state.session.ended(&mut shared.router);
        if let Some(id) = id {
            shared.peers.remove(&id);
        }
        let me = state.peer(conn);
        let publications = self.deliver(&mut shared, Some(&me), out);
        drop(shared);
        self.publish(publications);
    }
}

impl Connection {
    /// How the router reaches this connection.
    fn peer(&self, conn: &Conn) -> Peer {
        match &self.wire {
            Wire::V2(serializer) => Peer::Remote { conn: conn.clone(), serializer: *serializer },
            Wire::V1(bridge) => Peer::V1 { conn: conn.clone(), bridge: bridge.clone() },
        }
    }
}

impl WampServer {
    /// A v1 client opened: its session joins `realm` at once (v1 has no
    /// HELLO) and the client gets v1's WELCOME with the session's ID.
    fn open_v1(&self, conn: &Conn, realm: &str) -> Option<Connection> {
        let mut session = Session::new();
        let hello = Message::Hello { realm: realm.to_owned(), details: v1_roles() };
        let mut shared = self.lock();
        let out = session.handle(&mut shared.router, hello);
        let Some(id) = session.id() else {
            drop(shared);
            conn.close(CloseCode::INTERNAL_ERROR, &format!("WAMP v1 cannot join realm {realm}"));
            return None;
        };
        let v1_session = v1::Session::new(id.to_string());
        let welcome = v1_session.welcome(v1::SERVER_IDENT);
        let bridge = Arc::new(Mutex::new(V1Bridge::new(v1_session)));
        let joined = Arc::new(AtomicBool::new(true));
        let state = Connection { wire: Wire::V1(bridge), session, joined };
        let _ = conn.send(capstan::Message::text(welcome.to_text()));
        shared.peers.insert(id, state.peer(conn));
        let me = state.peer(conn);
        let publications = self.deliver(&mut shared, Some(&me), out);
        drop(shared);
        self.publish(publications);
        Some(state)
    }
}

impl WampServer {
    /// Closes `conn` with 1008 if it has not joined (`joined`) when the join
    /// timeout runs out: a client may not hold a connection without a
    /// session (never saying HELLO, or never answering a CHALLENGE).
    fn close_unless_joined(&self, conn: &Conn, joined: Arc<AtomicBool>) {
        let timeout = self.0.join_timeout.get().copied().unwrap_or(JOIN_TIMEOUT);
        let conn = conn.clone();
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if !joined.load(Ordering::Relaxed) {
                let why = format!("no WAMP session within {} ms of opening", timeout.as_millis());
                conn.close(CloseCode::POLICY_VIOLATION, &why);
            }
        });
    }
}

/// HELLO.Details for a v1 client: what v1 lets it do.
fn v1_roles() -> Dict {
    let role = || Value::Dict(Dict::new());
    let roles: Dict =
        ["caller", "publisher", "subscriber"].into_iter().map(|r| (r.to_owned(), role())).collect();
    Dict::from([("roles".to_owned(), Value::Dict(roles))])
}

/// A PUBLISH the broker refused (its engine is down).
const BROKER_UNAVAILABLE: &str = "wamp.error.unavailable";
