//! The cluster's fault tests, against real servers started here: a
//! redis-server, three `capstan-chat` processes on it and nginx in front.
//! Users post through the balancer while a fault strikes — a node killed
//! with SIGKILL, Redis restarted (a node killed meanwhile), Redis paused
//! for 5 s — and keep going as a
//! client should (reconnect, resume, send again what was not
//! acknowledged). Afterwards, per room, every acknowledged message was
//! delivered to every member exactly once, in id order (count and
//! compare: `faults::ledger`).

mod faults;

use std::time::Duration;

use capstan_testkit::redis::Persistence;
use faults::cluster::Cluster;
use faults::{Load, ledger};

/// 100 users in 10 rooms of 10, 20 messages each, one at a time.
const HUNDRED_USERS: Load =
    Load { members: 100, rooms: 10, messages: 20, window: 1, pause: Duration::from_millis(40) };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_acknowledged_message() {
    let mut cluster = Cluster::start(3, Persistence::None).await;
    let running = HUNDRED_USERS.start(cluster.addr()).await;
    running.until_acked(HUNDRED_USERS.total() / 4).await;
    cluster.kill(1).await;
    let killed_at = running.acked();
    let logs = running.finish().await;
    let tally = ledger::check(&logs);
    println!("node killed after {killed_at} acks: {tally:?}");
    assert_eq!(tally.messages, HUNDRED_USERS.total());
    assert!(killed_at < tally.messages, "the node died while users were posting");
    assert!(tally.reconnects > 0, "users were on the killed node and came back through nginx");
    assert_eq!((tally.not_recovered, tally.cut_short), (0, 0), "every catch-up is whole");
    cluster.stop().await;
}

/// 60 users in 6 rooms of 10, 40 messages each, one at a time.
const SIXTY_USERS: Load =
    Load { members: 60, rooms: 6, messages: 40, window: 1, pause: Duration::from_millis(40) };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_under_load_refuses_publishes_then_every_user_carries_on() {
    let mut cluster = Cluster::start(3, Persistence::AofAlways).await;
    let running = SIXTY_USERS.start(cluster.addr()).await;
    running.until_acked(SIXTY_USERS.total() / 4).await;
    cluster.redis.stop().await;
    // Users go on posting meanwhile: each post is refused, none
    // acknowledged. A node dies too: its users come back through nginx
    // on another node, which cannot name them until Redis is back.
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.kill(2).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.redis.restart().await;
    let logs = running.finish().await;
    let tally = ledger::check(&logs);
    println!("redis restarted: {tally:?}");
    assert_eq!(tally.messages, SIXTY_USERS.total());
    assert!(tally.refused.get("storage_failed").is_some_and(|n| *n > 0), "posts were refused");
    let codes: Vec<&String> = tally.refused.keys().chain(tally.refused_entries.keys()).collect();
    assert!(codes.iter().all(|c| *c == "storage_failed"), "the one clear refusal: {codes:?}");
    assert!(tally.reconnects > 0, "the killed node's users came back");
    let entries_refused = tally.refused_entries.get("storage_failed");
    assert!(entries_refused.is_some_and(|n| *n > 0), "named again only once Redis was back");
    let whole = (tally.not_recovered, tally.cut_short);
    assert_eq!(whole, (0, 0), "AOF kept the history: every catch-up is whole");
    cluster.stop().await;
}

/// 60 users in 6 rooms of 10, 60 messages each, up to 4 waiting for
/// their ack at once.
const SIXTY_PIPELINING: Load =
    Load { members: 60, rooms: 6, messages: 60, window: 4, pause: Duration::from_millis(30) };

/// A node may grow by at most this much while Redis is paused (its RSS,
/// in KiB): what waits is bounded by its queues, not by the outage.
const PAUSE_GROWTH_KIB: u64 = 32 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_redis_gets_refusals_not_hangs_and_bounded_memory_then_all_recovers() {
    let cluster = Cluster::start(3, Persistence::None).await;
    let running = SIXTY_PIPELINING.start(cluster.addr()).await;
    running.until_acked(SIXTY_PIPELINING.total() / 4).await;
    let nodes = 0..cluster.nodes.len();
    let before: Vec<u64> = nodes.clone().map(|n| cluster.rss_kib(n)).collect();
    let mut most = before.clone();
    cluster.redis.pause();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        for n in nodes.clone() {
            most[n] = most[n].max(cluster.rss_kib(n));
        }
    }
    let acked_while_paused = running.acked();
    cluster.redis.resume();
    let logs = running.finish().await;
    let tally = ledger::check(&logs);
    println!("redis paused 5 s: RSS KiB before {before:?}, most while paused {most:?}; {tally:?}");
    assert_eq!(tally.messages, SIXTY_PIPELINING.total());
    assert!(acked_while_paused < tally.messages, "users were posting when Redis was paused");
    assert!(tally.refused.get("storage_failed").is_some_and(|n| *n > 0), "posts were refused");
    for n in nodes {
        let growth = most[n].saturating_sub(before[n]);
        assert!(growth < PAUSE_GROWTH_KIB, "node {n} grew by {growth} KiB while Redis was paused");
    }
    cluster.stop().await;
}
