//! WAMP v1 and v2 clients on one realm of the router, over real sockets: a
//! v1 client (subprotocol `wamp`, Ratchet's generation) calls a v2 callee,
//! and publications cross both ways, with CURIEs, exclusion and
//! eligibility as v1 states them.

use std::net::SocketAddr;

use capstan::ws::OpCode;
use capstan::{HttpServer, IoServer, WsConfig, WsServer};
use capstan_testkit::client::Client;
use capstan_wamp::{Router, WampServer};
use serde_json::{Value as Json, json};

async fn serve() -> SocketAddr {
    let wamp = WampServer::new(Router::new(["realm1"])).with_v1("realm1");
    let ws = WsServer::with_config(wamp, WampServer::ws_config_with_v1(WsConfig::default()));
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
    serde_json::from_str(message.as_text().expect("text")).unwrap()
}

/// A v1 client and its session ID (from the WELCOME it gets unasked).
async fn v1(addr: SocketAddr) -> (Client, String) {
    let mut client = Client::connect_with(addr, "/", "Sec-WebSocket-Protocol: wamp\r\n").await;
    assert_eq!(client.response().header("sec-websocket-protocol"), Some("wamp"));
    let welcome = receive(&mut client).await;
    assert_eq!((welcome[0].clone(), welcome[2].clone()), (json!(0), json!(1)), "{welcome}");
    let id = welcome[1].as_str().unwrap().to_owned();
    (client, id)
}

/// A v2 client joined to realm1 (JSON).
async fn v2(addr: SocketAddr) -> Client {
    let mut client =
        Client::connect_with(addr, "/", "Sec-WebSocket-Protocol: wamp.2.json\r\n").await;
    let roles = json!({"caller": {}, "callee": {}, "publisher": {}, "subscriber": {}});
    send(&mut client, json!([1, "realm1", {"roles": roles}])).await;
    assert_eq!(receive(&mut client).await[0], 2);
    client
}

#[tokio::test]
async fn a_v1_client_calls_a_v2_callee_and_gets_its_result_and_its_error() {
    let addr = serve().await;
    let mut callee = v2(addr).await;
    send(&mut callee, json!([64, 1, {}, "http://example.com/calc.add"])).await;
    assert_eq!(receive(&mut callee).await[0], 65);
    let (mut caller, _) = v1(addr).await;
    send(&mut caller, json!([1, "calc", "http://example.com/calc#"])).await;
    send(&mut caller, json!([2, "call-1", "calc:add", 2, 3])).await;
    let invocation = receive(&mut callee).await;
    assert_eq!((invocation[0].clone(), invocation[4].clone()), (json!(68), json!([2, 3])));
    send(&mut callee, json!([70, invocation[1], {}, [5]])).await;
    assert_eq!(receive(&mut caller).await, json!([3, "call-1", 5]));

    send(&mut caller, json!([2, "call-2", "calc:add", "x"])).await;
    let invocation = receive(&mut callee).await;
    send(&mut callee, json!([8, 68, invocation[1], {}, "com.example.error.bad", ["numbers only"]]))
        .await;
    assert_eq!(
        receive(&mut caller).await,
        json!([4, "call-2", "com.example.error.bad", "numbers only"])
    );

    send(&mut caller, json!([2, "call-3", "http://example.com/none"])).await;
    let error = receive(&mut caller).await;
    assert_eq!(
        (error[0].clone(), error[2].clone()),
        (json!(4), json!("wamp.error.no_such_procedure"))
    );
}

