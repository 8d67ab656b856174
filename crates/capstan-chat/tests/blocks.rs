//! Blocking and the budget of new direct conversations
//! (docs/chat-protocol.md, "block", "too_many_conversations"): a blocked
//! user's room messages, direct messages and typing do not reach the
//! blocker, now or in history, and the list outlives the connection and
//! the server; one user cannot open thousands of conversations. Real
//! servers over temporary SQLite files, real clients.

mod common;

use capstan_chat::Config;
use common::{Client, Server, TestDb};
use serde_json::{Value, json};

/// Blocks `user`; returns the answer's data.
async fn block(client: &mut Client, user: &str) -> Value {
    client.ask("block", json!({ "user": user })).await
}

/// The contents of the messages `client` receives until `marker` (posted
/// in general by `from` after what is checked) arrives.
async fn received_until_marker(
    client: &mut Client,
    from: &mut Client,
    marker: &str,
) -> Vec<String> {
    from.post("general", marker, marker).await;
    let mut seen = Vec::new();
    loop {
        let envelope = client.expect_any(&["message", "direct", "typing"]).await;
        let data = &envelope["data"];
        if data["content"] == marker {
            return seen;
        }
        let what = match envelope["type"].as_str().unwrap() {
            "typing" => format!("typing:{}", data["user"].as_str().unwrap()),
            kind => format!("{kind}:{}", data["content"].as_str().unwrap()),
        };
        seen.push(what);
    }
}

#[tokio::test]
async fn a_blocked_users_messages_direct_messages_and_typing_do_not_reach_the_blocker() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut mallory, _) = server.named("mallory").await;
    let (mut bob, _) = server.named("bob").await;
    mallory.post("general", "before", "m0").await;

    assert_eq!(block(&mut alice, "Mallory").await, json!({ "user": "Mallory" }));
    mallory.post("general", "spam", "m1").await;
    mallory.send("typing", json!({ "room": "general", "active": true })).await;
    mallory.send("direct", json!({ "to": "alice", "content": "psst", "client_id": "d1" })).await;
    // Stored and acknowledged: nothing tells mallory she is blocked.
    let ack = mallory.expect_where("ack", |d| d["client_id"] == "d1").await;
    assert_eq!(ack["duplicate"], false);
    // Others still get her messages and typing.
    bob.expect_where("message", |d| d["content"] == "spam").await;
    bob.expect_where("typing", |d| d["user"] == "mallory").await;
    bob.post("general", "from bob", "b1").await;
    let seen = received_until_marker(&mut alice, &mut bob, "marker 1").await;
    assert_eq!(seen, ["message:from bob"], "alice got something of mallory's");

    // History leaves her out too; so does a look-alike name.
    let history = alice.ask("history", json!({ "room": "general" })).await;
    let authors: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert!(!authors.contains(&"mallory"), "{history}");
    let direct = alice.ask("history", json!({ "room": "@alice|mallory" })).await;
    assert_eq!(direct["messages"], json!([]));

    // Unblocked: her messages come again.
    assert_eq!(
        alice.ask("unblock", json!({ "user": "mallory" })).await,
        json!({ "user": "mallory" })
    );
    mallory.post("general", "back", "m2").await;
    let seen = received_until_marker(&mut alice, &mut bob, "marker 3").await;
    assert_eq!(seen, ["message:back"]);
    server.stop().await;
}

#[tokio::test]
async fn the_block_list_outlives_the_connection_and_the_server() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, answer) = server.named("alice").await;
    assert_eq!(answer["blocked"], json!([]));
    let session = answer["session"].as_str().unwrap().to_owned();
    block(&mut alice, "mallory").await;
    block(&mut alice, "eve").await;
    drop(alice);
    server.stop().await;

    let server = Server::start(&db.config()).await;
    // The same session gets its list back...
    let mut alice = server.client().await;
    let answer = alice.add_user(json!({ "username": "alice", "session": session })).await;
    assert_eq!(answer["blocked"], json!(["eve", "mallory"]));
    let (mut mallory, _) = server.named("mallory").await;
    let (mut bob, _) = server.named("bob").await;
    mallory.post("general", "spam", "m1").await;
    let seen = received_until_marker(&mut alice, &mut bob, "marker").await;
    assert!(seen.is_empty(), "{seen:?}");
    // ...another who takes the name later does not.
    drop(alice);
    bob.expect_change("general", "alice", "leave").await;
    let (_other, answer) = server.named("alice").await;
    assert_eq!(answer["blocked"], json!([]));
    server.stop().await;
}

#[tokio::test]
async fn block_limits_and_mistakes_have_their_codes() {
    let db = TestDb::new();
    let server = Server::start(&Config { max_blocks: 2, ..db.config() }).await;
    let (mut alice, _) = server.named("alice").await;
    block(&mut alice, "a1").await;
    block(&mut alice, "a2").await;
    assert_eq!(block(&mut alice, "A1").await, json!({ "user": "A1" }), "again: no new entry");
    alice.send("block", json!({ "user": "a3" })).await;
    let error = alice.expect_error().await;
    assert_eq!((&error["code"], &error["type"]), (&json!("block_limit"), &json!("block")));
    alice.send("block", json!({ "user": "ALICE" })).await;
    assert_eq!(alice.expect_error().await["code"], "invalid_field");
    alice.send("block", json!({ "user": "x\u{200b}" })).await;
    assert_eq!(alice.expect_error().await["code"], "name_invalid");
    let mut anonymous = server.client().await;
    anonymous.send("block", json!({ "user": "alice" })).await;
    assert_eq!(anonymous.expect_error().await["code"], "not_named");
    server.stop().await;
}

#[tokio::test]
async fn one_user_starts_at_most_new_directs_per_minute_conversations() {
    let db = TestDb::new();
    let server = Server::start(&Config { new_directs_per_minute: 2, ..db.config() }).await;
    let (mut spammer, _) = server.named("spammer").await;
    let mut targets = Vec::new();
    for n in 0..4 {
        targets.push(server.named(&format!("t{n}")).await.0);
    }
    let dm = |to: &str, id: &str| json!({ "to": to, "content": "buy now", "client_id": id });
    for (n, to) in ["t0", "t1"].iter().enumerate() {
        spammer.send("direct", dm(to, &format!("ok{n}"))).await;
        spammer.expect_where("ack", |d| d["client_id"] == format!("ok{n}").as_str()).await;
    }
    spammer.send("direct", dm("t2", "no")).await;
    let error = spammer.expect_error().await;
    assert_eq!(
        (&error["code"], &error["type"], &error["client_id"]),
        (&json!("too_many_conversations"), &json!("direct"), &json!("no"))
    );
    // Writing again to someone already written to is not a new one.
    spammer.send("direct", dm("t0", "again")).await;
    spammer.expect_where("ack", |d| d["client_id"] == "again").await;
    // Answering someone who wrote first is not either.
    let t3 = &mut targets[3];
    t3.send("direct", json!({ "to": "spammer", "content": "who are you?", "client_id": "q" }))
        .await;
    spammer.expect_where("direct", |d| d["client_id"] == "q").await;
    spammer.send("direct", dm("t3", "answer")).await;
    spammer.expect_where("ack", |d| d["client_id"] == "answer").await;
    // A new name on the same connection (same session) has the same budget.
    spammer.ask("rename_user", json!({ "username": "spammer2" })).await;
    spammer.send("direct", dm("t2", "renamed")).await;
    assert_eq!(spammer.expect_error().await["code"], "too_many_conversations");
    server.stop().await;
}
