//! A game watched over WAMP: a client at `/wamp` (wamp.2.json, spoken here
//! by hand over a real socket) subscribes to the game's topic and gets its
//! moves and its end; it may not publish there.

mod common;

use std::time::Duration;

use common::{Server, exchange_move, started_game};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn wamp_client(server: &Server) -> Socket {
    let mut request = format!("ws://{}/wamp", server.addr).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "wamp.2.json".parse().unwrap());
    let (socket, response) =
        tokio_tungstenite::connect_async(request).await.expect("a WAMP connection");
    assert_eq!(response.headers()["sec-websocket-protocol"], "wamp.2.json");
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.expect("sent");
}

async fn recv(socket: &mut Socket) -> Value {
    let next = tokio::time::timeout(Duration::from_secs(10), socket.next()).await;
    match next.expect("a WAMP message within 10 s") {
        Some(Ok(Message::Text(text))) => serde_json::from_str(&text).expect("JSON"),
        other => panic!("a text message expected, got {other:?}"),
    }
}

#[tokio::test]
async fn any_wamp_client_can_watch_a_game_but_not_publish_in_it() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    let mut watcher = wamp_client(&server).await;
    send(&mut watcher, json!([1, "tikztakz", {"roles": {"subscriber": {}, "publisher": {}}}]))
        .await;
    let welcome = recv(&mut watcher).await;
    assert_eq!(welcome[0], 2, "WELCOME: {welcome}");
    assert_eq!(welcome[2]["authrole"], "anonymous");
    let topic = format!("tikztakz.game.{}", x_joined["game_id"].as_str().unwrap());
    send(&mut watcher, json!([32, 1, {}, topic])).await;
    let subscribed = recv(&mut watcher).await;
    assert_eq!(subscribed[0], 33, "SUBSCRIBED: {subscribed}");
    exchange_move(&mut x, &mut o, 7, 7).await;
    let event = recv(&mut watcher).await;
    assert_eq!(event[0], 36, "EVENT: {event}");
    assert_eq!(event[5]["type"], "add_move_resp");
    assert_eq!(event[5]["data"]["coords"], json!({"x": 7, "y": 7}));
    x.bare("resign").await;
    let event = recv(&mut watcher).await;
    assert_eq!(event[5]["type"], "end_of_game_resp");
    assert_eq!(event[5]["data"]["reason"], "resigned");
    send(&mut watcher, json!([16, 2, {"acknowledge": true}, topic, ["forged"]])).await;
    let refused = recv(&mut watcher).await;
    assert_eq!(refused[0], 8, "ERROR: {refused}");
    assert_eq!(refused[4], "wamp.error.not_authorized");
}

#[tokio::test]
async fn private_games_are_never_published() {
    let server = Server::start(|_| {}).await;
    let mut spy = wamp_client(&server).await;
    send(&mut spy, json!([1, "tikztakz", {"roles": {"subscriber": {}}}])).await;
    assert_eq!(recv(&mut spy).await[0], 2);
    // A pattern subscription would show every topic, and so every game id.
    send(&mut spy, json!([32, 1, {"match": "prefix"}, "tikztakz.game."])).await;
    assert_eq!(recv(&mut spy).await[0], 33);
    let mut host = server.player().await;
    let hosted = host.create_private("Host").await;
    let mut guest = server.player().await;
    guest
        .create(json!({"player_name": "Guest", "game_public": false, "game_id": hosted["game_id"]}))
        .await;
    guest.expect("create_player_resp").await;
    exchange_move_after_start(&mut host, &mut guest).await;
    // Then a public game: its first event is the first the spy sees.
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    exchange_move(&mut x, &mut o, 2, 2).await;
    let event = recv(&mut spy).await;
    let topic = format!("tikztakz.game.{}", x_joined["game_id"].as_str().unwrap());
    assert_eq!(event[3]["topic"], topic, "{event}");
}

/// Reads up to the start on both sides of a private game, then X moves.
async fn exchange_move_after_start(host: &mut common::Player, guest: &mut common::Player) {
    guest.expect("info_resp").await;
    guest.expect("start_game_resp").await;
    host.expect("info_resp").await;
    host.expect("start_game_resp").await;
    exchange_move(host, guest, 0, 0).await;
}
