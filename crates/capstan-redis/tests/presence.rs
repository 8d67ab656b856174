//! Presence across nodes: each node's members are listed by every node,
//! kept alive by their node's refreshes, and gone within the time-to-live
//! once their node stops (its engine dropped).

mod common;

use std::time::Duration;

use capstan::pubsub::{Presence, Present};
use common::*;

fn present(member: &str, info: &str) -> Present {
    Present { member: member.into(), info: info.into() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_of_both_nodes_are_listed_and_a_stopped_nodes_expire() {
    let redis = RedisServer::start(Persistence::None).await;
    let brief = RedisConfig { presence_ttl: Duration::from_secs(2), ..config(&redis) };
    let a = within("connect", RedisEngine::connect(brief.clone())).await.unwrap();
    let b = within("connect", RedisEngine::connect(brief)).await.unwrap();
    a.presence().add("room", "alice", r#"{"name":"Alice"}"#).await.unwrap();
    a.presence().add("room", "carol", "c").await.unwrap();
    b.presence().add("room", "bob", "b").await.unwrap();
    let everyone =
        vec![present("alice", r#"{"name":"Alice"}"#), present("bob", "b"), present("carol", "c")];
    assert_eq!(a.presence().list("room").await.unwrap(), everyone);
    assert_eq!(b.presence().list("room").await.unwrap(), everyone);
    assert_eq!(b.presence().count("room").await.unwrap(), 3);

    a.presence().remove("room", "carol").await.unwrap();
    assert_eq!(b.presence().count("room").await.unwrap(), 2);

    // Past several TTLs, both nodes' members are still there: refreshed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let both = vec![present("alice", r#"{"name":"Alice"}"#), present("bob", "b")];
    assert_eq!(a.presence().list("room").await.unwrap(), both);

    // B stops: nobody refreshes bob, who is gone within the TTL.
    drop(b);
    let alone = vec![present("alice", r#"{"name":"Alice"}"#)];
    let deadline = tokio::time::Instant::now() + WAIT;
    while a.presence().list("room").await.unwrap() != alone {
        assert!(tokio::time::Instant::now() < deadline, "bob never expired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(a.presence().count("room").await.unwrap(), 1);
    // The info of an expired member went with it.
    let mut cli = redis_cli(&redis).await;
    let info_key = a.keys().presence_info("room");
    let infos: Vec<String> =
        redis::cmd("HKEYS").arg(&info_key).query_async(&mut cli).await.unwrap();
    assert_eq!(infos, ["alice"]);
}
