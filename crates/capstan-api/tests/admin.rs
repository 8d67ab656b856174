//! The admin page over real sockets: login and its refusals, the session
//! cookie the feed requires, the origin check, the connection cap, and the
//! feed itself — a snapshot, then updates whose numbers move when a client
//! of the app connects and sends.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capstan::ws::{Event, OpCode};
use capstan::{
    CloseInfo, Component, Conn, HttpServer, HttpService, IoServer, Message, Router, Topics,
    WsServer,
};
use capstan_api::{Admin, AdminConfig, AdminSample, AdminSource, Api, TopicsApi};
use capstan_testkit::client::{Client, UpgradeError};
use capstan_testkit::frame::close_payload;
use capstan_testkit::handshake::upgrade_request;
use capstan_testkit::http::{Response, exchange};
use capstan_testkit::wait::within;
use tokio::net::TcpStream;

const TOKEN: &str = "test-admin-token-0123456789";
/// The page's own origin: the tests' requests say `Host: localhost`.
const ORIGIN: &str = "http://localhost";

// ------------------------------------------------------------ the app

/// The app's counters, as an application would keep them.
#[derive(Default)]
struct Counters {
    open: AtomicU64,
    accepted: AtomicU64,
    messages_in: AtomicU64,
    messages_out: AtomicU64,
    closes: Mutex<BTreeMap<String, u64>>,
}

impl AdminSource for Counters {
    fn sample(&self) -> AdminSample {
        AdminSample {
            connections_open: self.open.load(Relaxed),
            connections_accepted_total: self.accepted.load(Relaxed),
            messages_in_total: self.messages_in.load(Relaxed),
            messages_out_total: self.messages_out.load(Relaxed),
            closes: self.closes.lock().unwrap().clone(),
            ..AdminSample::default()
        }
    }
}

/// One broadcast room, `room`, that counts.
struct Room {
    api: TopicsApi,
    counters: Arc<Counters>,
}

impl Component for Room {
    async fn on_open(&self, conn: &Conn) {
        self.api.subscribe("room", conn);
        self.counters.accepted.fetch_add(1, Relaxed);
        self.counters.open.fetch_add(1, Relaxed);
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        self.counters.messages_in.fetch_add(1, Relaxed);
        let Some(topic) = self.api.topics().get("room") else { return };
        let delivery = topic.publish_except(message, &[conn.id()]);
        self.counters.messages_out.fetch_add(delivery.queued as u64, Relaxed);
    }

    async fn on_close(&self, _: &Conn, _: CloseInfo) {
        self.counters.open.fetch_sub(1, Relaxed);
        *self.counters.closes.lock().unwrap().entry("closed".into()).or_default() += 1;
    }
}

