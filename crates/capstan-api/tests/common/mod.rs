//! A real capstan server for the API's tests: WebSocket clients at
//! `/ws/{user}/{channel}` are registered as `user` and subscribed to
//! `channel` (then told "welcome", so a test knows the subscription is
//! made), and the server API is served on the same port or on its own.
//! Channels named `secret…` are refused by the validator (102).
//!
//! Plain HTTP requests are written by hand and read until the server
//! closes (`Connection: close`), with capstan-testkit's response parser.

#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use capstan::pubsub::{Engine, HistoryLimits, MemoryHistory};
use capstan::{
    Component, Conn, HttpServer, IoServer, Message, Router, ServerConfig, ShutdownHandle, Topics,
    WsServer,
};
use capstan_api::{Api, ApiConfig, ApiError, ApiService, ErrorCode, TopicsApi};
use capstan_testkit::client::Client;
use capstan_testkit::http::{Response, exchange};
use serde_json::Value;

/// The key the tests' servers accept.
pub const KEY: &str = "test-key-0123456789";

/// Registers and subscribes each connection as its path says.
struct Relay {
    api: TopicsApi,
}

impl Component for Relay {
    async fn on_open(&self, conn: &Conn) {
        let channel = conn.request().param("channel").unwrap_or("news").to_owned();
        self.api.subscribe(&channel, conn);
        let _ = conn.send_text("welcome");
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}
}

/// A running server.
pub struct Server {
    /// The WebSocket's port (and the API's, when on the same port).
    pub ws: SocketAddr,
    /// The API's port.
    pub api: SocketAddr,
    /// The application's API.
    pub topics_api: TopicsApi,
    stops: Vec<ShutdownHandle>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// The application's API: memory history, users from the path,
/// `secret…` channels refused.
pub fn topics_api() -> TopicsApi {
    let history = Arc::new(MemoryHistory::new(HistoryLimits::default()));
    let topics = Topics::with_engine(Engine::local(history.clone()));
    TopicsApi::new(topics)
        .with_history(history)
        .with_user(|conn: &Conn| conn.request().param("user").unwrap_or("anonymous").to_owned())
        .with_validator(|channel: &str| {
            if channel.starts_with("secret") {
                Err(ApiError::with_message(ErrorCode::UnknownChannel, "no such channel"))
            } else {
                Ok(())
            }
        })
}

/// The tests' clients do not answer the close of a shutdown: the server
/// gives up on them after this (not a bound any test waits on).
fn server_config() -> ServerConfig {
    ServerConfig { drain_timeout: Duration::from_millis(200), ..ServerConfig::default() }
}

fn ws_routes(api: &TopicsApi) -> Router {
    Router::new().route("/ws/:user/:channel", WsServer::new(Relay { api: api.clone() }))
}

impl Server {
    /// The API on the WebSocket's port, under `config`.
    pub async fn same_port(config: ApiConfig) -> Server {
        Server::same_port_with(config, |service| service).await
    }

    /// As [`Server::same_port`], the service adjusted by `adjust` (an
    /// observer, say).
    pub async fn same_port_with(
        config: ApiConfig,
        adjust: impl FnOnce(ApiService) -> ApiService,
    ) -> Server {
        let topics_api = topics_api();
        let service = adjust(ApiService::new(Api::new(topics_api.clone()), config).unwrap());
        let http = HttpServer::new(ws_routes(&topics_api)).with_service(service.http_service());
        let server =
            IoServer::bind("127.0.0.1:0", http).await.unwrap().with_config(server_config());
        let ws = server.local_addr().unwrap();
        let stops = vec![server.shutdown_handle()];
        let tasks = vec![tokio::spawn(server.run_until(std::future::pending()))];
        Server { ws, api: ws, topics_api, stops, tasks }
    }

    /// The API on a port of its own ([`ApiService::bind`]).
    pub async fn separate_port(config: ApiConfig) -> Server {
        let topics_api = topics_api();
        let service = ApiService::new(Api::new(topics_api.clone()), config).unwrap();
        let ws_server = IoServer::bind("127.0.0.1:0", HttpServer::new(ws_routes(&topics_api)))
            .await
            .unwrap()
            .with_config(server_config());
        let api_server = service.bind("127.0.0.1:0").await.unwrap().with_config(server_config());
        let (ws, api) = (ws_server.local_addr().unwrap(), api_server.local_addr().unwrap());
        let stops = vec![ws_server.shutdown_handle(), api_server.shutdown_handle()];
        let tasks = vec![
            tokio::spawn(ws_server.run_until(std::future::pending())),
            tokio::spawn(api_server.run_until(std::future::pending())),
        ];
        Server { ws, api, topics_api, stops, tasks }
    }

    /// A WebSocket client of `user` on `channel`, subscribed.
    pub async fn client(&self, user: &str, channel: &str) -> Client {
        let mut client = Client::connect(self.ws, &format!("/ws/{user}/{channel}")).await;
        assert_eq!(text(client.next_message().await), "welcome");
        client
    }

    /// `POST /api/{method}` with the key and `body`: status and JSON.
    pub async fn call(&self, method: &str, body: &str) -> (u16, Value) {
        let response = self.post(&format!("/api/{method}"), &key_header(), body).await;
        (response.status(), json(&response))
    }

    /// `POST path` to the API's port with `headers` (lines ending in CRLF).
    pub async fn post(&self, path: &str, headers: &str, body: &str) -> Response {
        request(self.api, "POST", path, headers, body).await
    }

    /// Stops the servers gracefully and waits for them to end.
    pub async fn stop(self) {
        for stop in &self.stops {
            stop.shutdown();
        }
        for task in self.tasks {
            task.await.unwrap().unwrap();
        }
    }
}

/// The header line carrying [`KEY`].
pub fn key_header() -> String {
    format!("X-API-Key: {KEY}\r\n")
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> Response {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    Response::parse(&exchange(addr, raw.as_bytes()).await)
}

/// The response's body as JSON; panics if it is not.
pub fn json(response: &Response) -> Value {
    serde_json::from_slice(&response.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", response.body_text()))
}

/// The error code of an `{"error": …}` body.
pub fn error_code(body: &Value) -> u64 {
    body["error"]["code"].as_u64().unwrap_or_else(|| panic!("no error code in {body}"))
}

/// A text message's text; panics on binary.
pub fn text(message: Message) -> String {
    message.as_text().expect("a text message").to_owned()
}
