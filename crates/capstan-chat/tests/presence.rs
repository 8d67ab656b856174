//! Presence that scales (docs/chat-protocol.md, "presence", "members"):
//! events carry the changes, not the member list; the list comes on a
//! join, capped at 500 names, and is paged with `members`; a client that
//! applies the changes in order keeps the room's true list. Real servers,
//! real clients.

mod common;

use std::collections::BTreeSet;

use capstan_chat::Config;
use common::{Client, Server, TestDb, WAIT};
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list.as_array().expect("a list").iter().map(|n| n.as_str().unwrap().to_owned()).collect()
}

/// Applies a `presence` message's changes, in order, to a member list.
fn apply(members: &mut BTreeSet<String>, presence: &Value) {
    for change in presence["changes"].as_array().expect("changes") {
        let user = change["user"].as_str().unwrap().to_owned();
        match change["event"].as_str().unwrap() {
            "join" => {
                members.insert(user);
            }
            "leave" => {
                members.remove(&user);
            }
            "rename" => {
                members.remove(change["from"].as_str().unwrap());
                members.insert(user);
            }
            other => panic!("unknown presence event {other}"),
        }
    }
}

/// Every member of `room`, paged through with `members` (`limit` a page).
async fn all_members(client: &mut Client, room: &str, limit: u32) -> Vec<String> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut data = json!({ "room": room, "limit": limit });
        if let Some(after) = &after {
            data["after"] = json!(after);
        }
        let page = client.ask("members", data).await;
        let names = names(&page["members"]);
        assert!(names.len() <= limit as usize, "{page}");
        after = names.last().cloned();
        all.extend(names);
        if page["has_more"] == false {
            assert_eq!(page["member_count"], all.len(), "{page}");
            return all;
        }
    }
}

#[tokio::test]
async fn the_list_comes_with_a_join_capped_and_paged_past_500() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    // 510 users come in at once (connected together, each answer waited
    // for after all asked).
    let connects = (0..510).map(|_| Client::connect(server.addr, "/ws", None));
    let mut crowd: Vec<Client> =
        futures_util::future::join_all(connects).await.into_iter().map(Result::unwrap).collect();
    for (n, client) in crowd.iter_mut().enumerate() {
        client.send("add_user", json!({ "username": format!("u{n:03}") })).await;
        client.send("join", json!({ "room": "big" })).await;
    }
    for client in &mut crowd {
        client.expect("joined").await;
    }
    let (mut late, _) = server.named("late").await;
    let joined = late.ask("join", json!({ "room": "big" })).await;
    let first = names(&joined["members"]);
    assert_eq!(first.len(), 500);
    assert_eq!((&joined["member_count"], &joined["members_more"]), (&json!(511), &json!(true)));
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(first, sorted, "names in code point order, so that pages follow each other");

    let everyone = all_members(&mut late, "big", 200).await;
    assert_eq!(everyone.len(), 511);
    assert_eq!(&everyone[..500], &first[..]);
    assert!(everyone.contains(&"late".to_owned()));
    // A page starts after the name given.
    let page = late.ask("members", json!({ "room": "big", "after": "u508" })).await;
    assert_eq!(names(&page["members"]), ["u509"]);

    // Only members may list a room.
    let (mut outsider, _) = server.named("outsider").await;
    outsider.send("members", json!({ "room": "big" })).await;
    let error = outsider.expect_error().await;
    assert_eq!((&error["code"], &error["type"]), (&json!("not_in_room"), &json!("members")));
    drop(crowd);
    server.stop().await;
}

