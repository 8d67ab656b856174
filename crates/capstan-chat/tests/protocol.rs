//! The chat server against its contract, docs/chat-protocol.md: real
//! servers on ephemeral ports over temporary SQLite files, real WebSocket
//! clients. No test measures time; every wait is bounded.

mod common;

use common::{
    Client, DbLock, Server, TestDb, assert_created, contents, has_change, http_get, ids,
    strip_created,
};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// The names in a `members` list.
fn members(data: &Value) -> Vec<String> {
    data["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members list in {data}"))
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// Asserts an `error` answer: its code, the request type it answers, and
/// that it has a human-readable message.
fn assert_error(error: &Value, code: &str, kind: Option<&str>) {
    assert_eq!(error["code"], code, "{error}");
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
    match kind {
        Some(kind) => assert_eq!(error["type"], kind, "{error}"),
        None => assert!(error.get("type").is_none(), "{error}"),
    }
}

// 1 ---------------------------------------------------------------------

#[tokio::test]
async fn classic_demo_flow_add_user_message_rename() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;

    // The classic demo connects to the bare host ("ws://HOST:8080").
    let mut alice = Client::connect(server.addr, "/", None).await.unwrap();
    alice.send("add_user", json!({ "username": "alice" })).await;
    let answer = alice.expect("add_user").await;
    assert_eq!(answer["username"], "alice");
    // As the classic demo: `created`, whole seconds since the epoch.
    assert!(answer["created"].as_i64().is_some_and(|s| s > 1_700_000_000), "{answer}");
    assert_eq!(answer["room"], "general");
    assert_eq!(answer["messages"], json!([]));
    // The doc says "`rooms` (the rooms joined, see `rooms`)": names here,
    // not the `rooms` answer's objects (ambiguous in the doc).
    assert_eq!(answer["rooms"], json!(["general"]));
    let session = answer["session"].as_str().expect("a session token");
    assert!(!session.is_empty());

    alice.send("message", json!({ "content": "hello" })).await;
    let hello = alice.expect("message").await;
    assert_eq!(
        strip_created(&hello),
        json!({ "id": 1, "room": "general", "author": "alice", "content": "hello" })
    );

    // A second client: sees the history; the first sees it join.
    let (mut bob, bob_answer) = server.named("bob").await;
    assert_eq!(bob_answer["messages"], json!([hello.clone()]));
    assert_ne!(bob_answer["session"], answer["session"]);
    let (change, presence) = alice.expect_change("general", "bob", "join").await;
    assert_eq!(change, json!({ "user": "bob", "event": "join" }));
    assert_eq!(presence["member_count"], 2);
    assert!(presence.get("members").is_none(), "presence carries changes, not the list");
    let info = alice.expect("info").await;
    assert!(info["message"].as_str().unwrap().starts_with("bob joined"), "{info}");

    // Every connected client, the sender included, gets the message.
    bob.send("message", json!({ "content": "hi <b>all</b>" })).await;
    for client in [&mut alice, &mut bob] {
        let message = client.expect("message").await;
        assert_eq!(
            strip_created(&message),
            json!({ "id": 2, "room": "general", "author": "bob", "content": "hi <b>all</b>" })
        );
    }

    // rename_user: `renamed` to the user, `presence` and `info` to the others.
    alice.send("rename_user", json!({ "username": "ann" })).await;
    assert_eq!(alice.expect("renamed").await, json!({ "username": "ann" }));
    let (change, presence) = bob.expect_change("general", "ann", "rename").await;
    assert_eq!(change, json!({ "user": "ann", "event": "rename", "from": "alice" }));
    assert_eq!(presence["member_count"], 2);
    let info = bob.expect("info").await;
    let text = info["message"].as_str().unwrap();
    assert!(text.contains("alice") && text.contains("ann"), "{info}");

    alice.send("message", json!({ "content": "now ann" })).await;
    let message = bob.expect("message").await;
    assert_eq!(message["author"], "ann");
    assert_eq!(message["id"], 3);

    // add_user again renames, like rename_user.
    alice.send("add_user", json!({ "username": "anna" })).await;
    assert_eq!(alice.expect("renamed").await, json!({ "username": "anna" }));
    let (change, _) = bob.expect_change("general", "anna", "rename").await;
    assert_eq!(change["from"], "ann");

    // Unknown fields are ignored; `data` may be omitted.
    alice.send_text(r#"{"type":"message","data":{"content":"extra","color":"red"},"v":2}"#).await;
    let message = bob.expect("message").await;
    assert_eq!(
        strip_created(&message),
        json!({ "id": 4, "room": "general", "author": "anna", "content": "extra" })
    );
    alice.send_text(r#"{"type":"rooms"}"#).await;
    assert_eq!(alice.expect("rooms").await["rooms"][0]["last_id"], 4);

    server.stop().await;
}

// 2 ---------------------------------------------------------------------

#[tokio::test]
async fn rooms_join_leave_list_and_isolation() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    let (mut carol, _) = server.named("carol").await;

    let joined = alice.ask("join", json!({ "room": "rust" })).await;
    assert_eq!(
        joined,
        json!({
            "room": "rust", "messages": [], "has_more": false, "resumed": false,
            "members": ["alice"], "member_count": 1, "members_more": false,
        })
    );
    let joined = bob.ask("join", json!({ "room": "rust" })).await;
    assert_eq!(
        joined,
        json!({
            "room": "rust", "messages": [], "has_more": false, "resumed": false,
            "members": ["alice", "bob"], "member_count": 2, "members_more": false,
        })
    );
    let (_, presence) = alice.expect_change("rust", "bob", "join").await;
    assert_eq!(presence["member_count"], 2);

    // A message in rust reaches its members only.
    alice.send("message", json!({ "room": "rust", "content": "r1" })).await;
    for client in [&mut alice, &mut bob] {
        let message = client.expect("message").await;
        assert_eq!(
            strip_created(&message),
            json!({ "id": 1, "room": "rust", "author": "alice", "content": "r1" })
        );
    }
    alice.send("message", json!({ "content": "g-marker" })).await;
    let next = carol.expect("message").await;
    assert_eq!(
        (next["room"].clone(), next["content"].clone()),
        (json!("general"), json!("g-marker"))
    );

    // rooms: every public room, its member count, last id, whether joined.
    // (The doc does not say whether `members` is a count or, as in
    // `joined` and `presence`, a list of names: the server sends a count.)
    let rooms = alice.ask("rooms", json!({})).await;
    assert_eq!(
        rooms,
        json!({ "rooms": [
            { "name": "general", "members": 3, "last_id": 1, "joined": true },
            { "name": "rust", "members": 2, "last_id": 1, "joined": true },
        ], "has_more": false })
    );
    let rooms = carol.ask("rooms", json!({})).await;
    assert_eq!(
        rooms["rooms"][1],
        json!({ "name": "rust", "members": 2, "last_id": 1, "joined": false })
    );

    // A room created by joining is listed with last_id 0.
    carol.ask("join", json!({ "room": "empty-room_1" })).await;
    let rooms = carol.ask("rooms", json!({})).await;
    assert_eq!(
        rooms["rooms"][0],
        json!({ "name": "empty-room_1", "members": 1, "last_id": 0, "joined": true })
    );

    // leave: `left` to the user, presence to the others; no more messages.
    assert_eq!(bob.ask("leave", json!({ "room": "rust" })).await, json!({ "room": "rust" }));
    let (_, presence) = alice.expect_change("rust", "bob", "leave").await;
    assert_eq!(presence["member_count"], 1);
    alice.send("message", json!({ "room": "rust", "content": "r2" })).await;
    alice.expect_where("message", |d| d["content"] == "r2").await;
    alice.send("message", json!({ "content": "g2" })).await;
    let next = bob.expect("message").await;
    assert_eq!(next["content"], "g2", "bob left rust but got {next}");

    bob.send("message", json!({ "room": "rust", "content": "let me in" })).await;
    let error = bob.expect_error().await;
    assert_error(&error, "not_in_room", Some("message"));
    assert_eq!(error["room"], "rust", "errors name the room the request was about");
    let rooms = bob.ask("rooms", json!({})).await;
    assert_eq!(
        rooms["rooms"][2],
        json!({ "name": "rust", "members": 1, "last_id": 2, "joined": false })
    );

    // general can be left too.
    assert_eq!(bob.ask("leave", json!({ "room": "general" })).await, json!({ "room": "general" }));
    bob.send("message", json!({ "content": "hello?" })).await;
    assert_error(&bob.expect_error().await, "not_in_room", Some("message"));
    let (_, presence) = carol.expect_change("general", "bob", "leave").await;
    assert_eq!(presence["member_count"], 2);

    server.stop().await;
}

