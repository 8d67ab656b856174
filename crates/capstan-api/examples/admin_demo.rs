//! The live admin page on a small real app: broadcast rooms at `/ws`
//! (`/ws?room=NAME`, default `lobby`: every message goes to the room's
//! other clients), the admin page at `/admin`, its feed at `/admin/ws`.
//!
//! ```text
//! CAPSTAN_ADMIN_TOKEN=$(head -c 16 /dev/urandom | xxd -p) \
//!     cargo run -p capstan-api --example admin_demo -- --port 8080
//! ```
//!
//! then open http://127.0.0.1:8080/admin and log in with the token. The
//! numbers come from counters this example keeps itself (an application
//! would implement `AdminSource` over `capstan::stats`); the topics and
//! the node from a minimal server API over its `Topics`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use capstan::{
    CloseCause, CloseInfo, Component, Conn, HttpServer, HttpService, IoServer, Message, Router,
    Timeout, Topics, WsServer,
};
use capstan_api::{
    Admin, AdminConfig, AdminSample, AdminSource, Api, ApiError, ApiFuture, Channels,
    ChannelsReply, Disconnect, Empty, ErrorCode, History, HistoryReply, Info, InfoReply, NodeInfo,
    Presence, PresenceReply, PresenceStats, PresenceStatsReply, Publish, PublishReply, ServerApi,
    Unsubscribe,
};

/// What the example counts of its own traffic.
#[derive(Default)]
struct Counters {
    open: AtomicU64,
    accepted: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    closes: Mutex<BTreeMap<String, u64>>,
}

impl AdminSource for Counters {
    fn sample(&self) -> AdminSample {
        AdminSample {
            connections_open: self.open.load(Relaxed),
            connections_accepted_total: self.accepted.load(Relaxed),
            messages_in_total: self.messages_in.load(Relaxed),
            messages_out_total: self.messages_out.load(Relaxed),
            bytes_in_total: self.bytes_in.load(Relaxed),
            bytes_out_total: self.bytes_out.load(Relaxed),
            closes: self.closes.lock().unwrap().clone(),
        }
    }
}

/// The name a close cause is counted under (those of `capstan::stats`).
fn cause_name(cause: &CloseCause) -> &'static str {
    match cause {
        CloseCause::PeerClosed => "peer_closed",
        CloseCause::ClosedByServer => "closed_by_server",
        CloseCause::TimedOut(Timeout::Keepalive) => "keepalive_timeout",
        CloseCause::TimedOut(_) => "idle_timeout",
        CloseCause::ProtocolError(_) => "protocol_error",
        CloseCause::ServerShutdown => "server_shutdown",
        CloseCause::SlowConsumer => "slow_consumer",
        CloseCause::RateLimited => "rate_limited",
        _ => "connection_lost",
    }
}

/// Broadcast rooms: a client is in the room its URL names.
struct Rooms {
    topics: Topics,
    counters: Arc<Counters>,
}

/// The room a connection is in (kept in its attributes).
#[derive(Clone)]
struct RoomName(String);

impl Component for Rooms {
    async fn on_open(&self, conn: &Conn) {
        let room = conn.request().query_param("room").map_or("lobby".into(), |r| r.into_owned());
        self.topics.subscribe(&room, conn);
        conn.attributes().insert(RoomName(room));
        self.counters.accepted.fetch_add(1, Relaxed);
        self.counters.open.fetch_add(1, Relaxed);
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        self.counters.messages_in.fetch_add(1, Relaxed);
        self.counters.bytes_in.fetch_add(message.len() as u64, Relaxed);
        let Some(RoomName(room)) = conn.attributes().get::<RoomName>() else { return };
        let Some(topic) = self.topics.get(&room) else { return };
        let len = message.len() as u64;
        let delivery = topic.publish_except(message, &[conn.id()]);
        self.counters.messages_out.fetch_add(delivery.queued as u64, Relaxed);
        self.counters.bytes_out.fetch_add(len * delivery.queued as u64, Relaxed);
    }

