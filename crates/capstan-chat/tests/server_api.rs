//! The chat's server API (`ChatServer::api`, what `POST /api/...` runs):
//! over real sockets, with real WebSocket clients, on one node (SQLite)
//! and across two nodes on a real redis-server. A publish is a bot's
//! message every member sees and history keeps; presence and channels are
//! the rooms' members; disconnect and unsubscribe reach the user's
//! connection on whichever node it is.

mod common;

use capstan_api::{
    Channels, Disconnect, DisconnectReason, ErrorCode, History, Presence, PresenceStats, Publish,
    StreamPosition, Unsubscribe,
};
use capstan_chat::Config;
use capstan_testkit::redis::{Persistence, RedisServer};
use common::{Server, TestDb};
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn publish(channel: &str, data: Value) -> Publish {
    serde_json::from_value(json!({ "channel": channel, "data": data })).unwrap()
}

fn keyed(channel: &str, data: Value, key: &str) -> Publish {
    serde_json::from_value(json!({ "channel": channel, "data": data, "idempotency_key": key }))
        .unwrap()
}

fn history(channel: &str, limit: i64) -> History {
    History { channel: channel.into(), limit: Some(limit), since: None, reverse: false }
}

fn code<T: std::fmt::Debug>(result: Result<T, capstan_api::ApiError>) -> ErrorCode {
    result.unwrap_err().code
}

fn data(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap()
}

#[tokio::test]
async fn a_publish_is_a_bot_message_members_see_and_history_keeps() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;

    let reply = server
        .api
        .publish(publish("general", json!({ "content": "deploy done", "author": "CI" })))
        .await
        .unwrap();
    assert_eq!(reply.offset, 1);
    let seen = alice.expect("message").await;
    assert_eq!(seen["author"], "CI");
    assert_eq!(seen["bot"], true);
    assert_eq!(seen["content"], "deploy done");
    assert_eq!(seen["id"], 1);

    // A user's message follows in the same sequence, as a user's.
    let ack = alice.post("general", "thanks", "c1").await;
    assert_eq!(ack["id"], 2);
    let page = server.api.history(history("general", 10)).await.unwrap();
    assert_eq!(page.offset, 2);
    let published: Vec<Value> = page.publications.iter().map(|p| data(&p.data)).collect();
    assert_eq!(published[0]["author"], "CI");
    assert_eq!(published[0]["bot"], true);
    assert_eq!(published[1]["author"], "alice");
    assert!(published[1].get("bot").is_none());
    assert_eq!(page.publications.iter().map(|p| p.offset).collect::<Vec<_>>(), [1, 2]);

    // The chat's own history request shows the bot as a bot too.
    let chat_page = alice.ask("history", json!({ "room": "general" })).await;
    assert_eq!(chat_page["messages"][0]["bot"], true);
    drop(alice);
    server.stop().await;
}

#[tokio::test]
async fn skip_history_shows_a_notice_that_history_does_not_keep() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let mut request = publish("general", json!("maintenance at noon"));
    request.skip_history = true;
    let reply = server.api.publish(request).await.unwrap();
    assert_eq!((reply.offset, reply.epoch.as_str()), (0, ""));
    let notice = alice.expect("notice").await;
    assert_eq!(notice["content"], "maintenance at noon");
    assert_eq!(notice["author"], "server");
    assert_eq!(notice["bot"], true);
    let page = server.api.history(history("general", 10)).await.unwrap();
    assert!(page.publications.is_empty());
    assert_eq!(page.offset, 0);
    drop(alice);
    server.stop().await;
}

#[tokio::test]
async fn a_retried_publish_is_stored_and_delivered_once() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let first = server.api.publish(keyed("general", json!("once"), "order-17")).await.unwrap();
    let again = server.api.publish(keyed("general", json!("once"), "order-17")).await.unwrap();
    assert_eq!(first, again);
    let other = server.api.publish(keyed("general", json!("twice"), "order-18")).await.unwrap();
    assert_eq!(other.offset, first.offset + 1);
    assert_eq!(alice.expect("message").await["content"], "once");
    assert_eq!(alice.expect("message").await["content"], "twice", "the retry was not delivered");
    let page = server.api.history(history("general", -1)).await.unwrap();
    assert_eq!(page.publications.len(), 2);
    drop(alice);
    server.stop().await;
}