// 3 ---------------------------------------------------------------------

#[tokio::test]
async fn history_pages_both_ways_with_has_more_and_limits() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    for i in 1..=120 {
        alice
            .send("message", json!({ "content": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
    }
    alice.expect_where("ack", |d| d["client_id"] == "c120").await;
    let range = |r: std::ops::RangeInclusive<u64>| r.collect::<Vec<u64>>();

    let history = |data: Value| {
        let mut data = data;
        data["room"] = json!("general");
        data
    };
    let latest = alice.ask("history", history(json!({}))).await;
    assert_eq!(latest["room"], "general");
    assert_eq!(ids(&latest["messages"]), range(71..=120));
    assert_eq!(latest["has_more"], true);
    let first = &latest["messages"][0];
    assert_eq!(
        strip_created(first),
        json!({ "id": 71, "room": "general", "author": "alice", "content": "m71", "client_id": "c71" })
    );

    let page = alice.ask("history", history(json!({ "before": 71 }))).await;
    assert_eq!(ids(&page["messages"]), range(21..=70));
    assert_eq!(page["has_more"], true);
    let page = alice.ask("history", history(json!({ "before": 21 }))).await;
    assert_eq!(ids(&page["messages"]), range(1..=20));
    assert_eq!(page["has_more"], false);
    assert_eq!(contents(&page["messages"])[0], "m1");
    let page = alice.ask("history", history(json!({ "before": 1 }))).await;
    assert_eq!((page["messages"].clone(), page["has_more"].clone()), (json!([]), json!(false)));

    let page = alice.ask("history", history(json!({ "after": 100 }))).await;
    assert_eq!(ids(&page["messages"]), range(101..=120));
    assert_eq!(page["has_more"], false);
    let page = alice.ask("history", history(json!({ "after": 0, "limit": 10 }))).await;
    assert_eq!(ids(&page["messages"]), range(1..=10));
    assert_eq!(page["has_more"], true);
    let page = alice.ask("history", history(json!({ "after": 60, "limit": 60 }))).await;
    assert_eq!(ids(&page["messages"]), range(61..=120));
    assert_eq!(page["has_more"], false);
    let page = alice.ask("history", history(json!({ "after": 120 }))).await;
    assert_eq!((page["messages"].clone(), page["has_more"].clone()), (json!([]), json!(false)));

    // limit: 1–100, default 50; the server clamps values out of range (the
    // doc does not say whether to clamp or refuse them).
    let page = alice.ask("history", history(json!({ "limit": 100 }))).await;
    assert_eq!(ids(&page["messages"]), range(21..=120));
    assert_eq!(page["has_more"], true);
    let page = alice.ask("history", history(json!({ "limit": 1000 }))).await;
    assert_eq!(ids(&page["messages"]), range(21..=120));
    let page = alice.ask("history", history(json!({ "limit": 1, "before": 50 }))).await;
    assert_eq!(ids(&page["messages"]), [49]);
    assert_eq!(page["has_more"], true);
    let page = alice.ask("history", history(json!({ "limit": 0 }))).await;
    assert_eq!(ids(&page["messages"]), [120]);
    assert_eq!(page["has_more"], true);

    alice.send("history", json!({ "room": "general", "before": 5, "after": 1 })).await;
    assert_error(&alice.expect_error().await, "invalid_field", Some("history"));
    alice.send("history", json!({ "room": "elsewhere" })).await;
    let error = alice.expect_error().await;
    assert_error(&error, "not_in_room", Some("history"));
    assert_eq!(error["room"], "elsewhere");

    server.stop().await;
}

// 4 ---------------------------------------------------------------------

#[tokio::test]
async fn resume_after_a_dropped_connection_sends_exactly_what_was_missed() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, answer) = server.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let (mut bob, _) = server.named("bob").await;
    alice.ask("join", json!({ "room": "other" })).await;
    bob.ask("join", json!({ "room": "other" })).await;

    for i in 1..=3 {
        bob.post("general", &format!("seen-g{i}"), &format!("sg{i}")).await;
    }
    for i in 1..=2 {
        bob.post("other", &format!("seen-o{i}"), &format!("so{i}")).await;
    }
    let mut last_general = 0;
    let mut last_other = 0;
    while last_general < 3 || last_other < 2 {
        let message = alice.expect("message").await;
        let id = message["id"].as_u64().unwrap();
        match message["room"].as_str().unwrap() {
            "general" => last_general = id,
            "other" => last_other = id,
            room => panic!("a message from {room}"),
        }
    }
    assert_eq!((last_general, last_other), (3, 2));

    alice.abort();
    for i in 1..=5 {
        bob.post("general", &format!("missed-g{i}"), &format!("mg{i}")).await;
    }
    for i in 1..=3 {
        bob.post("other", &format!("missed-o{i}"), &format!("mo{i}")).await;
    }

    let mut alice = server.client().await;
    alice
        .send(
            "add_user",
            json!({
                "username": "alice", "session": session,
                "rooms": { "general": last_general, "other": last_other },
            }),
        )
        .await;
    let answer = alice.expect("add_user").await;
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["session"], session.as_str());
    assert_eq!(answer["room"], "general");
    assert_eq!(ids(&answer["messages"]), [4, 5, 6, 7, 8]);
    assert_eq!(
        contents(&answer["messages"]),
        ["missed-g1", "missed-g2", "missed-g3", "missed-g4", "missed-g5"]
    );
    assert_eq!(answer["resumed"], true);
    assert_eq!(answer["has_more"], false);
    let joined = alice.expect("joined").await;
    assert_eq!(joined["room"], "other");
    assert_eq!(joined["resumed"], true);
    assert_eq!(joined["has_more"], false);
    assert_eq!(ids(&joined["messages"]), [3, 4, 5]);
    assert_eq!(contents(&joined["messages"]), ["missed-o1", "missed-o2", "missed-o3"]);
    assert_eq!(members(&joined), ["alice", "bob"]);
    for message in joined["messages"].as_array().unwrap() {
        assert_eq!(message["author"], "bob");
        assert_eq!(message["room"], "other");
        assert_created(message);
    }

    // Then live messages, each exactly once.
    bob.post("general", "live-1", "l1").await;
    bob.post("other", "live-2", "l2").await;
    bob.post("general", "live-3", "l3").await;
    for (room, id, content) in
        [("general", 9, "live-1"), ("other", 6, "live-2"), ("general", 10, "live-3")]
    {
        let message = alice.expect("message").await;
        assert_eq!(
            (
                message["room"].as_str().unwrap(),
                message["id"].as_u64().unwrap(),
                message["content"].as_str().unwrap()
            ),
            (room, id, content)
        );
    }

    server.stop().await;
}

