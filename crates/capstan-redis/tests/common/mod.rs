//! What the Redis engine's tests share: a real redis-server per test
//! (capstan-testkit), nodes (an engine, its topics, a WebSocket server
//! whose connections are handed to the test), in-process listeners that
//! record what they hear, and bounded waits.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capstan::pubsub::{Keep, Position};
use capstan::{
    Component, Conn, HttpServer, IoServer, Listening, Message, ShutdownHandle, Topics, WsServer,
};
pub use capstan_redis::{RedisConfig, RedisEngine};
pub use capstan_testkit::client::Client;
pub use capstan_testkit::redis::{Persistence, RedisServer};
pub use capstan_testkit::wait::{WAIT, within};
use tokio::sync::mpsc;

/// The engine's settings for `server`, short TTLs where tests wait.
pub fn config(server: &RedisServer) -> RedisConfig {
    RedisConfig::new(server.url())
}

/// A node: its engine, its topics on it, and a WebSocket server.
pub struct Node {
    pub engine: RedisEngine,
    pub topics: Topics,
    addr: SocketAddr,
    opened: mpsc::UnboundedReceiver<Conn>,
    shutdown: ShutdownHandle,
}

/// Hands each connection to the test when it opens.
struct HandOver(mpsc::UnboundedSender<Conn>);

impl Component for HandOver {
    async fn on_open(&self, conn: &Conn) {
        let _ = self.0.send(conn.clone());
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}
}

impl Node {
    /// Connects an engine with `config` and serves WebSockets on an
    /// ephemeral loopback port.
    pub async fn start(config: RedisConfig) -> Node {
        let engine = within("connect", RedisEngine::connect(config)).await.expect("connect");
        let topics = Topics::with_engine(engine.engine());
        let (tx, opened) = mpsc::unbounded_channel();
        let http = HttpServer::new(WsServer::new(HandOver(tx)));
        let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
        let addr = server.local_addr().unwrap();
        let shutdown = server.shutdown_handle();
        tokio::spawn(server.run_until(std::future::pending()));
        Node { engine, topics, addr, opened, shutdown }
    }

    /// A client connected to this node, and its connection as the node
    /// sees it.
    pub async fn client(&mut self) -> (Client, Conn) {
        let client = Client::connect(self.addr, "/").await;
        let conn = within("the connection opens", self.opened.recv()).await.expect("server up");
        (client, conn)
    }

    /// Listens to `topic` and waits until Redis confirmed this node's
    /// subscription.
    pub async fn hear(&self, topic: &str) -> Heard {
        let heard = Heard::default();
        let texts = heard.texts.clone();
        let listening = self.topics.listen(topic, move |message| {
            let text = message.message().as_text().unwrap_or("<binary>").to_owned();
            texts.lock().unwrap().push(text);
        });
        *heard.listening.lock().unwrap() = Some(listening);
        within("subscribed", self.engine.broker_ready(topic)).await;
        heard
    }

    /// Publishes `text` kept on `topic`: its position.
    pub async fn publish_kept(&self, topic: &str, text: &str) -> Position {
        let ack = self.topics.publish_kept(topic, text.to_owned(), &[], Keep::default()).ack;
        let ack = within("ack", ack).await.expect("acknowledged");
        ack.position.expect("kept publications have a position")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// Waits for the broker's subscription to a topic.
pub trait BrokerReady {
    fn broker_ready(&self, topic: &str) -> impl Future<Output = ()>;
}

impl BrokerReady for RedisEngine {
    async fn broker_ready(&self, topic: &str) {
        use capstan::pubsub::Broker;
        self.broker().ready(topic).await.expect("subscription confirmed");
    }
}

/// What an in-process listener heard, as text.
#[derive(Default, Clone)]
pub struct Heard {
    texts: Arc<Mutex<Vec<String>>>,
    listening: Arc<Mutex<Option<Listening>>>,
}

impl Heard {
    /// What it heard so far.
    pub fn now(&self) -> Vec<String> {
        self.texts.lock().unwrap().clone()
    }

    /// Waits (bounded) until it heard `count` messages; all it heard then.
    pub async fn at_least(&self, count: usize) -> Vec<String> {
        eventually(&format!("{count} messages heard"), || {
            let texts = self.now();
            (texts.len() >= count).then_some(texts)
        })
        .await
    }

    /// Stops listening.
    pub fn stop(&self) {
        self.listening.lock().unwrap().take();
    }
}

/// Polls `check` until it gives a value, at most [`WAIT`]; panics past it.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The text of a client's next data message.
pub async fn next_text(client: &mut Client) -> String {
    client.next_message().await.as_text().expect("a text message").to_owned()
}

/// A plain Redis connection for what a test does by hand (DEL a key,
/// PUBLISH garbage).
pub async fn redis_cli(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(server.url()).unwrap();
    within("redis connection", client.get_multiplexed_async_connection()).await.unwrap()
}
