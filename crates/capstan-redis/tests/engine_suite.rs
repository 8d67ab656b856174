//! capstan-testkit's engine suite on Redis: two nodes, each its own
//! `RedisEngine` on one real redis-server.

use capstan::Topics;
use capstan_redis::{RedisConfig, RedisEngine};
use capstan_testkit::engine_suite;
use capstan_testkit::redis::{Persistence, RedisServer};

const MAX_LEN: usize = 20;

/// Two registries on `redis`.
async fn two_nodes(redis: &RedisServer) -> (Topics, Topics) {
    let config = RedisConfig { history_max_len: MAX_LEN, ..RedisConfig::new(redis.url()) };
    let a = RedisEngine::connect(config.clone()).await.expect("connect");
    let b = RedisEngine::connect(config).await.expect("connect");
    (Topics::with_engine(a.engine()), Topics::with_engine(b.engine()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_publications_reach_every_node_once_in_offset_order() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = two_nodes(&redis).await;
    engine_suite::kept_publications_reach_every_node_once_in_offset_order(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_recovers_on_another_node_exactly_what_it_missed() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = two_nodes(&redis).await;
    engine_suite::a_client_recovers_on_another_node_exactly_what_it_missed(a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_history_no_longer_holds_is_not_recovered() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = two_nodes(&redis).await;
    engine_suite::what_the_history_no_longer_holds_is_not_recovered(a, b, MAX_LEN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_publication_is_kept_and_delivered_once() {
    let redis = RedisServer::start(Persistence::None).await;
    let (a, b) = two_nodes(&redis).await;
    engine_suite::a_retried_publication_is_kept_and_delivered_once(a, b).await;
}