#[tokio::test]
async fn resume_over_a_gap_of_more_than_500_says_has_more() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut bob, _) = server.named("bob").await;
    for i in 1..=510 {
        bob.send("message", json!({ "content": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
    }
    bob.expect_where("ack", |d| d["client_id"] == "c510").await;

    // add_user: the latest 50 of general, oldest first.
    let (mut alice, answer) = server.named("alice").await;
    assert_eq!(ids(&answer["messages"]), (461..=510).collect::<Vec<u64>>());
    assert_eq!(answer["resumed"], false);
    let joined = alice.ask("join", json!({ "room": "general", "after": 3 })).await;
    assert_eq!(joined["resumed"], true);
    assert_eq!(joined["has_more"], true);
    assert_eq!(ids(&joined["messages"]), (11..=510).collect::<Vec<u64>>());

    let joined = alice.ask("join", json!({ "room": "general", "after": 10 })).await;
    assert_eq!(joined["has_more"], false);
    assert_eq!(ids(&joined["messages"]).len(), 500);

    // Without `after`: the latest 50, not resumed.
    let joined = alice.ask("join", json!({ "room": "general" })).await;
    assert_eq!(joined["resumed"], false);
    assert_eq!(ids(&joined["messages"]), (461..=510).collect::<Vec<u64>>());

    server.stop().await;
}

#[tokio::test]
async fn catch_up_and_live_stream_are_cut_at_the_same_point() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut bob, _) = server.named("bob").await;
    bob.ask("join", json!({ "room": "busy" })).await;
    let (mut alice, answer) = server.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    alice.ask("join", json!({ "room": "busy" })).await;
    alice.abort();

    // Bob posts without waiting while alice resumes, in general and busy:
    // whatever the interleaving, she gets every id once, in order.
    const N: u64 = 300;
    for i in 1..=N {
        let room = if i % 2 == 0 { "general" } else { "busy" };
        bob.send("message", json!({ "room": room, "content": format!("m{i}") })).await;
    }
    let mut alice = server.client().await;
    alice
        .send(
            "add_user",
            json!({ "username": "alice", "session": session, "rooms": { "general": 0, "busy": 0 } }),
        )
        .await;
    let mut seen: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    while seen.values().map(Vec::len).sum::<usize>() < N as usize {
        let envelope = alice.expect_any(&["add_user", "joined", "message"]).await;
        let data = &envelope["data"];
        let list = if envelope["type"] == "message" {
            vec![data.clone()]
        } else {
            assert_eq!(data["resumed"], true, "{envelope}");
            data["messages"].as_array().unwrap().clone()
        };
        for message in list {
            let room = message["room"].as_str().unwrap().to_owned();
            seen.entry(room).or_default().push(message["id"].as_u64().unwrap());
        }
    }
    let expected: Vec<u64> = (1..=N / 2).collect();
    assert_eq!(seen.get("general"), Some(&expected));
    assert_eq!(seen.get("busy"), Some(&expected));
    // And nothing more.
    bob.send("message", json!({ "content": "end" })).await;
    let next = alice.expect_any(&["add_user", "joined", "message"]).await;
    assert_eq!(next["data"]["content"], "end", "{next}");

    server.stop().await;
}

#[tokio::test]
async fn retention_keeps_the_newest_messages_and_never_reuses_ids() {
    let db = TestDb::new();
    let config = capstan_chat::Config { retain_messages: 5, ..db.config() };
    let server = Server::start(&config).await;
    let (mut alice, _) = server.named("alice").await;
    for i in 1..=12 {
        alice.post("general", &format!("m{i}"), &format!("c{i}")).await;
    }
    let history = alice.ask("history", json!({ "room": "general" })).await;
    assert_eq!(ids(&history["messages"]), [8, 9, 10, 11, 12]);
    assert_eq!(history["has_more"], false);
    server.stop().await;

    let server = Server::start(&config).await;
    let (mut alice, answer) = server.named("alice").await;
    assert_eq!(ids(&answer["messages"]), [8, 9, 10, 11, 12]);
    assert_eq!(alice.post("general", "m13", "c13").await["id"], 13);
    server.stop().await;
}

