//! A game server on a free port, and players that speak the protocol over
//! real sockets (every read bounded, so a missing answer fails the test
//! instead of hanging it).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use capstan::ws::OpCode;
use capstan_game::{Config, GameServer, GameShutdown};
use capstan_testkit::client::Client;
use capstan_testkit::http::{Response, exchange};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// A running server; stopped when dropped.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its database file.
    pub db: PathBuf,
    handle: GameShutdown,
    task: Option<JoinHandle<std::io::Result<()>>>,
    dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on 127.0.0.1 with a fresh database, its settings adjusted.
    pub async fn start(adjust: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Server::start_in(dir, adjust).await
    }

    /// A server whose database is in `dir` (prepared by the test).
    pub async fn start_in(dir: tempfile::TempDir, adjust: impl FnOnce(&mut Config)) -> Server {
        let mut config = Config::defaults();
        config.bind = "127.0.0.1".parse().expect("an address");
        config.port = 0;
        config.db = dir.path().join("game.db");
        adjust(&mut config);
        let server = GameServer::bind(&config).await.expect("the server binds");
        let addr = server.local_addr().expect("an address");
        let handle = server.shutdown_handle();
        let task = tokio::spawn(server.run());
        Server { addr, db: config.db, handle, task: Some(task), dir: Some(dir) }
    }

    /// A new connection at `/`.
    pub async fn player(&self) -> Player {
        Player { client: Client::connect(self.addr, "/").await }
    }

    /// A new connection at `path`.
    pub async fn player_at(&self, path: &str) -> Player {
        Player { client: Client::connect(self.addr, path).await }
    }

    /// GET `path`: the answer.
    pub async fn get(&self, path: &str) -> Response {
        let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
        Response::parse(&exchange(self.addr, request.as_bytes()).await)
    }

    /// GET `path` as JSON (200 expected).
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        serde_json::from_str(&response.body_text()).expect("JSON")
    }

    /// Stops the server and waits for it (the store flushed); the
    /// directory of its database, kept until dropped.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        self.handle.shutdown();
        if let Some(task) = self.task.take() {
            task.await.expect("the server task").expect("the server ran");
        }
        self.dir.take()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// One client connection.
pub struct Player {
    /// The raw connection.
    pub client: Client,
}

impl Player {
    /// Sends `value` as one text frame.
    pub async fn send(&mut self, value: Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends `text` as one text frame, as it is.
    pub async fn send_text(&mut self, text: &str) {
        self.client.send_frame(OpCode::Text, true, text.as_bytes()).await;
    }

    /// The next message, as JSON.
    pub async fn recv(&mut self) -> Value {
        match self.client.next_message().await {
            capstan::Message::Text(text) => {
                serde_json::from_str(&text).expect("JSON from the server")
            }
            other => panic!("a text message expected, got {other:?}"),
        }
    }

    /// The next message, which must be of `kind`; its whole JSON.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let message = self.recv().await;
        assert_eq!(message["type"], kind, "{message}");
        message
    }

    /// The next message, which must be an `error`; its text.
    pub async fn error(&mut self) -> String {
        let message = self.expect("error").await;
        message["data"]["message"].as_str().expect("data.message is a string").to_owned()
    }

    /// `create_player` with these fields in `data`.
    pub async fn create(&mut self, data: Value) {
        self.send(json!({"type": "create_player", "data": data})).await;
    }

    /// Joins a public game as `name`: `create_player_resp`'s data (the
    /// `info_resp` that follows is read too).
    pub async fn join_public(&mut self, name: &str) -> Value {
        self.create(json!({"player_name": name, "game_public": true})).await;
        let joined = self.expect("create_player_resp").await;
        self.expect("info_resp").await;
        joined["data"].clone()
    }

    /// Creates a private game as `name`: `create_player_resp`'s data.
    pub async fn create_private(&mut self, name: &str) -> Value {
        self.create(json!({"player_name": name, "game_public": false})).await;
        let joined = self.expect("create_player_resp").await;
        self.expect("info_resp").await;
        joined["data"].clone()
    }

    /// `add_move` with coordinates as given (strings or numbers).
    pub async fn play(&mut self, x: Value, y: Value) {
        self.send(json!({"type": "add_move", "data": {"coords": {"x": x, "y": y}}})).await;
    }

    /// A message of `kind` with empty data.
    pub async fn bare(&mut self, kind: &str) {
        self.send(json!({"type": kind, "data": {}})).await;
    }
}

/// Two players in one started public game: (X, O, X's joined data, O's
/// joined data), with every message up to `start_game_resp` read.
pub async fn started_game(server: &Server) -> (Player, Player, Value, Value) {
    let mut x = server.player().await;
    let x_joined = x.join_public("Alice").await;
    let mut o = server.player().await;
    let o_joined = o.join_public("Bob").await;
    x.expect("info_resp").await;
    x.expect("start_game_resp").await;
    o.expect("start_game_resp").await;
    (x, o, x_joined, o_joined)
}

/// `mover` plays (x, y); both players read the `add_move_resp`.
pub async fn exchange_move(mover: &mut Player, other: &mut Player, x: i64, y: i64) -> Value {
    mover.play(json!(x), json!(y)).await;
    let seen = mover.expect("add_move_resp").await;
    other.expect("add_move_resp").await;
    seen
}
