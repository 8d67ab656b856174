//! How a connection's answers reach its socket: the answer to a message
//! read alone goes out as it is sent; the answers to messages read
//! together are queued and written by the connection's task in one batch.

mod common;

use capstan::ws::{Event, OpCode};
use capstan::{Component, Conn, HttpServer, Message, WsServer};
use capstan_testkit::frame::client_frame;
use common::*;
use tokio::sync::mpsc;

/// Echoes each message and reports how many bytes its queue held right
/// after the answer was sent (0: the answer went to the socket at once).
struct QueuedAfterAnswer(mpsc::UnboundedSender<usize>);

impl Component for QueuedAfterAnswer {
    async fn on_message(&self, conn: &Conn, message: Message) {
        conn.send(message).unwrap();
        let _ = self.0.send(conn.queued_bytes());
    }
}

async fn start() -> (TestServer, mpsc::UnboundedReceiver<usize>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = TestServer::start(HttpServer::new(WsServer::new(QueuedAfterAnswer(tx)))).await;
    (server, rx)
}

async fn next_queued(rx: &mut mpsc::UnboundedReceiver<usize>) -> usize {
    tokio::time::timeout(WAIT, rx.recv()).await.expect("no message handled").unwrap()
}

#[tokio::test]
async fn a_message_read_alone_is_answered_straight_to_the_socket() {
    let (server, mut queued) = start().await;
    let mut client = Client::connect(server.addr, "/").await;
    for text in ["one", "two", "three"] {
        client.send_frame(OpCode::Text, true, text.as_bytes()).await;
        assert_eq!(client.next_event().await, Some(Event::Message(Message::text(text))));
        assert_eq!(next_queued(&mut queued).await, 0, "the answer to {text:?} was queued");
    }
    server.stop().await;
}

#[tokio::test]
async fn messages_read_together_are_answered_in_one_batch() {
    let (server, mut queued) = start().await;
    let mut client = Client::connect(server.addr, "/").await;
    // Both frames in one write: the server reads them at once.
    let together = [
        client_frame(OpCode::Text, true, false, b"first", [1, 2, 3, 4]),
        client_frame(OpCode::Text, true, false, b"second", [5, 6, 7, 8]),
    ]
    .concat();
    client.send_raw(&together).await;
    // Queued, both: the task writes them after the second is handled.
    assert!(next_queued(&mut queued).await > 0, "the first answer went out alone");
    assert!(next_queued(&mut queued).await > 0, "the second answer went out alone");
    assert_eq!(client.next_event().await, Some(Event::Message(Message::text("first"))));
    assert_eq!(client.next_event().await, Some(Event::Message(Message::text("second"))));
    server.stop().await;
}