// 5 ---------------------------------------------------------------------

#[tokio::test]
async fn session_takeover_closes_the_old_connection_with_4001() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut old, answer) = server.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let (mut bob, _) = server.named("bob").await;

    // Another session, or none, cannot take the name (case-insensitive).
    let mut thief = server.client().await;
    thief.send("add_user", json!({ "username": "ALICE", "session": "not-hers" })).await;
    assert_error(&thief.expect_error().await, "name_taken", Some("add_user"));
    thief.send("add_user", json!({ "username": "alice" })).await;
    assert_error(&thief.expect_error().await, "name_taken", Some("add_user"));

    let mut new = server.client().await;
    let answer = new.add_user(json!({ "username": "alice", "session": session })).await;
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["session"], session.as_str());
    assert_eq!(old.expect_close().await, Some(4001));

    // The new connection holds the name: it posts as alice, gets her
    // direct messages, and the name is still taken for others.
    new.send("message", json!({ "content": "after takeover" })).await;
    let message = new.expect("message").await;
    assert_eq!(message["author"], "alice");
    bob.send("direct", json!({ "to": "alice", "content": "still you?" })).await;
    let direct = new.expect("direct").await;
    assert_eq!(direct["content"], "still you?");
    thief.send("add_user", json!({ "username": "alice" })).await;
    assert_error(&thief.expect_error().await, "name_taken", Some("add_user"));

    // Bob never hears that alice left: she did not.
    loop {
        let envelope = bob.next().await;
        assert!(
            !(envelope["type"] == "presence" && has_change(&envelope["data"], "alice", "leave")),
            "bob was told alice left: {envelope}"
        );
        if envelope["type"] == "message" && envelope["data"]["content"] == "after takeover" {
            break;
        }
    }

    server.stop().await;
}

// 6 ---------------------------------------------------------------------

#[tokio::test]
async fn a_message_sent_again_with_its_client_id_is_stored_and_broadcast_once() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, answer) = server.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let (mut bob, _) = server.named("bob").await;

    alice.send("message", json!({ "content": "once", "client_id": "c1" })).await;
    let message = alice.expect("message").await;
    assert_eq!(
        strip_created(&message),
        json!({ "id": 1, "room": "general", "author": "alice", "content": "once", "client_id": "c1" })
    );
    let ack = alice.expect("ack").await;
    assert_eq!(ack, json!({ "client_id": "c1", "id": 1, "room": "general", "duplicate": false }));
    assert_eq!(bob.expect("message").await, message);

    // Again on the same connection: acknowledged as a duplicate, not sent.
    alice.send("message", json!({ "content": "once", "client_id": "c1" })).await;
    let envelope = alice.expect_any(&["message", "ack"]).await;
    assert_eq!(envelope["type"], "ack", "a duplicate was broadcast: {envelope}");
    assert_eq!(
        envelope["data"],
        json!({ "client_id": "c1", "id": 1, "room": "general", "duplicate": true })
    );

    // Again from a new connection of the same user, after a reconnect.
    alice.abort();
    let mut alice = server.client().await;
    alice
        .add_user(json!({ "username": "alice", "session": session, "rooms": { "general": 1 } }))
        .await;
    alice.send("message", json!({ "content": "once", "client_id": "c1" })).await;
    let envelope = alice.expect_any(&["message", "ack"]).await;
    assert_eq!(envelope["type"], "ack", "a duplicate was broadcast: {envelope}");
    assert_eq!(
        envelope["data"],
        json!({ "client_id": "c1", "id": 1, "room": "general", "duplicate": true })
    );

    // The next broadcast is the marker: nothing in between.
    alice.send("message", json!({ "content": "marker", "client_id": "c2" })).await;
    let ack = alice.expect("ack").await;
    assert_eq!(ack, json!({ "client_id": "c2", "id": 2, "room": "general", "duplicate": false }));
    let next = bob.expect("message").await;
    assert_eq!((next["id"].clone(), next["content"].clone()), (json!(2), json!("marker")));

    let history = alice.ask("history", json!({ "room": "general" })).await;
    assert_eq!(contents(&history["messages"]), ["once", "marker"]);

    // The same client id is another message for another user, or in
    // another room.
    let ack = bob.post("general", "bob's c1", "c1").await;
    assert_eq!(ack, json!({ "client_id": "c1", "id": 3, "room": "general", "duplicate": false }));
    alice.ask("join", json!({ "room": "side" })).await;
    let ack = alice.post("side", "once", "c1").await;
    assert_eq!(ack, json!({ "client_id": "c1", "id": 1, "room": "side", "duplicate": false }));

    server.stop().await;
}

// 7 ---------------------------------------------------------------------

