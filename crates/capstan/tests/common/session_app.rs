//! A session-mode application for the session tests: it echoes data,
//! reports its callbacks, obeys `!close`, `!flood N` and `!count`, and
//! subscribes every session to a topic.

use capstan::sessions::{FallbackConfig, Identity, SessionConfig};
use capstan::{
    CloseCode, CloseInfo, Conn, HttpServer, Message, Request, SessionRoute, StatefulComponent,
    Topic,
};
use tokio::sync::mpsc;

use super::{TestServer, WAIT};

/// What the application saw.
#[derive(Debug)]
pub enum Ev {
    Open(Conn),
    Message(String),
    Close(CloseInfo),
}

/// Echoes data, reports its callbacks, and obeys `!close` and `!flood N`;
/// every session is subscribed to `topic`.
pub struct App {
    pub events: mpsc::UnboundedSender<Ev>,
    pub topic: Topic,
}

impl StatefulComponent for App {
    type State = u64;

    async fn on_open(&self, conn: &Conn) -> u64 {
        self.topic.subscribe(conn);
        let _ = self.events.send(Ev::Open(conn.clone()));
        0
    }

    async fn on_message(&self, conn: &Conn, count: &mut u64, message: Message) {
        *count += 1;
        let text = message.as_text().unwrap_or_default().to_owned();
        if text == "!close" {
            conn.close(CloseCode::NORMAL, "bye");
        } else if let Some(n) = text.strip_prefix("!flood ") {
            for i in 1..=n.parse::<u64>().unwrap() {
                if conn.send_text(format!("flood {i}")).is_err() {
                    break;
                }
            }
        } else if text == "!count" {
            conn.send_text(format!("count={count}")).unwrap();
        } else {
            let _ = conn.send(message);
        }
        let _ = self.events.send(Ev::Message(text));
    }

    async fn on_close(&self, _conn: &Conn, _count: u64, close: CloseInfo) {
        let _ = self.events.send(Ev::Close(close));
    }
}

pub struct Fixture {
    pub server: TestServer,
    pub events: mpsc::UnboundedReceiver<Ev>,
    pub topic: Topic,
}

pub async fn start(config: SessionConfig) -> Fixture {
    start_with(config, |_| Identity::anonymous()).await
}

pub async fn start_with(
    config: SessionConfig,
    identify: impl Fn(&Request) -> Identity + Send + Sync + 'static,
) -> Fixture {
    let (tx, events) = mpsc::unbounded_channel();
    let topic = Topic::new("news");
    let app = App { events: tx, topic: topic.clone() };
    let route = SessionRoute::builder(app)
        .sessions(config)
        .identify(identify)
        .fallback(FallbackConfig { max_post_bytes: 64 << 10, ..FallbackConfig::default() })
        .build();
    let server = TestServer::start(HttpServer::new(route)).await;
    Fixture { server, events, topic }
}

pub async fn next_ev(events: &mut mpsc::UnboundedReceiver<Ev>) -> Ev {
    tokio::time::timeout(WAIT, events.recv()).await.expect("event in time").expect("app alive")
}