#[tokio::test]
async fn bad_channels_and_data_get_their_codes() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    assert_eq!(
        code(server.api.publish(publish("No Such Room!", json!("x"))).await),
        ErrorCode::UnknownChannel
    );
    assert_eq!(
        code(server.api.publish(publish("@alice|bob", json!("x"))).await),
        ErrorCode::PermissionDenied
    );
    assert_eq!(
        code(server.api.publish(publish("general", json!(42))).await),
        ErrorCode::BadRequest
    );
    assert_eq!(
        code(server.api.publish(publish("general", json!("  "))).await),
        ErrorCode::BadRequest
    );
    let bad_author = json!({ "content": "hi", "author": "a|b" });
    assert_eq!(
        code(server.api.publish(publish("general", bad_author)).await),
        ErrorCode::BadRequest
    );
    let beyond = History {
        channel: "general".into(),
        limit: Some(10),
        since: Some(StreamPosition { offset: 5, epoch: String::new() }),
        reverse: false,
    };
    assert_eq!(code(server.api.history(beyond).await), ErrorCode::UnrecoverablePosition);
    server.stop().await;
}

#[tokio::test]
async fn history_pages_since_a_position_and_in_reverse() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    for n in 1..=5 {
        server.api.publish(publish("general", json!(format!("m{n}")))).await.unwrap();
    }
    let contents = |page: &capstan_api::HistoryReply| -> Vec<String> {
        page.publications
            .iter()
            .map(|p| data(&p.data)["content"].as_str().unwrap().into())
            .collect()
    };
    let since = History {
        channel: "general".into(),
        limit: Some(2),
        since: Some(StreamPosition { offset: 2, epoch: String::new() }),
        reverse: false,
    };
    assert_eq!(contents(&server.api.history(since).await.unwrap()), ["m3", "m4"]);
    let newest = History { channel: "general".into(), limit: Some(2), since: None, reverse: true };
    assert_eq!(contents(&server.api.history(newest).await.unwrap()), ["m5", "m4"]);
    let oldest = server.api.history(history("general", 2)).await.unwrap();
    assert_eq!(contents(&oldest), ["m1", "m2"]);
    let position_only = server.api.history(history("general", 0)).await.unwrap();
    assert!(position_only.publications.is_empty());
    assert_eq!(position_only.offset, 5);
    server.stop().await;
}

#[tokio::test]
async fn presence_and_channels_are_the_rooms_members() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (bob, _) = server.named("bob").await;
    alice.ask("join", json!({ "room": "ops" })).await;
    let presence = server.api.presence(Presence { channel: "general".into() }).await.unwrap();
    let users: Vec<&str> = presence.presence.values().map(|c| c.user.as_str()).collect();
    assert_eq!(users, ["alice", "bob"]);
    let stats = server.api.presence_stats(PresenceStats { channel: "ops".into() }).await.unwrap();
    assert_eq!((stats.num_clients, stats.num_users), (1, 1));
    let channels = server.api.channels(Channels { pattern: None }).await.unwrap();
    let listed: Vec<(&str, u64)> =
        channels.channels.iter().map(|(name, info)| (name.as_str(), info.num_clients)).collect();
    assert_eq!(listed, [("general", 2), ("ops", 1)]);
    let only_ops = server.api.channels(Channels { pattern: Some("o*".into()) }).await.unwrap();
    assert_eq!(only_ops.channels.keys().collect::<Vec<_>>(), ["ops"]);
    let info = server.api.info(capstan_api::Info {}).await.unwrap();
    assert_eq!(info.nodes.len(), 1);
    assert_eq!(info.nodes[0].num_users, 2);
    drop((alice, bob));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_lists_a_room_larger_than_a_member_page() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let count = capstan_chat::rooms::MEMBER_PAGE + 10;
    let mut clients = Vec::with_capacity(count);
    for n in 0..count {
        clients.push(server.named(&format!("user{n:04}")).await.0);
    }
    let presence = server.api.presence(Presence { channel: "general".into() }).await.unwrap();
    assert_eq!(presence.presence.len(), count);
    let stats = server.api.presence_stats(PresenceStats { channel: "general".into() }).await;
    assert_eq!(stats.unwrap().num_users, count as u64);
    drop(clients);
    server.stop().await;
}

#[tokio::test]
async fn disconnect_closes_the_users_connection_with_the_code_given() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    let request = Disconnect {
        user: "alice".into(),
        client: None,
        whitelist: Vec::new(),
        disconnect: Some(DisconnectReason { code: 4100, reason: "banned".into() }),
    };
    server.api.disconnect(request).await.unwrap();
    assert_eq!(alice.expect_close().await, Some(4100));
    // Bob stays, and sees alice leave.
    bob.expect_change("general", "alice", "leave").await;
    drop(bob);
    server.stop().await;
}