#[tokio::test]
async fn direct_messages_reach_both_users_and_nobody_else() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    let (mut carol, _) = server.named("carol").await;

    alice.send("direct", json!({ "to": "bob", "content": "psst", "client_id": "d1" })).await;
    let expected = json!({
        "id": 1, "room": "@alice|bob", "author": "alice", "content": "psst",
        "client_id": "d1", "to": "bob",
    });
    let direct = alice.expect("direct").await;
    assert_eq!(strip_created(&direct), expected);
    let ack = alice.expect("ack").await;
    assert_eq!(
        ack,
        json!({ "client_id": "d1", "id": 1, "room": "@alice|bob", "duplicate": false })
    );
    assert_eq!(bob.expect("direct").await, direct);

    bob.send("direct", json!({ "to": "alice", "content": "yes?" })).await;
    let reply = alice.expect("direct").await;
    assert_eq!(
        strip_created(&reply),
        json!({ "id": 2, "room": "@alice|bob", "author": "bob", "content": "yes?", "to": "alice" })
    );
    assert_eq!(bob.expect("direct").await, reply);
    let ack = bob.expect("ack").await;
    assert_eq!(ack, json!({ "id": 2, "room": "@alice|bob", "duplicate": false }));

    // Sent again with its client id: acknowledged, not delivered again.
    alice.send("direct", json!({ "to": "bob", "content": "psst", "client_id": "d1" })).await;
    let ack = alice.expect("ack").await;
    assert_eq!(ack, json!({ "client_id": "d1", "id": 1, "room": "@alice|bob", "duplicate": true }));

    // Carol got none of it: her next message is a public marker.
    alice.send("message", json!({ "content": "marker" })).await;
    let next = carol.expect_any(&["direct", "message"]).await;
    assert_eq!(
        (next["type"].clone(), next["data"]["content"].clone()),
        (json!("message"), json!("marker"))
    );
    let next = bob.expect_any(&["direct", "message"]).await;
    assert_eq!(next["data"]["content"], "marker", "bob got the duplicate: {next}");

    // The conversation's history: readable by its two users only.
    for client in [&mut alice, &mut bob] {
        let history = client.ask("history", json!({ "room": "@alice|bob" })).await;
        assert_eq!(history["room"], "@alice|bob");
        assert_eq!(contents(&history["messages"]), ["psst", "yes?"]);
        assert_eq!(history["has_more"], false);
    }
    carol.send("history", json!({ "room": "@alice|bob" })).await;
    assert_error(&carol.expect_error().await, "not_in_room", Some("history"));
    carol.send("join", json!({ "room": "@alice|bob" })).await;
    assert_error(&carol.expect_error().await, "not_in_room", Some("join"));
    alice.send("message", json!({ "room": "@alice|bob", "content": "via message" })).await;
    assert_error(&alice.expect_error().await, "not_in_room", Some("message"));
    // The conversation is not a public room.
    let rooms = carol.ask("rooms", json!({})).await;
    assert_eq!(rooms["rooms"].as_array().unwrap().len(), 1, "{rooms}");

    // The room names the two users sorted by code point: "Zed" < "alice".
    let (mut zed, _) = server.named("Zed").await;
    zed.send("direct", json!({ "to": "alice", "content": "hi", "client_id": "z1" })).await;
    let ack = zed.expect("ack").await;
    assert_eq!(
        ack,
        json!({ "client_id": "z1", "id": 1, "room": "@Zed|alice", "duplicate": false })
    );
    let direct = alice.expect("direct").await;
    assert_eq!(
        (direct["room"].clone(), direct["to"].clone()),
        (json!("@Zed|alice"), json!("alice"))
    );
    let history = alice.ask("history", json!({ "room": "@Zed|alice" })).await;
    assert_eq!(contents(&history["messages"]), ["hi"]);

    // To someone offline, or to oneself: user_offline.
    alice.send("direct", json!({ "to": "dave", "content": "hi", "client_id": "d2" })).await;
    let error = alice.expect_error().await;
    assert_error(&error, "user_offline", Some("direct"));
    assert_eq!(error["client_id"], "d2");
    alice.send("direct", json!({ "to": "alice", "content": "me" })).await;
    assert_error(&alice.expect_error().await, "user_offline", Some("direct"));

    server.stop().await;
}

// 8 ---------------------------------------------------------------------

#[tokio::test]
async fn typing_reaches_the_others_in_the_room_but_not_the_sender() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    let (mut carol, _) = server.named("carol").await;
    alice.ask("join", json!({ "room": "quiet" })).await;
    bob.ask("join", json!({ "room": "quiet" })).await;

    for active in [true, false] {
        alice.send("typing", json!({ "room": "quiet", "active": active })).await;
        let typing = bob.expect("typing").await;
        assert_eq!(typing, json!({ "room": "quiet", "user": "alice", "active": active }));
    }
    // The sender got no typing: its next envelope is its own message. Carol,
    // not in the room, got none either.
    alice.send("message", json!({ "content": "done" })).await;
    loop {
        let next = alice.next().await;
        assert_ne!(next["type"], "typing", "the sender got its own typing: {next}");
        if next["type"] == "message" && next["data"]["content"] == "done" {
            break;
        }
    }
    let next = carol.expect_any(&["typing", "message"]).await;
    assert_eq!(next["type"], "message", "{next}");

    carol.send("typing", json!({ "room": "quiet", "active": true })).await;
    assert_error(&carol.expect_error().await, "not_in_room", Some("typing"));
    carol.send("typing", json!({ "room": "quiet" })).await;
    let error = carol.expect_error().await;
    assert_error(&error, "invalid_field", Some("typing"));
    assert!(error["message"].as_str().unwrap().contains("active"), "{error}");

    server.stop().await;
}

// 9 ---------------------------------------------------------------------

/// Proves the connection still works: a message and its broadcast.
async fn still_works(client: &mut Client, n: &mut u32) {
    *n += 1;
    let content = format!("probe {n}");
    client.send("message", json!({ "content": content, "client_id": format!("probe-{n}") })).await;
    let next = client.expect_any(&["message", "error"]).await;
    assert_eq!(next["type"], "message", "{next}");
    assert_eq!(next["data"]["content"], content.as_str());
    client.expect_where("ack", |d| d["client_id"] == format!("probe-{n}")).await;
}

