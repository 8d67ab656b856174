//! Typed state per connection (`StatefulComponent`): made by `on_open`,
//! handed to each callback of that connection, and to `on_close` at the
//! end — over real sockets, two connections side by side.

use std::time::Duration;

use capstan::{CloseInfo, Conn, HttpServer, IoServer, Message, StatefulComponent, WsServer};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite;

/// Upper bound for any single wait (a hang fails, it never passes).
const WAIT: Duration = Duration::from_secs(10);

/// Each connection counts its own messages and says who it is.
struct Counter {
    closed: mpsc::UnboundedSender<(String, u32)>,
}

struct Tally {
    who: String,
    messages: u32,
}

impl StatefulComponent for Counter {
    type State = Tally;

    async fn on_open(&self, conn: &Conn) -> Tally {
        let who = conn.request().query_param("who").unwrap_or_default().into_owned();
        Tally { who, messages: 0 }
    }

    async fn on_message(&self, conn: &Conn, tally: &mut Tally, _message: Message) {
        tally.messages += 1;
        let _ = conn.send(Message::text(format!("{} #{}", tally.who, tally.messages)));
    }

    async fn on_close(&self, _conn: &Conn, tally: Tally, _close: CloseInfo) {
        let _ = self.closed.send((tally.who, tally.messages));
    }
}

type Client =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn say(client: &mut Client) -> String {
    client.send(tungstenite::Message::text("x")).await.unwrap();
    let answer = tokio::time::timeout(WAIT, client.next()).await.unwrap().unwrap().unwrap();
    answer.into_text().unwrap().as_str().to_owned()
}

#[tokio::test]
async fn each_connection_keeps_its_own_state_to_the_end() {
    let (closed, mut closes) = mpsc::unbounded_channel();
    let http = HttpServer::new(WsServer::new(Counter { closed }));
    let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
    let addr = server.local_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.run_until(std::future::pending()));

    let (mut ann, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/?who=ann")).await.unwrap();
    let (mut bob, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/?who=bob")).await.unwrap();
    assert_eq!(say(&mut ann).await, "ann #1");
    assert_eq!(say(&mut ann).await, "ann #2");
    assert_eq!(say(&mut bob).await, "bob #1");
    assert_eq!(say(&mut ann).await, "ann #3");

    ann.close(None).await.unwrap();
    drop(ann);
    let ended = tokio::time::timeout(WAIT, closes.recv()).await.unwrap();
    assert_eq!(ended, Some(("ann".to_owned(), 3)));
    bob.close(None).await.unwrap();
    drop(bob);
    let ended = tokio::time::timeout(WAIT, closes.recv()).await.unwrap();
    assert_eq!(ended, Some(("bob".to_owned(), 1)));

    shutdown.shutdown();
    tokio::time::timeout(WAIT, task).await.unwrap().unwrap().unwrap();
}
