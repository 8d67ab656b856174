//! Ratchet's WAMP tutorial ("basic pubsub") ported to Capstan: whatever a
//! client publishes is broadcast to the topic's subscribers (with the
//! publisher's exclude and eligible lists honoured, which the tutorial
//! leaves out), and RPC is not supported — except one small procedure,
//! `http://example.com/calc#add`, which sums its arguments.
//!
//! `cargo run -p capstan-wamp --example ratchet_pubsub -- --port 8080`
//! (`--port 0`: a free port; `--bind ADDR`, default 127.0.0.1). Prints its
//! address on its first line. Clients speak WAMP v1 (subprotocol `wamp`):
//! AutobahnJS 0.8, autobahn-python 0.8's `autobahn.wamp1`.

use capstan::{HttpServer, IoServer, WsConfig, WsServer};
use capstan_wamp::Value;
use capstan_wamp::v1::{
    ERROR_INVALID_ARGUMENT, Topic, WampConn, WampV1App, WampV1Server, ws_config,
};

/// The procedure this demo answers.
const ADD: &str = "http://example.com/calc#add";

struct BasicPubSub;

impl WampV1App for BasicPubSub {
    async fn on_publish(
        &self,
        _conn: &WampConn,
        topic: &Topic,
        event: Value,
        exclude: &[String],
        eligible: &[String],
    ) {
        topic.broadcast(&event, exclude, eligible);
    }

    async fn on_call(&self, conn: &WampConn, id: &str, topic: &Topic, params: Vec<Value>) {
        if topic.id() != ADD {
            conn.call_error(id, topic, "RPC not supported on this demo");
            return;
        }
        match sum(&params) {
            Some(total) => conn.call_result(id, total),
            None => conn.call_error(id, ERROR_INVALID_ARGUMENT, "add takes numbers"),
        };
    }
}

/// The sum of `numbers`: an integer while they all are and it fits, else
/// a float; `None` if one is not a number.
fn sum(numbers: &[Value]) -> Option<Value> {
    let (mut integer, mut float) = (Some(0i64), 0.0);
    for number in numbers {
        let (as_integer, as_float) = match *number {
            Value::Int(n) => (Some(n), n as f64),
            Value::UInt(n) => (None, n as f64),
            Value::Float(x) => (None, x),
            _ => return None,
        };
        integer = integer.zip(as_integer).and_then(|(total, n)| total.checked_add(n));
        float += as_float;
    }
    Some(integer.map_or(Value::Float(float), Value::Int))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut bind, mut port) = ("127.0.0.1".to_owned(), "8080".to_owned());
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--bind" => bind = value,
            "--port" => port = value,
            other => return Err(std::io::Error::other(format!("unknown argument {other}"))),
        }
    }
    let ws = WsServer::with_config(WampV1Server::new(BasicPubSub), ws_config(WsConfig::default()));
    let server = IoServer::bind(&format!("{bind}:{port}"), HttpServer::new(ws)).await?;
    println!("ratchet_pubsub: WAMP v1 on ws://{}/", server.local_addr()?);
    server.run().await
}
