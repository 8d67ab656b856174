//! The chat in cluster mode (`--redis`): two nodes on one real
//! redis-server are one chat. Messages reach members on the other node
//! with one gap-free id sequence per room; a client that comes back on the
//! other node resumes exactly; a retried `client_id` is stored once across
//! nodes; history pages and block lists are shared.

mod common;

use capstan_chat::Config;
use capstan_testkit::redis::{Persistence, RedisServer};
use common::{Client, Server, TestDb, contents, ids};
use serde_json::json;

/// A node of the cluster on `redis` (its own, unused, database file).
fn node(db: &TestDb, redis: &RedisServer) -> Config {
    Config { redis: Some(redis.url()), ..db.config() }
}

async fn two_nodes(redis: &RedisServer) -> (Server, Server, TestDb, TestDb) {
    let (db_a, db_b) = (TestDb::new(), TestDb::new());
    let a = Server::start(&node(&db_a, redis)).await;
    let b = Server::start(&node(&db_b, redis)).await;
    (a, b, db_a, db_b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_members_on_every_node_with_one_id_sequence_per_room() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    let (mut bob, _) = b.named("bob").await;
    // Readers that only read (a writer's client skips messages while it
    // waits for its acks).
    let (mut on_a, _) = a.named("carol").await;
    let (mut on_b, _) = b.named("dave").await;
    let mut acked = Vec::new();
    for n in 0..6 {
        let (writer, text) = if n % 2 == 0 { (&mut alice, "from a") } else { (&mut bob, "from b") };
        let ack = writer.post("general", &format!("{text} {n}"), &format!("c{n}")).await;
        acked.push(ack["id"].as_u64().unwrap());
    }
    assert_eq!(acked, [1, 2, 3, 4, 5, 6], "one gap-free sequence across both nodes");
    for client in [&mut on_a, &mut on_b] {
        let mut seen = Vec::new();
        while seen.len() < 6 {
            let message = client.expect("message").await;
            seen.push((message["id"].as_u64().unwrap(), message["content"].clone()));
        }
        let expected: Vec<_> = (0..6)
            .map(|n| {
                let text = if n % 2 == 0 { "from a" } else { "from b" };
                (n as u64 + 1, json!(format!("{text} {n}")))
            })
            .collect();
        assert_eq!(seen, expected, "each once, in id order, on both nodes");
    }
    drop((alice, bob, on_a, on_b));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_back_on_the_other_node_gets_exactly_what_it_missed() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    let (mut bob, answer) = a.named("bob").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    alice.post("general", "one", "c1").await;
    let last = bob.expect("message").await["id"].as_u64().unwrap();
    bob.abort();
    alice.post("general", "two", "c2").await;
    alice.post("general", "three", "c3").await;

    let mut back = b.client().await;
    let answer = back
        .add_user(json!({ "username": "bob", "session": session, "rooms": { "general": last } }))
        .await;
    assert_eq!(answer["resumed"], true, "{answer}");
    assert_eq!(contents(&answer["messages"]), ["two", "three"]);
    assert_eq!(ids(&answer["messages"]), [2, 3]);
    alice.post("general", "four", "c4").await;
    let live = back.expect("message").await;
    assert_eq!((live["id"].clone(), live["content"].clone()), (json!(4), json!("four")));
    drop((alice, back));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_retried_on_the_other_node_is_stored_and_delivered_once() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut reader, _) = b.named("carol").await;
    let (mut alice, answer) = a.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let first = alice.post("general", "hello", "same-id").await;
    alice.abort();
    let mut again: Client = b.client().await;
    again.add_user(json!({ "username": "alice", "session": session })).await;
    let retry = again.post("general", "hello", "same-id").await;
    assert_eq!(
        (retry["id"].clone(), retry["duplicate"].clone()),
        (first["id"].clone(), json!(true))
    );
    again.post("general", "next", "other-id").await;
    let seen = [reader.expect("message").await, reader.expect("message").await];
    assert_eq!(seen.map(|m| m["content"].clone()), [json!("hello"), json!("next")]);
    drop((reader, again));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_and_block_lists_are_the_same_on_every_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    for n in 1..=5 {
        alice.post("general", &format!("m{n}"), &format!("c{n}")).await;
    }
    let (mut bob, answer) = b.named("bob").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let page = bob.ask("history", json!({ "room": "general", "before": 4, "limit": 2 })).await;
    assert_eq!(contents(&page["messages"]), ["m2", "m3"]);
    assert_eq!(page["has_more"], true);
    let page = bob.ask("history", json!({ "room": "general", "after": 3, "limit": 5 })).await;
    assert_eq!(contents(&page["messages"]), ["m4", "m5"]);
    assert_eq!(page["has_more"], false);

    // Bob blocks alice on B; his session comes back on A with the block.
    bob.ask("block", json!({ "user": "alice" })).await;
    alice.post("general", "hidden from bob", "c6").await;
    let (mut carol, _) = b.named("carol").await;
    alice.post("general", "also hidden", "c7").await;
    assert_eq!(carol.expect("message").await["content"], "also hidden");
    bob.abort();
    let mut back = a.client().await;
    let answer = back.add_user(json!({ "username": "bob", "session": session })).await;
    assert_eq!(answer["blocked"], json!(["alice"]));
    let shown = contents(&answer["messages"]);
    assert!(shown.iter().all(|m| !m.contains("hidden")), "{shown:?}");
    alice.post("general", "still hidden", "c8").await;
    let (mut dave, _) = a.named("dave").await;
    dave.post("general", "from dave", "d1").await;
    let next = back.expect("message").await;
    assert_eq!(next["content"], "from dave", "bob got nothing of alice's: {next}");
    drop((alice, back, carol, dave));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_unique_across_nodes_and_taken_over_by_their_own_session() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, answer) = a.named("alice").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    for taken in ["alice", "ALICE", "\u{430}lice"] {
        let mut other = b.client().await;
        other.send("add_user", json!({ "username": taken })).await;
        let error = other.expect_error().await;
        assert_eq!(error["code"], "name_taken", "{taken}: {error}");
    }
    // Alice's own session takes her name over from the other node.
    let mut back = b.client().await;
    let answer = back.add_user(json!({ "username": "alice", "session": session })).await;
    assert_eq!(answer["username"], "alice");
    assert_eq!(alice.expect_close().await, Some(4001));
    // Once she leaves, the name is free on every node.
    back.send_frame(tokio_tungstenite::tungstenite::Message::Close(None)).await;
    let _ = back.expect_close().await;
    let mut later = a.client().await;
    let mut taken_again = None;
    for _ in 0..50 {
        later.send("add_user", json!({ "username": "alice" })).await;
        let answer = later.expect_any(&["add_user", "error"]).await;
        if answer["type"] == "add_user" {
            taken_again = Some(answer);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(taken_again.is_some(), "the name was given back");
    drop(later);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_reach_both_users_on_their_nodes() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    let (mut bob, _) = b.named("bob").await;

    alice.send("direct", json!({ "to": "bob", "content": "hi bob", "client_id": "d1" })).await;
    let got = bob.expect("direct").await;
    let seen = (got["id"].clone(), got["to"].clone(), got["author"].clone());
    assert_eq!(seen, (json!(1), json!("bob"), json!("alice")));
    assert_eq!(alice.expect("direct").await["content"], "hi bob", "the sender's copy");
    bob.send("direct", json!({ "to": "alice", "content": "hi alice", "client_id": "d2" })).await;
    let reply = alice.expect_where("direct", |d| d["content"] == "hi alice").await;
    assert_eq!(reply["id"], 2, "{reply}");
    alice.send("direct", json!({ "to": "nobody", "content": "?" })).await;
    assert_eq!(alice.expect_error().await["code"], "user_offline");
    drop((alice, bob));
    a.stop().await;
    b.stop().await;
}

/// Asks `client` for `room`'s members until `check` holds (a member on
/// another node is mirrored through Redis a moment after it joined).
async fn members_until(
    client: &mut Client,
    room: &str,
    check: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..100 {
        let page = client.ask("members", json!({ "room": room })).await;
        names = page["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        if check(&names) {
            return names;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{room}'s members never matched: {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_lists_its_members_on_every_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (alice, _) = a.named("alice").await;
    let (mut bob, _) = b.named("bob").await;
    let both = members_until(&mut bob, "general", |n| n.len() == 2).await;
    assert_eq!(both, ["alice", "bob"]);
    alice.abort();
    let left = members_until(&mut bob, "general", |n| n.len() == 1).await;
    assert_eq!(left, ["bob"]);
    drop(bob);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_typing_reach_members_on_the_other_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut bob, _) = b.named("bob").await;
    let (mut alice, _) = a.named("alice").await;
    let presence = bob
        .expect_where("presence", |d| {
            d["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["user"] == "alice"))
        })
        .await;
    assert_eq!(presence["room"], "general");
    alice.send("typing", json!({ "room": "general", "active": true })).await;
    let typing = bob.expect("typing").await;
    assert_eq!((typing["user"].clone(), typing["active"].clone()), (json!("alice"), json!(true)));
    drop((alice, bob));
    a.stop().await;
    b.stop().await;
}

/// Posts `content` to `general` from a new connection to `server`, again
/// until acknowledged (Redis may still be coming back); the ack's id.
async fn post_when_back(server: &Server, name: &str, content: &str) -> u64 {
    for _ in 0..100 {
        let mut client = server.client().await;
        client.send("add_user", json!({ "username": name })).await;
        if client.expect_any(&["add_user", "error"]).await["type"] == "add_user" {
            let id = json!({ "room": "general", "content": content, "client_id": content });
            client.send("message", id).await;
            let answer = client.expect_any(&["ack", "error"]).await;
            if answer["type"] == "ack" {
                return answer["data"]["id"].as_u64().unwrap();
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{content} was never acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_into_a_stream_that_started_over_is_not_recovered() {
    let mut redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut bob, answer) = b.named("bob").await;
    let session = answer["session"].as_str().unwrap().to_owned();
    let first_epoch = answer["epoch"].as_str().expect("the stream's epoch").to_owned();
    for n in 1..=3 {
        assert_eq!(post_when_back(&a, "alice", &format!("m{n}")).await, n);
    }
    for _ in 1..=3 {
        bob.expect("message").await;
    }
    bob.abort();
    // Redis without persistence loses everything: `general` starts over
    // at id 1 under a new epoch.
    redis.stop().await;
    redis.restart().await;
    assert_eq!(post_when_back(&a, "carol", "new 1").await, 1);
    assert_eq!(post_when_back(&a, "carol2", "new 2").await, 2);

    // Bob's last id, 1, names another message now: with its epoch the
    // resume is refused ("not recovered", nothing sent), not silently
    // answered with "new 2".
    let mut back = b.client().await;
    let rooms = json!({ "general": { "after": 1, "epoch": first_epoch } });
    let answer =
        back.add_user(json!({ "username": "bob", "session": session, "rooms": rooms })).await;
    assert_eq!((answer["resumed"].clone(), answer["messages"].clone()), (json!(false), json!([])));
    let new_epoch = answer["epoch"].as_str().unwrap().to_owned();
    assert_ne!(new_epoch, first_epoch, "{answer}");
    // In the new epoch, the same id resumes.
    let joined =
        back.ask("join", json!({ "room": "general", "after": 1, "epoch": new_epoch })).await;
    assert_eq!(joined["resumed"], true, "{joined}");
    assert_eq!(contents(&joined["messages"]), ["new 2"]);
    drop(back);
    a.stop().await;
    b.stop().await;
}

/// The names, last ids and member counts of a `rooms` answer's rooms.
fn listed(answer: &serde_json::Value) -> Vec<(String, u64, u64)> {
    answer["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["name"].as_str().unwrap().to_owned();
            (name, r["last_id"].as_u64().unwrap(), r["members"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_lists_the_rooms_of_every_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    alice.ask("join", json!({ "room": "kitchen" })).await;
    alice.post("kitchen", "tea?", "k1").await;
    alice.ask("join", json!({ "room": "porch" })).await;
    alice.post("porch", "sun", "p1").await;
    alice.ask("join", json!({ "room": "attic" })).await;
    let (mut bob, _) = b.named("bob").await;
    let all = bob.ask("rooms", json!({})).await;
    let expected = [("attic", 0, 1), ("general", 0, 2), ("kitchen", 1, 1), ("porch", 1, 1)];
    let expected: Vec<_> = expected.iter().map(|(n, id, m)| ((*n).to_owned(), *id, *m)).collect();
    assert_eq!(listed(&all), expected, "{all}");
    assert_eq!(all["has_more"], false);
    // Pages by name, across nodes.
    let first = bob.ask("rooms", json!({ "limit": 2 })).await;
    assert_eq!((listed(&first), first["has_more"].clone()), (expected[..2].to_vec(), json!(true)));
    let next = bob.ask("rooms", json!({ "after": "general", "limit": 2 })).await;
    assert_eq!((listed(&next), next["has_more"].clone()), (expected[2..].to_vec(), json!(false)));
    // A room left empty and never written goes from every node's list.
    alice.ask("leave", json!({ "room": "attic" })).await;
    let mut names = Vec::new();
    for _ in 0..100 {
        let answer = bob.ask("rooms", json!({})).await;
        names = listed(&answer).into_iter().map(|(name, _, _)| name).collect();
        if !names.contains(&"attic".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(names, ["general", "kitchen", "porch"]);
    drop((alice, bob));
    a.stop().await;
    b.stop().await;
}

/// How many names the cluster's rooms list holds in `redis`.
async fn rooms_held(redis: &RedisServer) -> u64 {
    use capstan_redis::redis;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("ZCARD").arg("capstan-chat:chat:rooms").query_async(&mut connection).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_made_and_left_empty_do_not_pile_up_in_the_list() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    for n in 0..30 {
        alice.ask("join", json!({ "room": format!("empty-{n:02}") })).await;
        alice.ask("leave", json!({ "room": format!("empty-{n:02}") })).await;
    }
    alice.ask("join", json!({ "room": "kitchen" })).await;
    alice.post("kitchen", "tea?", "k1").await;
    // Each join sweeps a few names in turn: the empty ones go.
    let mut held = rooms_held(&redis).await;
    for _ in 0..100 {
        if held == 2 {
            break;
        }
        alice.ask("join", json!({ "room": "kitchen" })).await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        held = rooms_held(&redis).await;
    }
    assert_eq!(held, 2, "general and kitchen are left");
    // A page skips a run of empty rooms longer than itself (made while
    // nobody joins, so no sweep runs).
    for n in 0..30 {
        alice.ask("join", json!({ "room": format!("again-{n:02}") })).await;
        alice.ask("leave", json!({ "room": format!("again-{n:02}") })).await;
    }
    let (mut bob, _) = b.named("bob").await;
    let page = bob.ask("rooms", json!({ "limit": 1 })).await;
    assert_eq!(listed(&page), [("general".to_owned(), 0, 2)], "{page}");
    drop((alice, bob));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_skips_whoever_blocks_the_author_on_every_node() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut alice, _) = a.named("alice").await;
    let (mut dave, _) = a.named("dave").await;
    let (mut bob, _) = b.named("bob").await;
    let (mut carol, _) = b.named("carol").await;
    bob.ask("block", json!({ "user": "alice" })).await;
    alice.send("typing", json!({ "room": "general", "active": true })).await;
    let seen = carol.expect("typing").await;
    assert_eq!(seen["user"], "alice", "carol, on the other node, sees alice typing");
    // Dave types after alice, from the same node: bob's first typing
    // notice is dave's, so he never got alice's.
    dave.send("typing", json!({ "room": "general", "active": true })).await;
    assert_eq!(carol.expect("typing").await["user"], "dave");
    assert_eq!(bob.expect("typing").await["user"], "dave", "bob blocks alice");
    drop((alice, dave, bob, carol));
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_announcements_count_every_nodes_members() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b, _da, _db) = two_nodes(&redis).await;
    let (mut bob, _) = b.named("bob").await;
    let (mut alice, _) = a.named("alice").await;
    let joined = |user: &'static str| {
        move |d: &serde_json::Value| {
            d["changes"].as_array().is_some_and(|c| c.iter().any(|c| c["user"] == user))
        }
    };
    // Node A announces alice's join: bob is on B, and counted.
    let presence = bob.expect_where("presence", joined("alice")).await;
    assert_eq!(presence["member_count"], 2, "{presence}");
    let (_carol, _) = b.named("carol").await;
    let presence = alice.expect_where("presence", joined("carol")).await;
    assert_eq!(presence["member_count"], 3, "{presence}");
    drop((alice, bob));
    a.stop().await;
    b.stop().await;
}