    async fn on_close(&self, _conn: &Conn, close: CloseInfo) {
        self.counters.open.fetch_sub(1, Relaxed);
        let mut closes = self.counters.closes.lock().unwrap();
        *closes.entry(cause_name(&close.cause).to_owned()).or_default() += 1;
    }
}

/// The two operations the admin page reads — channels from the rooms,
/// info for this one node — and `NotAvailable` for the rest.
struct DemoApi {
    topics: Topics,
    counters: Arc<Counters>,
    name: String,
    started: Instant,
}

fn not_here<T>() -> ApiFuture<'static, T> {
    Box::pin(async { Err(ApiError::new(ErrorCode::NotAvailable)) })
}

impl ServerApi for DemoApi {
    fn publish(&self, _: Publish) -> ApiFuture<'_, PublishReply> {
        not_here()
    }

    fn presence(&self, _: Presence) -> ApiFuture<'_, PresenceReply> {
        not_here()
    }

    fn presence_stats(&self, _: PresenceStats) -> ApiFuture<'_, PresenceStatsReply> {
        not_here()
    }

    fn history(&self, _: History) -> ApiFuture<'_, HistoryReply> {
        not_here()
    }

    fn channels(&self, _: Channels) -> ApiFuture<'_, ChannelsReply> {
        let mut reply = ChannelsReply::default();
        for name in self.topics.names() {
            if let Some(topic) = self.topics.get(&name) {
                let num_clients = topic.len() as u64;
                reply.channels.insert(name, capstan_api::ChannelInfo { num_clients });
            }
        }
        Box::pin(async move { Ok(reply) })
    }

    fn disconnect(&self, _: Disconnect) -> ApiFuture<'_, Empty> {
        not_here()
    }

    fn unsubscribe(&self, _: Unsubscribe) -> ApiFuture<'_, Empty> {
        not_here()
    }

    fn info(&self, _: Info) -> ApiFuture<'_, InfoReply> {
        let names = self.topics.names();
        let subs: u64 =
            names.iter().filter_map(|n| self.topics.get(n)).map(|t| t.len() as u64).sum();
        let clients = self.counters.open.load(Relaxed);
        let node = NodeInfo {
            uid: self.name.clone(),
            name: self.name.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            num_clients: clients,
            num_users: clients,
            num_channels: names.len() as u64,
            num_subs: subs,
            uptime: self.started.elapsed().as_secs(),
        };
        Box::pin(async move { Ok(InfoReply { nodes: vec![node] }) })
    }
}

/// `--port N` (default 8080; 0 for any free port) and `--admin-token T`
/// (else `CAPSTAN_ADMIN_TOKEN`; neither: the admin page is off).
fn args() -> (u16, Option<String>) {
    let mut port = 8080;
    let mut token = std::env::var("CAPSTAN_ADMIN_TOKEN").ok().filter(|t| !t.is_empty());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => port = value.parse().expect("--port: a port number"),
            ("--admin-token", Some(value)) => token = Some(value),
            _ => panic!("usage: admin_demo [--port N] [--admin-token TOKEN]"),
        }
    }
    (port, token)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (port, token) = args();
    let topics = Topics::new();
    let counters = Arc::new(Counters::default());
    let api = Api::new(DemoApi {
        topics: topics.clone(),
        counters: counters.clone(),
        name: format!("127.0.0.1:{port}"),
        started: Instant::now(),
    });
    let config = AdminConfig { token, ..AdminConfig::default() };
    let admin = Admin::new(config, api, counters.clone())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;

    let rooms = Rooms { topics, counters };
    let router =
        Router::new().route("/ws", WsServer::new(rooms)).route("/admin/ws", admin.ws_endpoint());
    let http = HttpServer::new(router).with_service(HttpService::from_tower(admin.router()));
    let server = IoServer::bind(("127.0.0.1", port), http).await?;
    let addr = server.local_addr()?;
    let admin_state = if admin.is_on() { "on" } else { "off: no token" };
    println!("admin demo on http://{addr} (rooms at /ws, admin page at /admin, {admin_state})");
    server.run().await
}