#[tokio::test]
async fn unsubscribe_takes_the_user_out_of_the_room() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    alice.ask("join", json!({ "room": "ops" })).await;
    let request = Unsubscribe { user: "alice".into(), channel: "ops".into(), client: None };
    server.api.unsubscribe(request).await.unwrap();
    let left = alice.expect("left").await;
    assert_eq!((left["room"].as_str(), left["by"].as_str()), (Some("ops"), Some("server")));
    // The session knows: posting there is refused as for any room not in.
    alice
        .send("message", json!({ "room": "ops", "content": "still here?", "client_id": "x" }))
        .await;
    assert_eq!(alice.expect_error().await["code"], "not_in_room");
    // Nothing published there reaches alice any more.
    server.api.publish(publish("ops", json!("after"))).await.unwrap();
    server.api.publish(publish("general", json!("marker"))).await.unwrap();
    assert_eq!(alice.expect("message").await["content"], "marker");
    drop(alice);
    server.stop().await;
}

fn node(db: &TestDb, redis: &RedisServer) -> Config {
    Config { redis: Some(redis.url()), ..db.config() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_nodes_a_publish_reaches_all_and_orders_reach_the_users_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (db_a, db_b) = (TestDb::new(), TestDb::new());
    let a = Server::start(&node(&db_a, &redis)).await;
    let b = Server::start(&node(&db_b, &redis)).await;
    let (mut on_a, _) = a.named("alice").await;
    let (mut on_b, _) = b.named("bob").await;
    on_b.ask("join", json!({ "room": "ops" })).await;

    // Published through node A, seen on both, kept once with one offset
    // even when retried through node B.
    let first = a.api.publish(keyed("general", json!("hello all"), "k-1")).await.unwrap();
    assert!(!first.epoch.is_empty(), "the cluster's history has an epoch");
    let retry = b.api.publish(keyed("general", json!("hello all"), "k-1")).await.unwrap();
    assert_eq!(first, retry);
    for client in [&mut on_a, &mut on_b] {
        let seen = client.expect("message").await;
        assert_eq!(
            (seen["content"].as_str(), seen["bot"].as_bool()),
            (Some("hello all"), Some(true))
        );
    }
    let page = b.api.history(history("general", 10)).await.unwrap();
    assert_eq!(page.publications.len(), 1);
    assert_eq!((page.offset, page.epoch.as_str()), (first.offset, first.epoch.as_str()));
    let wrong_epoch = History {
        channel: "general".into(),
        limit: Some(10),
        since: Some(StreamPosition { offset: 0, epoch: "not-the-epoch".into() }),
        reverse: false,
    };
    let refused = a.api.history(wrong_epoch).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::UnrecoverablePosition);

    // info lists both nodes (each writes its entry at start, then every
    // few seconds): this node's figures are live.
    let info = a.api.info(capstan_api::Info {}).await.unwrap();
    assert_eq!(info.nodes.len(), 2, "{info:?}");
    assert_ne!(info.nodes[0].uid, info.nodes[1].uid);
    let own = info.nodes.iter().find(|n| n.name == a.addr.to_string());
    assert_eq!(own.map(|n| n.num_users), Some(1), "alice on node A: {info:?}");

    // Presence and channels count both nodes' members.
    let stats = a.api.presence_stats(PresenceStats { channel: "general".into() }).await.unwrap();
    assert_eq!(stats.num_users, 2);
    let channels = a.api.channels(Channels { pattern: None }).await.unwrap();
    assert_eq!(channels.channels.get("ops").map(|c| c.num_clients), Some(1));

    // Orders given on node A reach bob on node B.
    let unsubscribe = Unsubscribe { user: "bob".into(), channel: "ops".into(), client: None };
    a.api.unsubscribe(unsubscribe).await.unwrap();
    assert_eq!(on_b.expect("left").await["by"], "server");
    let disconnect =
        Disconnect { user: "bob".into(), client: None, whitelist: Vec::new(), disconnect: None };
    a.api.disconnect(disconnect).await.unwrap();
    assert_eq!(on_b.expect_close().await, Some(4002));
    drop((on_a, on_b));
    a.stop().await;
    b.stop().await;
}
