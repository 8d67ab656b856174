//! Members come, refresh, leave and expire. Instants are made, not waited for.

use std::time::{Duration, Instant};

use super::MemoryPresence;
use crate::pubsub::{Presence, Present};

const TTL: Duration = Duration::from_secs(10);

fn members(list: Vec<Present>) -> Vec<(String, String)> {
    list.into_iter().map(|p| (p.member, p.info)).collect()
}

#[test]
fn members_are_listed_in_order_with_their_latest_info_until_they_leave() {
    let (presence, now) = (MemoryPresence::new(TTL), Instant::now());
    presence.add_now("room", "n1:bob", "bob", now);
    presence.add_now("room", "n2:alice", "alice", now);
    presence.add_now("room", "n1:bob", "bobby", now);
    presence.add_now("other", "n1:carol", "carol", now);
    assert_eq!(
        members(presence.list_now("room", now)),
        [("n1:bob".into(), "bobby".into()), ("n2:alice".into(), "alice".into())]
    );
    presence.remove_now("room", "n1:bob");
    assert_eq!(members(presence.list_now("room", now)), [("n2:alice".into(), "alice".into())]);
    presence.remove_now("room", "n2:alice");
    assert!(presence.list_now("room", now).is_empty());
    assert_eq!(presence.list_now("other", now).len(), 1, "other topics untouched");
}

#[test]
fn a_member_not_refreshed_within_the_ttl_is_gone_and_a_refreshed_one_stays() {
    let (presence, start) = (MemoryPresence::new(TTL), Instant::now());
    presence.add_now("room", "dead-node:bob", "bob", start);
    presence.add_now("room", "live-node:alice", "alice", start);
    presence.add_now("room", "live-node:alice", "alice", start + TTL / 2);
    let later = start + TTL + Duration::from_millis(1);
    assert_eq!(
        members(presence.list_now("room", later)),
        [("live-node:alice".into(), "alice".into())]
    );
}

#[tokio::test]
async fn the_trait_answers_as_the_engine() {
    let presence = MemoryPresence::new(TTL);
    presence.add("room", "m", "i").await.unwrap();
    assert_eq!(presence.count("room").await, Ok(1));
    assert_eq!(members(presence.list("room").await.unwrap()), [("m".into(), "i".into())]);
    presence.remove("room", "m").await.unwrap();
    assert_eq!(presence.count("room").await, Ok(0));
}