#[tokio::test]
async fn a_list_kept_from_the_changes_is_the_rooms_list() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut observer, _) = server.named("observer").await;
    let joined = observer.ask("join", json!({ "room": "crowd" })).await;
    let mut kept: BTreeSet<String> = names(&joined["members"]).into_iter().collect();

    // Forty users join at once, a third of them leave, a few rename; all
    // their requests interleave.
    let mut clients = Vec::new();
    for n in 0..40 {
        let mut client = server.client().await;
        client.send("add_user", json!({ "username": format!("p{n}") })).await;
        client.send("join", json!({ "room": "crowd" })).await;
        clients.push(client);
    }
    let mut expected: BTreeSet<String> = (0..40).map(|n| format!("p{n}")).collect();
    expected.insert("observer".into());
    for (n, client) in clients.iter_mut().enumerate() {
        match n % 6 {
            0 | 3 => {
                client.send("leave", json!({ "room": "crowd" })).await;
                expected.remove(&format!("p{n}"));
            }
            1 => {
                client.send("rename_user", json!({ "username": format!("q{n}") })).await;
                expected.remove(&format!("p{n}"));
                expected.insert(format!("q{n}"));
            }
            _ => {}
        }
    }

    // Apply what arrives until the kept list is the expected one.
    let converge = async {
        while kept != expected {
            let presence = observer.expect_where("presence", |d| d["room"] == "crowd").await;
            assert!(presence.get("members").is_none(), "a change, not the list: {presence}");
            apply(&mut kept, &presence);
        }
    };
    tokio::time::timeout(WAIT, converge).await.unwrap_or_else(|_| {
        panic!("the changes did not add up to the room's members: kept {kept:?}")
    });
    let listed: BTreeSet<String> =
        all_members(&mut observer, "crowd", 500).await.into_iter().collect();
    assert_eq!(listed, expected);
    drop(clients);
    server.stop().await;
}

#[tokio::test]
async fn a_join_and_a_leave_are_announced_to_the_others_with_the_classic_notices() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (mut alice, _) = server.named("alice").await;
    let (mut bob, _) = server.named("bob").await;
    let (change, presence) = alice.expect_change("general", "bob", "join").await;
    assert_eq!(change, json!({ "user": "bob", "event": "join" }));
    assert_eq!(presence["member_count"], 2);
    let info = alice.expect("info").await;
    assert!(info["message"].as_str().unwrap().contains("bob"), "{info}");

    bob.send("leave", json!({ "room": "general" })).await;
    let (change, presence) = alice.expect_change("general", "bob", "leave").await;
    assert_eq!(change, json!({ "user": "bob", "event": "leave" }));
    assert_eq!(presence["member_count"], 1);
    let info = alice.expect("info").await;
    assert_eq!(info["message"], "bob left #general");
    drop(bob);
    server.stop().await;
}

#[tokio::test]
async fn a_large_room_announces_counts_not_names() {
    let db = TestDb::new();
    let server = Server::start(&Config { large_room: 3, ..db.config() }).await;
    let (mut watcher, _) = server.named("watcher").await;
    let mut others = Vec::new();
    for name in ["a", "b", "c"] {
        others.push(server.named(name).await.0);
    }
    // Up to 3 members the joins are named; the fourth member makes the room
    // large: counted. (Joins close together may come in one message.)
    let (mut named, mut counted) = (0, 0);
    loop {
        let presence = watcher.expect("presence").await;
        match presence["changes"].as_array() {
            Some(changes) => {
                assert!(presence["member_count"].as_u64().unwrap() <= 3, "{presence}");
                named += changes.len();
            }
            None => {
                assert_eq!(presence["member_count"], 4, "{presence}");
                assert_eq!((&presence["left"], &presence["renamed"]), (&json!(0), &json!(0)));
                assert!(!presence.to_string().contains("\"c\""), "no names: {presence}");
                counted += presence["joined"].as_u64().unwrap() as usize;
                break;
            }
        }
    }
    assert_eq!(named + counted, 3);
    assert!(counted >= 1);
    let listed = all_members(&mut watcher, "general", 500).await;
    assert_eq!(listed, ["a", "b", "c", "watcher"]);

    // Back to three: named again.
    drop(others.pop());
    let (change, presence) = watcher.expect_change("general", "c", "leave").await;
    assert_eq!(change["event"], "leave");
    assert_eq!(presence["member_count"], 3);
    server.stop().await;
}
