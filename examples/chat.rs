//! The Ratchet tutorial's chat: every message goes to every other client.
//! Run: `cargo run -p capstan --example chat`, then connect two clients to
//! ws://127.0.0.1:8080 (e.g. `websocat`, or a browser console).

use capstan::{Component, Conn, HttpServer, IoServer, Message, Topic, WsServer};

struct Chat {
    clients: Topic,
}

impl Component for Chat {
    async fn on_open(&self, conn: &Conn) {
        self.clients.subscribe(conn);
        println!("New connection! ({})", conn.id());
    }

    async fn on_message(&self, from: &Conn, message: Message) {
        let delivery = self.clients.publish_except(message, &[from.id()]);
        println!(
            "Connection {} sent a message to {} other connections",
            from.id(),
            delivery.queued
        );
    }

    async fn on_close(&self, conn: &Conn, close: capstan::CloseInfo) {
        println!("Connection {} has disconnected ({})", conn.id(), close.code);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let chat = Chat { clients: Topic::new("chat") };
    let server = IoServer::bind("127.0.0.1:8080", HttpServer::new(WsServer::new(chat))).await?;
    println!("Chat server on ws://{}", server.local_addr()?);
    server.run().await
}