/// The app with its admin page under `config`, on a free port.
async fn serve(config: AdminConfig) -> SocketAddr {
    let counters = Arc::new(Counters::default());
    // The server API of an app on capstan's Topics: the room as its one
    // channel, this one node.
    let api = TopicsApi::new(Topics::new()).with_node("test-node", "0.1.0");
    let admin =
        Admin::new(config, Api::new(api.clone()), counters.clone()).expect("a valid config");
    let router = Router::new()
        .route("/ws", WsServer::new(Room { api, counters }))
        .route("/admin/ws", admin.ws_endpoint());
    let http = HttpServer::new(router).with_service(HttpService::from_tower(admin.router()));
    let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

/// On, with a fast feed (the charts' points 100 ms apart).
fn config() -> AdminConfig {
    AdminConfig { interval: Duration::from_millis(100), ..AdminConfig::with_token(TOKEN) }
}

// ------------------------------------------------------------ HTTP

/// One request, `Connection: close`, and the whole answer.
async fn request(addr: SocketAddr, method: &str, path: &str, extra: &str, body: &str) -> Response {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Response::parse(&exchange(addr, head.as_bytes()).await)
}

async fn login(addr: SocketAddr, token: &str) -> Response {
    let body = format!(r#"{{"token":"{token}"}}"#);
    request(addr, "POST", "/admin/login", "Content-Type: application/json\r\n", &body).await
}

/// Logs in and gives the `Cookie:` header line that carries the session.
async fn session_cookie(addr: SocketAddr) -> String {
    let response = login(addr, TOKEN).await;
    assert_eq!(response.status(), 204, "{}", response.body_text());
    let set = response.header("set-cookie").expect("a session cookie");
    let pair = set.split(';').next().unwrap();
    format!("Cookie: {pair}\r\n")
}

// ------------------------------------------------------------ WebSocket

/// The feed's handshake with `extra` header lines: the client, or the
/// refusal's status.
async fn open_feed(addr: SocketAddr, extra: &str) -> Result<Client, u16> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let request = upgrade_request("/admin/ws", extra);
    match within("the handshake", Client::upgrade(stream, request.as_bytes())).await {
        Ok(client) => Ok(client),
        Err(UpgradeError::Refused(response)) => Err(response.status()),
        Err(other) => panic!("{other}"),
    }
}

/// The next feed message, as JSON.
async fn next_json(feed: &mut Client) -> serde_json::Value {
    let message = feed.next_message().await;
    serde_json::from_str(message.as_text().expect("text")).unwrap()
}

/// Reads the feed until its close frame, answers it, and gives its code.
async fn close_code(feed: &mut Client) -> u16 {
    within("the feed's close frame", async {
        loop {
            match feed.next_event().await {
                Some(Event::Close(frame)) => {
                    let payload = close_payload(1000, b"");
                    feed.send_frame(OpCode::Close, true, &payload).await;
                    return frame.expect("a close code").code.0;
                }
                Some(_) => continue,
                None => panic!("closed without a close frame"),
            }
        }
    })
    .await
}

/// Reads updates until `wanted` holds for one; gives it.
async fn update_where(
    feed: &mut Client,
    what: &str,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    within(what, async {
        loop {
            let update = next_json(feed).await;
            assert_eq!(update["type"], "update", "{update}");
            if wanted(&update) {
                return update;
            }
        }
    })
    .await
}

// ------------------------------------------------------------ tests

#[tokio::test]
async fn wrong_tokens_get_401_and_the_right_one_a_strict_session_cookie() {
    let addr = serve(config()).await;
    let wrong = login(addr, "not-the-token-at-all").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.header("set-cookie").is_none());

    let right = login(addr, TOKEN).await;
    assert_eq!(right.status(), 204);
    let cookie = right.header("set-cookie").unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    let cookie = session_cookie(addr).await;
    assert_eq!(request(addr, "GET", "/admin/session", &cookie, "").await.status(), 204);
    assert_eq!(request(addr, "GET", "/admin/session", "", "").await.status(), 401);
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let posted = request(addr, "POST", "/admin/login", form, &format!("token={TOKEN}")).await;
    assert_eq!(posted.status(), 415, "a plain form is not a login");

    let logout = request(addr, "POST", "/admin/logout", &cookie, "").await;
    assert_eq!(logout.status(), 204);
    assert!(logout.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(request(addr, "GET", "/admin/session", &cookie, "").await.status(), 401);
}

#[tokio::test]
async fn wrong_tokens_are_rate_limited() {
    let addr = serve(config()).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(login(addr, "guess-guess-guess-guess").await.status());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429]);
    let limited = login(addr, TOKEN).await;
    assert_eq!(limited.status(), 429, "while limited, not even the right token is compared");
    assert!(limited.header("retry-after").is_some());
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_policy() {
    let addr = serve(config()).await;
    let page = request(addr, "GET", "/admin", "", "").await;
    assert_eq!(page.status(), 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
    assert!(page.body_text().contains("/admin/admin.js"));
    for path in ["/admin/admin.js", "/admin/admin.css"] {
        assert_eq!(request(addr, "GET", path, "", "").await.status(), 200, "{path}");
    }
    assert_eq!(request(addr, "GET", "/admin/nothing", "", "").await.status(), 404);
}

#[tokio::test]
async fn the_feed_needs_a_live_session() {
    let addr = serve(config()).await;
    let origin = format!("Origin: {ORIGIN}\r\n");
    assert_eq!(open_feed(addr, &origin).await.unwrap_err(), 401, "no cookie");
    let forged = format!("{origin}Cookie: capstan_admin={}\r\n", "ab".repeat(32));
    assert_eq!(open_feed(addr, &forged).await.unwrap_err(), 401, "not a session");

    let cookie = session_cookie(addr).await;
    let mut feed = open_feed(addr, &format!("{origin}{cookie}")).await.expect("upgraded");
    assert_eq!(next_json(&mut feed).await["type"], "snapshot");

    request(addr, "POST", "/admin/logout", &cookie, "").await;
    assert_eq!(open_feed(addr, &format!("{origin}{cookie}")).await.unwrap_err(), 401);
    assert_eq!(close_code(&mut feed).await, 1008, "the open feed ends with its session");
}

#[tokio::test]
async fn the_feed_is_for_the_pages_own_origin() {
    let addr = serve(config()).await;
    let cookie = session_cookie(addr).await;
    let evil = format!("Origin: http://evil.example\r\n{cookie}");
    assert_eq!(open_feed(addr, &evil).await.unwrap_err(), 403);
    assert_eq!(open_feed(addr, &cookie).await.unwrap_err(), 403, "no Origin at all");
    assert!(open_feed(addr, &format!("Origin: {ORIGIN}\r\n{cookie}")).await.is_ok());
}

#[tokio::test]
async fn admin_connections_are_capped_and_the_page_may_not_speak() {
    let addr = serve(AdminConfig { max_connections: 1, ..config() }).await;
    let headers = format!("Origin: {ORIGIN}\r\n{}", session_cookie(addr).await);
    let mut first = open_feed(addr, &headers).await.expect("the first page");
    assert_eq!(open_feed(addr, &headers).await.unwrap_err(), 503, "past the cap");

    assert_eq!(next_json(&mut first).await["type"], "snapshot");
    first.send_frame(OpCode::Text, true, b"hello?").await;
    assert_eq!(close_code(&mut first).await, 1008);
    drop(first);
    // The slot is given back with the connection.
    within("a slot again", async {
        loop {
            match open_feed(addr, &headers).await {
                Ok(_) => return,
                Err(503) => tokio::task::yield_now().await,
                Err(status) => panic!("{status}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_numbers_move_when_a_client_connects_and_sends() {
    let addr = serve(config()).await;
    let headers = format!("Origin: {ORIGIN}\r\n{}", session_cookie(addr).await);
    let mut feed = open_feed(addr, &headers).await.unwrap();
    let snapshot = next_json(&mut feed).await;
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["totals"]["connections_open"], 0);
    assert_eq!(snapshot["interval_ms"], 100);
    assert_eq!(snapshot["capacity"], 3000, "5 minutes of 100 ms points");

    let mut alice = Client::connect(addr, "/ws").await;
    let _bob = Client::connect(addr, "/ws").await;
    let update = update_where(&mut feed, "two connections", |u| {
        u["point"]["connections"] == 2 && u["topics"]["rows"][0]["subscribers"] == 2
    })
    .await;
    assert_eq!(update["topics"]["rows"][0]["name"], "room");
    assert_eq!(update["nodes"][0]["name"], "test-node");

    alice.send_frame(OpCode::Text, true, b"hi bob").await;
    let update =
        update_where(&mut feed, "a message in and out", |u| u["totals"]["messages_in_total"] == 1)
            .await;
    assert_eq!(update["totals"]["messages_out_total"], 1, "to bob");
    // The first point to count it: its rate is over the second before.
    assert!(update["point"]["messages_in_per_s"].as_f64().unwrap() > 0.0, "{update}");
    assert!(update["point"]["messages_out_per_s"].as_f64().unwrap() > 0.0, "{update}");

    drop(alice);
    let update =
        update_where(&mut feed, "a close counted", |u| u["totals"]["closes"]["closed"] == 1).await;
    assert_eq!(update["totals"]["connections_open"], 1);
    assert_eq!(update["point"]["closes"]["closed"], 1, "in the point of its interval");
}

#[tokio::test]
async fn without_a_token_everything_admin_is_404() {
    let addr = serve(AdminConfig::default()).await;
    for (method, path) in [("GET", "/admin"), ("GET", "/admin/admin.js"), ("POST", "/admin/login")]
    {
        let response =
            request(addr, method, path, "Content-Type: application/json\r\n", "{}").await;
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    let headers = format!("Origin: {ORIGIN}\r\n");
    assert_eq!(open_feed(addr, &headers).await.unwrap_err(), 404);
}
