//! The engine suite on the in-memory engine: one registry serves as both
//! nodes (one process has one memory).

use std::sync::Arc;
use std::time::Duration;

use capstan::Topics;
use capstan::pubsub::{Engine, HistoryLimits, MemoryHistory};
use capstan_testkit::engine_suite;

const MAX_LEN: usize = 20;

fn topics() -> Topics {
    let limits = HistoryLimits { max_len: MAX_LEN, ttl: Duration::from_secs(600) };
    Topics::with_engine(Engine::local(Arc::new(MemoryHistory::new(limits))))
}

#[tokio::test]
async fn kept_publications_reach_every_node_once_in_offset_order() {
    let one = topics();
    engine_suite::kept_publications_reach_every_node_once_in_offset_order(one.clone(), one).await;
}

#[tokio::test]
async fn a_client_recovers_on_another_node_exactly_what_it_missed() {
    let one = topics();
    engine_suite::a_client_recovers_on_another_node_exactly_what_it_missed(one.clone(), one).await;
}

#[tokio::test]
async fn what_the_history_no_longer_holds_is_not_recovered() {
    let one = topics();
    engine_suite::what_the_history_no_longer_holds_is_not_recovered(one.clone(), one, MAX_LEN)
        .await;
}

#[tokio::test]
async fn a_retried_publication_is_kept_and_delivered_once() {
    let one = topics();
    engine_suite::a_retried_publication_is_kept_and_delivered_once(one.clone(), one).await;
}