#[tokio::test]
async fn every_error_code_and_the_connection_stays_open() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (_holder, _) = server.named("Taken").await;

    // Before add_user: not_named for every other type.
    let mut c = server.client().await;
    let requests = [
        ("message", json!({ "content": "hi" })),
        ("rename_user", json!({ "username": "x" })),
        ("join", json!({ "room": "r" })),
        ("leave", json!({ "room": "general" })),
        ("rooms", json!({})),
        ("history", json!({ "room": "general" })),
        ("typing", json!({ "room": "general", "active": true })),
        ("direct", json!({ "to": "Taken", "content": "hi" })),
    ];
    for (kind, data) in requests {
        c.send(kind, data).await;
        let next = c.next().await;
        assert_eq!(next["type"], "error", "{kind} before add_user answered {next}");
        assert_error(&next["data"], "not_named", Some(kind));
    }

    // Names: each refusal answered, then the name is taken.
    let bad_names = [
        (json!(""), "name_empty"),
        (json!(" \t "), "name_empty"),
        (json!("x".repeat(33)), "name_too_long"),
        (json!("é".repeat(33)), "name_too_long"),
        (json!("a\u{7}b"), "name_invalid"),
        (json!("a\nb"), "name_invalid"),
        (json!("a|b"), "name_invalid"),
        (json!("tAKEN"), "name_taken"),
    ];
    for (name, code) in bad_names {
        c.send("add_user", json!({ "username": name })).await;
        let next = c.next().await;
        assert_eq!(next["type"], "error", "add_user {name} answered {next}");
        assert_error(&next["data"], code, Some("add_user"));
    }
    let answer = c.add_user(json!({ "username": format!("  {}  ", "é".repeat(32)) })).await;
    assert_eq!(answer["username"], "é".repeat(32), "trimmed, 32 characters");
    let mut n = 0;
    still_works(&mut c, &mut n).await;

    // The same rules for rename_user.
    for (name, code) in [("", "name_empty"), ("a|b", "name_invalid"), ("TAKEN", "name_taken")] {
        c.send("rename_user", json!({ "username": name })).await;
        assert_error(&c.expect_error().await, code, Some("rename_user"));
        still_works(&mut c, &mut n).await;
    }

    // Envelopes.
    let envelopes = [
        ("{not json", "invalid_json", None),
        ("", "invalid_json", None),
        ("[1,2]", "invalid_envelope", None),
        ("\"message\"", "invalid_envelope", None),
        ("{}", "invalid_envelope", None),
        (r#"{"data":{"content":"x"}}"#, "invalid_envelope", None),
        (r#"{"type":5,"data":{}}"#, "invalid_envelope", None),
        (r#"{"type":"message","data":"hi"}"#, "invalid_envelope", Some("message")),
        (r#"{"type":"message","data":[1]}"#, "invalid_envelope", Some("message")),
        (r#"{"type":"shout","data":{}}"#, "unknown_type", Some("shout")),
    ];
    for (text, code, kind) in envelopes {
        c.send_text(text).await;
        let error = c.expect_error().await;
        assert_error(&error, code, kind);
        still_works(&mut c, &mut n).await;
    }

    // Fields: missing or mistyped, and the message names the field.
    let fields = [
        ("message", json!({}), "content"),
        ("message", json!({ "content": 7 }), "content"),
        ("message", json!({ "content": "x", "room": 1 }), "room"),
        ("add_user", json!({}), "username"),
        ("rename_user", json!({ "username": ["x"] }), "username"),
        ("join", json!({ "room": "r", "after": -1 }), "after"),
        ("join", json!({ "room": "r", "after": "3" }), "after"),
        ("history", json!({ "room": "general", "limit": "ten" }), "limit"),
        ("typing", json!({ "room": "general", "active": "yes" }), "active"),
        ("direct", json!({ "to": "Taken" }), "content"),
        ("leave", json!({}), "room"),
    ];
    for (kind, data, field) in fields {
        c.send(kind, data.clone()).await;
        let error = c.expect_error().await;
        assert_error(&error, "invalid_field", Some(kind));
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains(field),
            "{kind} {data}: the message does not name {field}: {message:?}"
        );
        still_works(&mut c, &mut n).await;
    }
    // A refused message carries its client_id.
    c.send("message", json!({ "content": 7, "client_id": "c7" })).await;
    let error = c.expect_error().await;
    assert_error(&error, "invalid_field", Some("message"));
    assert_eq!(error["client_id"], "c7");
    for client_id in [String::new(), "x".repeat(65)] {
        c.send("message", json!({ "content": "x", "client_id": client_id })).await;
        assert_error(&c.expect_error().await, "invalid_field", Some("message"));
        still_works(&mut c, &mut n).await;
    }
    c.send("message", json!({ "content": "x", "client_id": "y".repeat(64) })).await;
    c.expect_where("ack", |d| d["client_id"] == "y".repeat(64)).await;

    // Binary frames.
    c.send_frame(Message::binary(vec![1u8, 2, 3])).await;
    assert_error(&c.expect_error().await, "binary_unsupported", None);
    still_works(&mut c, &mut n).await;

    // Content.
    for content in ["", "  \n\t "] {
        c.send("message", json!({ "content": content, "client_id": "e" })).await;
        let error = c.expect_error().await;
        assert_error(&error, "content_empty", Some("message"));
        assert_eq!(error["client_id"], "e");
        still_works(&mut c, &mut n).await;
    }
    for content in ["x".repeat(4097), format!("{}a", "é".repeat(2048))] {
        c.send("message", json!({ "content": content })).await;
        assert_error(&c.expect_error().await, "content_too_long", Some("message"));
        still_works(&mut c, &mut n).await;
    }
    for content in ["x".repeat(4096), "é".repeat(2048)] {
        c.send("message", json!({ "content": content })).await;
        let message = c.expect("message").await;
        assert_eq!(message["content"], content.as_str());
    }
    c.send("direct", json!({ "to": "Taken", "content": "x".repeat(4097) })).await;
    assert_error(&c.expect_error().await, "content_too_long", Some("direct"));
    still_works(&mut c, &mut n).await;

    // Rooms.
    for room in ["", "General", "has space", "ü", "r".repeat(33).as_str(), "@bob|alice", "@a"] {
        c.send("join", json!({ "room": room })).await;
        assert_error(&c.expect_error().await, "room_invalid", Some("join"));
        still_works(&mut c, &mut n).await;
    }
    c.send("message", json!({ "room": "No", "content": "x" })).await;
    assert_error(&c.expect_error().await, "room_invalid", Some("message"));
    c.send("history", json!({ "room": "a b" })).await;
    assert_error(&c.expect_error().await, "room_invalid", Some("history"));
    still_works(&mut c, &mut n).await;
    let r32 = "r".repeat(32);
    assert_eq!(c.ask("join", json!({ "room": r32 })).await["room"], r32.as_str());

    for (kind, data) in [
        ("message", json!({ "room": "elsewhere", "content": "x" })),
        ("leave", json!({ "room": "elsewhere" })),
        ("history", json!({ "room": "elsewhere" })),
        ("typing", json!({ "room": "elsewhere", "active": true })),
    ] {
        c.send(kind, data).await;
        assert_error(&c.expect_error().await, "not_in_room", Some(kind));
        still_works(&mut c, &mut n).await;
    }

    c.send("direct", json!({ "to": "nobody", "content": "x" })).await;
    assert_error(&c.expect_error().await, "user_offline", Some("direct"));
    still_works(&mut c, &mut n).await;

    server.stop().await;
}

#[tokio::test]
async fn rate_limited_then_flooding_closes_with_1008() {
    let db = TestDb::new();
    // A refill slower than any test run: only the burst counts.
    let config = capstan_chat::Config { rate: 0.001, burst: 3, ..db.config() };
    let server = Server::start(&config).await;
    let (mut watcher, _) = server.named("watcher").await;
    let (mut alice, _) = server.named("alice").await; // request 1 of 3

    alice.send("message", json!({ "content": "one", "client_id": "a1" })).await;
    alice.send("message", json!({ "content": "two", "client_id": "a2" })).await;
    alice.send("message", json!({ "content": "three", "client_id": "a3" })).await;
    let error = alice.expect_error().await;
    assert_error(&error, "rate_limited", Some("message"));
    assert_eq!(error["client_id"], "a3");

    // The refused message was not carried out.
    assert_eq!(watcher.expect("message").await["content"], "one");
    assert_eq!(watcher.expect("message").await["content"], "two");
    watcher.send("message", json!({ "content": "marker" })).await; // request 2 of 3
    assert_eq!(watcher.expect("message").await["content"], "marker");
    let history = watcher.ask("history", json!({ "room": "general" })).await; // 3 of 3
    assert_eq!(contents(&history["messages"]), ["one", "two", "marker"]);

    // Refused requests allowed: ten times the rate and burst. Past them,
    // the connection is closed (1008).
    for i in 0..40 {
        alice.send("message", json!({ "content": format!("flood {i}") })).await;
    }
    let mut refused = 1;
    loop {
        match alice.next_event().await {
            common::Event::Envelope(envelope) if envelope["type"] == "error" => {
                assert_eq!(envelope["data"]["code"], "rate_limited", "{envelope}");
                refused += 1;
            }
            common::Event::Envelope(envelope) => {
                assert!(envelope["type"] == "message" || envelope["type"] == "ack", "{envelope}");
            }
            common::Event::Closed(code) => {
                assert_eq!(code, Some(1008));
                break;
            }
            other => panic!("{other:?} before the close frame"),
        }
    }
    assert!(refused > 1, "refusals before the cut: {refused}");

    server.stop().await;
}

#[tokio::test]
async fn binary_frames_count_against_the_rate_limit() {
    let db = TestDb::new();
    let config = capstan_chat::Config { rate: 0.001, burst: 3, ..db.config() };
    let server = Server::start(&config).await;
    let mut client = server.client().await;
    for _ in 0..3 {
        client.send_frame(Message::binary(vec![0u8; 4])).await;
        assert_error(&client.expect_error().await, "binary_unsupported", None);
    }
    client.send_frame(Message::binary(vec![0u8; 4])).await;
    assert_error(&client.expect_error().await, "rate_limited", None);
    for _ in 0..40 {
        client.send_frame(Message::binary(vec![0u8; 4])).await;
    }
    assert_eq!(client.expect_close().await, Some(1008));
    server.stop().await;
}

#[tokio::test]
async fn protocol_abuse_closes_the_connection() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;

    // A text message over the frame limit: 1009.
    let (mut big, _) = server.named("big").await;
    let content = "x".repeat(200_000);
    big.send("message", json!({ "content": content })).await;
    assert_eq!(big.expect_close().await, Some(1009));

    // Invalid UTF-8 in a text frame: 1007.
    let (mut bad, _) = server.named("bad").await;
    let frame = Frame::message(vec![b'"', 0xff, 0xfe, b'"'], OpCode::Data(Data::Text), true);
    bad.send_frame(Message::Frame(frame)).await;
    assert_eq!(bad.expect_close().await, Some(1007));

    server.stop().await;
}

#[tokio::test]
async fn storage_failed_when_the_database_is_locked_and_nothing_is_acknowledged() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    alice.post("general", "before", "c0").await;
    // The ack goes out before the store prunes the room (a write): a job
    // queued behind it, answered, shows the store idle before the lock.
    alice.ask("history", json!({ "room": "general" })).await;

    // Another program holds the database's write lock longer than the
    // server waits for it.
    let lock = DbLock::take(&db.path());
    alice.send("message", json!({ "content": "locked out", "client_id": "c1" })).await;
    let next = alice.next().await;
    assert_eq!(next["type"], "error", "expected storage_failed, got {next}");
    assert_error(&next["data"], "storage_failed", Some("message"));
    assert_eq!(next["data"]["client_id"], "c1");
    lock.release();

    // Sent again, it is stored (as new: the first try was not), with the
    // next id, and broadcast once.
    alice.send("message", json!({ "content": "locked out", "client_id": "c1" })).await;
    let message = alice.expect("message").await;
    assert_eq!(
        (message["id"].clone(), message["content"].clone()),
        (json!(2), json!("locked out"))
    );
    let ack = alice.expect("ack").await;
    assert_eq!(ack, json!({ "client_id": "c1", "id": 2, "room": "general", "duplicate": false }));
    assert_eq!(bob.expect("message").await["content"], "before");
    assert_eq!(bob.expect("message").await["id"], 2);

    server.stop().await;
}

// 10 --------------------------------------------------------------------

#[tokio::test]
async fn history_survives_a_restart_and_ids_continue() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    for i in 1..=3 {
        alice.post("general", &format!("old {i}"), &format!("c{i}")).await;
    }
    alice.ask("join", json!({ "room": "kept" })).await;
    alice.post("kept", "kept 1", "k1").await;
    let before = alice.ask("history", json!({ "room": "general" })).await;
    server.stop().await;
    assert_eq!(alice.expect_close().await, Some(1001), "shutdown closes with 1001");

    let server = Server::start(&db.config()).await;
    let (mut alice, answer) = server.named("alice").await;
    assert_eq!(answer["messages"], before["messages"]);
    assert_eq!(contents(&answer["messages"]), ["old 1", "old 2", "old 3"]);
    let rooms = alice.ask("rooms", json!({})).await;
    assert_eq!(
        rooms["rooms"],
        json!([
            { "name": "general", "members": 1, "last_id": 3, "joined": true },
            { "name": "kept", "members": 0, "last_id": 1, "joined": false },
        ])
    );
    let ack = alice.post("general", "new", "c4").await;
    assert_eq!(ack["id"], 4);
    let joined = alice.ask("join", json!({ "room": "kept" })).await;
    assert_eq!(contents(&joined["messages"]), ["kept 1"]);
    assert_eq!(alice.post("kept", "kept 2", "k2").await["id"], 2);
    // Client ids are remembered across restarts too.
    let ack = alice.post("general", "old 1", "c1").await;
    assert_eq!(ack, json!({ "client_id": "c1", "id": 1, "room": "general", "duplicate": true }));

    server.stop().await;
}

