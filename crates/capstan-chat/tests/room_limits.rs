//! Rooms in public (docs/chat-protocol.md, "Room"; docs/chat-server.md,
//! "Limits and abuse"): a cap per user and in total, each with its error
//! code; a room never written to leaves nothing in the database; a room
//! idle past its time goes with its history, and its ids are not given
//! again. Real servers over temporary SQLite files, real clients.

mod common;

use capstan_chat::Config;
use common::{Client, Server, TestDb};
use serde_json::{Value, json};

/// The names of the rooms a `rooms` answer lists.
fn room_names(rooms: &Value) -> Vec<String> {
    rooms["rooms"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().into()).collect()
}

/// Joins `room`; the answer's type (`joined` or `error`) and data.
async fn try_join(client: &mut Client, room: &str) -> (String, Value) {
    client.send("join", json!({ "room": room })).await;
    let answer = client.expect_any(&["joined", "error"]).await;
    (answer["type"].as_str().unwrap().to_owned(), answer["data"].clone())
}

/// The rows of the database's `rooms` table, by name.
fn stored_rooms(db: &TestDb) -> Vec<String> {
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    let mut statement = conn.prepare("SELECT name FROM rooms ORDER BY name").unwrap();
    statement.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[tokio::test]
async fn one_user_is_in_at_most_max_rooms_per_user() {
    let db = TestDb::new();
    let server = Server::start(&Config { max_rooms_per_user: 3, ..db.config() }).await;
    let (mut alice, _) = server.named("alice").await;
    for room in ["a", "b"] {
        assert_eq!(try_join(&mut alice, room).await.0, "joined");
    }
    let (kind, error) = try_join(&mut alice, "c").await;
    assert_eq!(kind, "error");
    assert_eq!(
        (&error["code"], &error["type"], &error["room"]),
        (&json!("too_many_rooms"), &json!("join"), &json!("c"))
    );
    // Joining a room already joined is no new room.
    assert_eq!(try_join(&mut alice, "a").await.0, "joined");
    alice.ask("leave", json!({ "room": "a" })).await;
    assert_eq!(try_join(&mut alice, "c").await.0, "joined");

    // Resuming more rooms than allowed: the first ones (general, then by
    // name) are joined, each of the others refused on its own.
    let mut resumed = server.client().await;
    let rooms = json!({ "r1": 0, "r2": 0, "r3": 0, "r4": 0 });
    resumed.send("add_user", json!({ "username": "bob", "rooms": rooms })).await;
    let mut refused = Vec::new();
    let answer = loop {
        let envelope = resumed.expect_any(&["add_user", "error"]).await;
        if envelope["type"] == "add_user" {
            break envelope["data"].clone();
        }
        assert_eq!(envelope["data"]["code"], "too_many_rooms", "{envelope}");
        assert_eq!(envelope["data"]["type"], "add_user", "{envelope}");
        refused.push(envelope["data"]["room"].as_str().unwrap().to_owned());
    };
    assert_eq!(answer["rooms"], json!(["general", "r1", "r2"]));
    assert_eq!(refused, ["r3", "r4"]);
    server.stop().await;

    // Everyone is in general: a limit of 0 rooms makes no sense.
    let none = Config { max_rooms_per_user: 0, ..db.config() };
    let error = capstan_chat::ChatServer::bind(&none).await.err().expect("refused at start");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
}

#[tokio::test]
async fn the_server_holds_at_most_max_rooms() {
    let db = TestDb::new();
    let server = Server::start(&Config { max_rooms: 3, ..db.config() }).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    // general, x, y: three rooms.
    assert_eq!(try_join(&mut alice, "x").await.0, "joined");
    assert_eq!(try_join(&mut bob, "y").await.0, "joined");
    let (kind, error) = try_join(&mut alice, "z").await;
    assert_eq!(kind, "error");
    assert_eq!((&error["code"], &error["room"]), (&json!("room_limit"), &json!("z")));
    // A room that exists can still be joined; general always.
    assert_eq!(try_join(&mut alice, "y").await.0, "joined");
    let (mut carol, answer) = server.named("carol").await;
    assert_eq!(answer["room"], "general");

    // A stored room stays when emptied; an empty room never written to goes,
    // which makes room for another.
    alice.post("x", "kept", "k1").await;
    alice.ask("leave", json!({ "room": "x" })).await;
    assert_eq!(try_join(&mut carol, "z").await.1["code"], "room_limit");
    for client in [&mut alice, &mut bob] {
        client.ask("leave", json!({ "room": "y" })).await;
    }
    assert_eq!(try_join(&mut carol, "z").await.0, "joined");
    let rooms = carol.ask("rooms", json!({})).await;
    assert_eq!(room_names(&rooms), ["general", "x", "z"]);
    // The list comes in pages.
    let first = carol.ask("rooms", json!({ "limit": 2 })).await;
    assert_eq!(
        (room_names(&first), &first["has_more"]),
        (vec!["general".into(), "x".into()], &json!(true))
    );
    let rest = carol.ask("rooms", json!({ "after": "x", "limit": 2 })).await;
    assert_eq!((room_names(&rest), &rest["has_more"]), (vec!["z".into()], &json!(false)));
    server.stop().await;
}

#[tokio::test]
async fn a_room_never_written_to_leaves_nothing_behind() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    for room in ["ghost-1", "ghost-2", "ghost-3"] {
        alice.ask("join", json!({ "room": room })).await;
    }
    alice.ask("join", json!({ "room": "real" })).await;
    alice.post("real", "hello", "c1").await;
    let rooms = alice.ask("rooms", json!({})).await;
    assert_eq!(room_names(&rooms), ["general", "ghost-1", "ghost-2", "ghost-3", "real"]);
    server.stop().await;
    assert_eq!(stored_rooms(&db), ["real"]);

    // After a restart only the room with a message is there.
    let server = Server::start(&db.config()).await;
    let (mut bob, _) = server.named("bob").await;
    let rooms = bob.ask("rooms", json!({})).await;
    assert_eq!(room_names(&rooms), ["general", "real"]);
    server.stop().await;
}

