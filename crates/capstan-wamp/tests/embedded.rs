//! The WAMP layer embedded in an app's own stack, over a real socket: a
//! Rust procedure and a Rust subscriber in the server's process, reached by
//! a WebSocket client speaking `wamp.2.json` (no network hop for them).

use std::net::SocketAddr;

use capstan::ws::OpCode;
use capstan::{HttpServer, IoServer, WsConfig, WsServer};
use capstan_testkit::client::Client;
use capstan_wamp::{Dict, LocalSession, Payload, Router, Value, WampServer};
use serde_json::{Value as Json, json};
use tokio::sync::mpsc;

async fn serve(wamp: WampServer) -> SocketAddr {
    let ws = WsServer::with_config(wamp, WampServer::ws_config(WsConfig::default()));
    let server = IoServer::bind("127.0.0.1:0", HttpServer::new(ws)).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

async fn send(client: &mut Client, message: Json) {
    client.send_frame(OpCode::Text, true, message.to_string().as_bytes()).await;
}

async fn receive(client: &mut Client) -> Json {
    let message = client.next_message().await;
    serde_json::from_str(message.as_text().expect("wamp.2.json is text")).unwrap()
}

#[tokio::test]
async fn a_client_calls_a_rust_procedure_and_pubsub_crosses_between_them() {
    let wamp = WampServer::new(Router::new(["realm1"]));
    let local = LocalSession::join(&wamp, "realm1").unwrap();
    local
        .register("com.example.add", Dict::new(), |call| async move {
            let sum: i64 =
                call.payload.args.unwrap_or_default().iter().filter_map(Value::as_i64).sum();
            Ok(Payload::args(vec![Value::Int(sum)]))
        })
        .await
        .unwrap();
    let (heard, mut hearing) = mpsc::unbounded_channel();
    local
        .subscribe("com.example.in", Dict::new(), move |event| drop(heard.send(event.payload)))
        .await
        .unwrap();
    let addr = serve(wamp).await;

    let mut client =
        Client::connect_with(addr, "/", "Sec-WebSocket-Protocol: wamp.2.json\r\n").await;
    assert_eq!(client.response().header("sec-websocket-protocol"), Some("wamp.2.json"));
    send(
        &mut client,
        json!([1, "realm1", {"roles": {"caller": {}, "publisher": {}, "subscriber": {}}}]),
    )
    .await;
    let welcome = receive(&mut client).await;
    assert_eq!(welcome[0], 2, "{welcome}");

    send(&mut client, json!([48, 1, {}, "com.example.add", [2, 3, 4]])).await;
    assert_eq!(receive(&mut client).await, json!([50, 1, {}, [9]]));

    send(&mut client, json!([16, 2, {"acknowledge": true}, "com.example.in", ["hello"]])).await;
    assert_eq!(receive(&mut client).await[0], 17);
    assert_eq!(hearing.recv().await, Some(Payload::args(vec![Value::from("hello")])));

    send(&mut client, json!([32, 3, {}, "com.example.out"])).await;
    let subscribed = receive(&mut client).await;
    assert_eq!(subscribed[0], 33);
    local
        .publish("com.example.out", Dict::new(), Payload::args(vec![Value::from("from rust")]))
        .await
        .unwrap();
    let event = receive(&mut client).await;
    assert_eq!(
        (event[0].clone(), event[1].clone(), event[4].clone()),
        (json!(36), subscribed[2].clone(), json!(["from rust"]))
    );
}