#[tokio::test]
async fn publications_cross_between_v1_and_v2_with_v1s_exclusion_and_eligibility() {
    let addr = serve().await;
    let (mut alice, alice_id) = v1(addr).await;
    let (mut bob, bob_id) = v1(addr).await;
    let mut carol = v2(addr).await;
    for client in [&mut alice, &mut bob] {
        send(client, json!([1, "ev", "http://example.com/event#"])).await;
        send(client, json!([5, "ev:chat"])).await;
        // A call after it on the same connection: the SUBSCRIBE is in place
        // once the answer comes (and v1 calls reach the meta API).
        send(client, json!([2, "sync", "wamp.session.count"])).await;
        assert_eq!(receive(client).await[0], 3);
    }
    send(&mut carol, json!([32, 1, {}, "http://example.com/event.chat"])).await;
    let subscribed = receive(&mut carol).await;
    assert_eq!(subscribed[0], 33);
    // Both v1 subscriptions are in place once a v2 look-up finds them.
    send(&mut carol, json!([48, 2, {}, "wamp.subscription.count_subscribers", [subscribed[2]]]))
        .await;
    assert_eq!(receive(&mut carol).await, json!([50, 2, {}, [3]]));

    // v2 → v1: each v1 subscriber gets it under the URI it subscribed with.
    send(&mut carol, json!([16, 3, {}, "http://example.com/event.chat", ["hello v1"]])).await;
    for client in [&mut alice, &mut bob] {
        assert_eq!(receive(client).await, json!([8, "http://example.com/event#chat", "hello v1"]));
    }

    // v1 → v2 and v1, the publisher excluded (excludeMe).
    send(&mut alice, json!([7, "ev:chat", {"from": "alice"}, true])).await;
    assert_eq!(
        receive(&mut bob).await,
        json!([8, "http://example.com/event#chat", {"from": "alice"}])
    );
    let event = receive(&mut carol).await;
    assert_eq!((event[0].clone(), event[4].clone()), (json!(36), json!([{"from": "alice"}])));

    // Eligible: only Bob.
    send(&mut alice, json!([7, "ev:chat", "for bob", [], [bob_id]])).await;
    assert_eq!(receive(&mut bob).await[2], "for bob");
    // Exclude Bob, by his session ID: Alice (not excluded) and Carol get it.
    send(&mut alice, json!([7, "ev:chat", "not for bob", [bob_id], []])).await;
    assert_eq!(receive(&mut alice).await[2], "not for bob");
    assert_eq!(receive(&mut carol).await[4], json!(["not for bob"]));
    // Nothing else reached Bob or Carol: the next thing each gets is this.
    send(&mut carol, json!([16, 4, {"exclude": [alice_id.parse::<u64>().unwrap()]}, "http://example.com/event.chat", ["last"]])).await;
    assert_eq!(receive(&mut bob).await[2], "last");

    // Unsubscribed, Bob hears nothing more; Alice (not excluded now) does.
    send(&mut bob, json!([6, "ev:chat"])).await;
    send(&mut bob, json!([2, "sync", "wamp.session.count"])).await;
    assert_eq!(receive(&mut bob).await[0], 3);
    send(
        &mut carol,
        json!([16, 5, {"acknowledge": true}, "http://example.com/event.chat", ["after"]]),
    )
    .await;
    assert_eq!(receive(&mut carol).await[0], 17);
    assert_eq!(receive(&mut alice).await[2], "after");
    send(&mut bob, json!([2, "sync", "wamp.session.count"])).await;
    assert_eq!(receive(&mut bob).await[0], 3, "no event before the answer");
}

#[tokio::test]
async fn a_v1_client_that_breaks_the_rules_is_answered_as_v1_says() {
    let addr = serve().await;
    let (mut client, _) = v1(addr).await;
    send(&mut client, json!([2, "c1", 42])).await;
    let error = receive(&mut client).await;
    assert_eq!((error[0].clone(), error[1].clone()), (json!(4), json!("c1")), "{error}");
    client.send_frame(OpCode::Text, true, b"not json").await;
    let close = loop {
        match client.next_event().await {
            Some(capstan::ws::Event::Close(frame)) => break frame.unwrap(),
            Some(_) => continue,
            None => panic!("closed without a close frame"),
        }
    };
    assert_eq!(close.code, capstan::CloseCode::INVALID_PAYLOAD);
}