#[tokio::test]
async fn an_idle_room_goes_with_its_history_and_its_ids_are_not_given_again() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    alice.ask("join", json!({ "room": "old" })).await;
    alice.ask("join", json!({ "room": "fresh" })).await;
    for n in 1..=3 {
        alice.post("old", &format!("old {n}"), &format!("o{n}")).await;
    }
    alice.post("fresh", "fresh 1", "f1").await;
    alice.send("direct", json!({ "to": "bob", "content": "psst", "client_id": "d1" })).await;
    bob.expect("direct").await;
    server.stop().await;

    // Forty days pass for `old` and the direct conversation, not `fresh`.
    let forty_days_ago = capstan_chat::time::now_ms() - 40 * 86_400_000;
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    conn.execute(
        "UPDATE rooms SET last_active_ms = ?1 WHERE name IN ('old', '@alice|bob')",
        [forty_days_ago],
    )
    .unwrap();
    drop(conn);

    // The store removes what is idle when it starts (then every minute).
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let rooms = alice.ask("rooms", json!({})).await;
    assert_eq!(room_names(&rooms), ["fresh", "general"]);
    assert_eq!(stored_rooms(&db), ["fresh"]);
    let history = alice.ask("history", json!({ "room": "@alice|bob" })).await;
    assert_eq!(history["messages"], json!([]));
    let joined = alice.ask("join", json!({ "room": "old" })).await;
    assert_eq!(joined["messages"], json!([]));
    // Written to again, the room goes on above every id it gave: a client
    // that saw id 3 misses nothing, and sees nothing twice.
    let ack = alice.post("old", "old again", "o4").await;
    assert_eq!(ack["id"], 4);
    let resumed = alice.ask("join", json!({ "room": "old", "after": 3 })).await;
    assert_eq!(common::contents(&resumed["messages"]), ["old again"]);
    server.stop().await;
}

#[tokio::test]
async fn an_address_holds_at_most_max_connections_per_ip() {
    let db = TestDb::new();
    let server = Server::start(&Config { max_connections_per_ip: 2, ..db.config() }).await;
    let first = server.client().await;
    let _second = server.client().await;
    match Client::connect(server.addr, "/ws", None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503)
        }
        Err(other) => panic!("{other}"),
        Ok(_) => panic!("a third connection from one address was let in"),
    }
    drop(first);
    // Its slot is given back once the server has seen it close (no event
    // tells the client when: retried, bounded by the tests' wait).
    let retry = async {
        loop {
            match Client::connect(server.addr, "/ws", None).await {
                Ok(client) => break client,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 503 => {
                    tokio::task::yield_now().await
                }
                Err(other) => panic!("{other}"),
            }
        }
    };
    let again = tokio::time::timeout(common::WAIT, retry).await.expect("a slot given back");
    drop(again);
    server.stop().await;
}