// 11 --------------------------------------------------------------------

#[tokio::test]
async fn an_acknowledged_message_is_stored_even_when_the_server_stops_right_after() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    for i in 1..=40 {
        alice
            .send("message", json!({ "content": format!("m{i}"), "client_id": format!("c{i}") }))
            .await;
    }
    // Stop as soon as the first ack arrives; collect every ack received.
    let first = alice.expect("ack").await;
    server.stop().await;
    let mut acked = vec![first];
    loop {
        match alice.next_event().await {
            common::Event::Envelope(envelope) if envelope["type"] == "ack" => {
                acked.push(envelope["data"].clone());
            }
            common::Event::Envelope(_) => {}
            common::Event::Closed(code) => {
                assert_eq!(code, Some(1001));
                break;
            }
            other => panic!("{other:?} before the close frame"),
        }
    }

    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let history = alice.ask("history", json!({ "room": "general", "limit": 100 })).await;
    let stored: Vec<&Value> = history["messages"].as_array().unwrap().iter().collect();
    for ack in &acked {
        let id = ack["id"].as_u64().unwrap();
        let message = stored
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("acknowledged {ack} is not in history"));
        assert_eq!(message["client_id"], ack["client_id"]);
        assert_eq!(message["content"], format!("m{id}").as_str());
    }
    server.stop().await;
}

