//! Reading a topic back in pages (the chat's `history`): the latest, those
//! before or after an offset, oldest first, from any node.

mod common;

use capstan::pubsub::{History, PageRange, Stored};
use capstan_redis::{RedisConfig, RedisEngine};
use common::*;

fn offsets(page: Vec<Stored>) -> Vec<u64> {
    page.iter().map(|s| s.position.offset).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_read_the_latest_before_or_after_an_offset_oldest_first() {
    let redis = RedisServer::start(Persistence::None).await;
    let config = RedisConfig { history_max_len: 5, ..config(&redis) };
    let a = Node::start(config.clone()).await;
    for n in 1..=7 {
        a.publish_kept("room", &format!("m{n}")).await;
    }
    let other = RedisEngine::connect(config).await.unwrap().history();
    let latest = other.page("room", PageRange::Latest, 2).await.unwrap();
    assert_eq!(offsets(latest.clone()), [6, 7]);
    assert_eq!(latest[1].message.as_text(), Some("m7"));
    assert_eq!(latest[1].position.epoch, other.latest("room").await.unwrap().epoch);
    assert_eq!(offsets(other.page("room", PageRange::Before(6), 2).await.unwrap()), [4, 5]);
    let trimmed = other.page("room", PageRange::Before(4), 9).await.unwrap();
    assert_eq!(offsets(trimmed), [3], "1 and 2 were trimmed (5 kept)");
    assert_eq!(offsets(other.page("room", PageRange::After(3), 2).await.unwrap()), [4, 5]);
    assert!(other.page("room", PageRange::After(7), 2).await.unwrap().is_empty());
    assert!(other.page("nothing", PageRange::Latest, 2).await.unwrap().is_empty());
}
