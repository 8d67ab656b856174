//! Two "nodes" of a deployment in one test process: each its own `Topics`
//! registry on its own `NatsBroker` (its own NATS connection) and its own
//! capstan WebSocket server, sharing one `MemoryHistory` as two processes
//! would share a Redis history. Clients are real WebSocket connections
//! (capstan-testkit's raw client); the server side's `Conn` of each is
//! handed to the test, which subscribes and excludes it by itself.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use capstan::pubsub::{Engine, History, HistoryLimits, MemoryHistory};
use capstan::{Component, Conn, HttpServer, IoServer, Listening, Message, Topics, WsServer};
use capstan_nats::{NatsBroker, NatsConfig};
use capstan_testkit::client::Client;
use capstan_testkit::nats::NatsServer;
use capstan_testkit::wait::WAIT;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// How long a test waits for the NATS client to notice a cut or to
/// reconnect (its backoff grows to a few seconds while the server is down).
pub const RECONNECT_WAIT: Duration = Duration::from_secs(30);

/// A history both nodes share, roomy enough that nothing is trimmed.
pub fn shared_history() -> Arc<MemoryHistory> {
    Arc::new(MemoryHistory::new(HistoryLimits { max_len: 1000, ttl: Duration::from_secs(600) }))
}

/// A component that hands each opened connection to the test.
struct Opens(mpsc::UnboundedSender<Conn>);

impl Component for Opens {
    async fn on_open(&self, conn: &Conn) {
        let _ = self.0.send(conn.clone());
    }

    async fn on_message(&self, _conn: &Conn, _message: Message) {}
}

/// One node: its topics on NATS, and a WebSocket server for its clients.
pub struct Node {
    pub topics: Topics,
    pub broker: Arc<NatsBroker>,
    addr: SocketAddr,
    opens: mpsc::UnboundedReceiver<Conn>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Node {
    /// A node on the NATS server `nats`, kept publications in `history`.
    pub async fn start(nats: &NatsServer, history: Arc<MemoryHistory>) -> Node {
        let history: Arc<dyn History> = history;
        let broker = NatsBroker::connect(NatsConfig::new(nats.url()), Some(history.clone()))
            .await
            .expect("connect to nats-server");
        let broker = Arc::new(broker);
        let topics = Topics::with_engine(Engine::new(broker.clone()).with_history(history));
        let (opened, opens) = mpsc::unbounded_channel();
        let http = HttpServer::new(WsServer::new(Opens(opened)));
        let server = IoServer::bind("127.0.0.1:0", http).await.expect("bind");
        let addr = server.local_addr().expect("its address");
        let server = tokio::spawn(server.run_until(std::future::pending()));
        Node { topics, broker, addr, opens, server }
    }

    /// A WebSocket client of this node, and its connection as the node
    /// sees it.
    pub async fn client(&mut self) -> (Client, Conn) {
        let client = Client::connect(self.addr, "/").await;
        let conn = tokio::time::timeout(WAIT, self.opens.recv())
            .await
            .expect("the node saw the connection open")
            .expect("the node runs");
        (client, conn)
    }

    /// An in-process listener of `topic` on this node: what it heard.
    pub fn listen(&self, topic: &str) -> (Listening, Heard) {
        let heard = Heard::default();
        let into = heard.clone();
        let listening = self.topics.listen(topic, move |message| {
            into.0.lock().unwrap().push(text_of(&message.message()));
        });
        (listening, heard)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// What an in-process listener heard, in order.
#[derive(Clone, Default)]
pub struct Heard(Arc<Mutex<Vec<String>>>);

impl Heard {
    /// Everything heard so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `text` was heard (panics past [`WAIT`]); everything
    /// heard by then.
    pub async fn until(&self, text: &str) -> Vec<String> {
        wait_until(&format!("the listener hears {text:?}"), WAIT, || {
            self.0.lock().unwrap().iter().any(|t| t == text)
        })
        .await;
        self.all()
    }
}

/// A message's text (binary ones as `<n bytes>`).
pub fn text_of(message: &Message) -> String {
    match message.as_text() {
        Some(text) => text.to_owned(),
        None => format!("<{} bytes>", message.len()),
    }
}

/// The next `n` messages `client` receives, as text.
pub async fn next_texts(client: &mut Client, n: usize) -> Vec<String> {
    let mut texts = Vec::with_capacity(n);
    for _ in 0..n {
        texts.push(text_of(&client.next_message().await));
    }
    texts
}

/// Polls `condition` until it holds; panics with `what` past `bound`.
pub async fn wait_until(what: &str, bound: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + bound;
    while !condition() {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// `texts` as owned strings.
pub fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}
