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
//! numbers are capstan's own counters (`CapstanStats`: the admin page's
//! feed is a connection too); the topics and the node come from
//! `TopicsApi`, the server API of an app on capstan's `Topics`.

use std::sync::Arc;

use capstan::{Component, Conn, HttpServer, HttpService, IoServer, Message, Router, WsServer};
use capstan_api::{Admin, AdminConfig, Api, CapstanStats, TopicsApi};

/// Broadcast rooms: a client is in the room its URL names.
struct Rooms {
    api: TopicsApi,
}

/// The room a connection is in (kept in its attributes).
#[derive(Clone)]
struct RoomName(String);

impl Component for Rooms {
    async fn on_open(&self, conn: &Conn) {
        let room = conn.request().query_param("room").map_or("lobby".into(), |r| r.into_owned());
        self.api.subscribe(&room, conn);
        conn.attributes().insert(RoomName(room));
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        let Some(RoomName(room)) = conn.attributes().get::<RoomName>() else { return };
        if let Some(topic) = self.api.topics().get(&room) {
            topic.publish_except(message, &[conn.id()]);
        }
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
    let api = TopicsApi::new(capstan::Topics::new())
        .with_node(format!("127.0.0.1:{port}"), env!("CARGO_PKG_VERSION"));
    let config = AdminConfig { token, ..AdminConfig::default() };
    let admin = Admin::new(config, Api::new(api.clone()), Arc::new(CapstanStats))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;

    let router = Router::new()
        .route("/ws", WsServer::new(Rooms { api }))
        .route("/admin/ws", admin.ws_endpoint());
    let http = HttpServer::new(router).with_service(HttpService::from_tower(admin.router()));
    let server = IoServer::bind(("127.0.0.1", port), http).await?;
    let addr = server.local_addr()?;
    let admin_state = if admin.is_on() { "on" } else { "off: no token" };
    println!("admin demo on http://{addr} (rooms at /ws, admin page at /admin, {admin_state})");
    server.run().await
}