// 12 --------------------------------------------------------------------

#[tokio::test]
async fn web_client_and_origin_checks_on_the_same_port() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;

    let page = http_get(server.addr, "/").await;
    assert_eq!(page.status(), 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let csp = page.header("content-security-policy").expect("a CSP header");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(String::from_utf8_lossy(&page.body).contains("<html"), "an HTML page");
    for (path, kind) in [("/app.js", "text/javascript"), ("/style.css", "text/css")] {
        let reply = http_get(server.addr, path).await;
        assert_eq!(reply.status(), 200, "{path}");
        assert!(reply.header("content-type").unwrap().starts_with(kind), "{path}");
        assert!(!reply.body.is_empty(), "{path}");
    }
    assert_eq!(http_get(server.addr, "/nope").await.status(), 404);
    assert_eq!(http_get(server.addr, "/healthz").await.status(), 200);

    // Origins: foreign refused (403), same host accepted.
    let refused = Client::connect(server.addr, "/ws", Some("http://evil.example")).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
        }
        Err(other) => panic!("expected a 403, got {other}"),
        Ok(_) => panic!("a foreign origin was accepted"),
    }
    let own = format!("http://{}", server.addr);
    let mut client = Client::connect(server.addr, "/ws", Some(&own)).await.unwrap();
    assert_eq!(client.add_user(json!({ "username": "local" })).await["username"], "local");
    server.stop().await;

    // Config.allowed_origins (--allowed-origin) lets listed origins in.
    let config = capstan_chat::Config {
        allowed_origins: vec!["http://allowed.example".into()],
        ..db.config()
    };
    let server = Server::start(&config).await;
    let mut client =
        Client::connect(server.addr, "/ws", Some("http://allowed.example")).await.unwrap();
    assert_eq!(client.add_user(json!({ "username": "friend" })).await["username"], "friend");
    let refused = Client::connect(server.addr, "/ws", Some("http://evil.example")).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
        "a foreign origin was not refused"
    );
    server.stop().await;
}

// 13 --------------------------------------------------------------------

#[tokio::test]
async fn presence_after_an_abrupt_disconnect_lists_the_members_left() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    alice.ask("join", json!({ "room": "pair" })).await;
    bob.ask("join", json!({ "room": "pair" })).await;
    alice.expect_change("pair", "bob", "join").await;

    bob.abort();
    for room in ["general", "pair"] {
        let (_, presence) = alice.expect_change(room, "bob", "leave").await;
        assert_eq!(presence["member_count"], 1);
    }

    let (mut carol, _) = server.named("carol").await;
    let joined = carol.ask("join", json!({ "room": "pair" })).await;
    assert_eq!(members(&joined), ["alice", "carol"]);
    let rooms = carol.ask("rooms", json!({})).await;
    assert_eq!(rooms["rooms"][0]["members"], 2);
    assert_eq!(rooms["rooms"][1]["members"], 2);

    // The name is free again.
    let (_bob, answer) = server.named("bob").await;
    assert_eq!(answer["username"], "bob");

    server.stop().await;
}

// Requests answered by the store's thread, and a connection that changes
// meanwhile. A write lock held by another program stalls that thread (each
// write waits for the lock), which makes the interleaving certain.

#[tokio::test]
async fn a_connection_that_closes_before_its_join_is_answered_leaves_no_member_behind() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;

    let lock = DbLock::take(&db.path());
    let mut carol = server.client().await;
    carol.send("add_user", json!({ "username": "carol" })).await;
    carol.drop_tcp();
    // Carol's connection is gone (its close was handled)...
    alice.expect_change("general", "carol", "leave").await;
    // ...before the store answers her join.
    lock.release();

    alice.send("rooms", json!({})).await;
    loop {
        let envelope = alice.next().await;
        assert_ne!(envelope["type"], "presence", "a closed connection was announced: {envelope}");
        if envelope["type"] == "rooms" {
            assert_eq!(
                envelope["data"]["rooms"],
                json!([{ "name": "general", "members": 1, "last_id": 0, "joined": true }])
            );
            break;
        }
    }
    let joined = alice.ask("join", json!({ "room": "general" })).await;
    assert_eq!(members(&joined), ["alice"]);

    server.stop().await;
}

#[tokio::test]
async fn join_then_leave_before_the_join_is_answered_ends_outside_the_room() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;

    let lock = DbLock::take(&db.path());
    alice.send("join", json!({ "room": "brief" })).await;
    alice.send("leave", json!({ "room": "brief" })).await;
    // An error is answered at once: the leave was handled before it.
    alice.send("ping", json!({})).await;
    let mut answers = Vec::new();
    loop {
        let envelope = alice.next().await;
        if envelope["type"] == "error" {
            assert_error(&envelope["data"], "unknown_type", Some("ping"));
            break;
        }
        if envelope["type"] == "joined" || envelope["type"] == "left" {
            answers.push(envelope);
        }
    }
    lock.release();
    while answers.len() < 2 {
        answers.push(alice.expect_any(&["joined", "left"]).await);
    }
    // Answers in the order of the requests: joined, then left.
    assert_eq!(answers[0]["type"], "joined", "{answers:?}");
    assert_eq!(answers[0]["data"]["room"], "brief");
    assert_eq!(answers[1], json!({ "type": "left", "data": { "room": "brief" } }));

    // Alice is out of the room: not a member, and its messages skip her.
    let joined = bob.ask("join", json!({ "room": "brief" })).await;
    assert_eq!(members(&joined), ["bob"]);
    bob.send("message", json!({ "room": "brief", "content": "private" })).await;
    bob.send("message", json!({ "content": "public marker" })).await;
    let next = alice.expect("message").await;
    assert_eq!(next["content"], "public marker", "alice got a message of a room she left");
    let rooms = alice.ask("rooms", json!({})).await;
    assert_eq!(
        rooms["rooms"][0],
        json!({ "name": "brief", "members": 1, "last_id": 1, "joined": false })
    );

    server.stop().await;
}
