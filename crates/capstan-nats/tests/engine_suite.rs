//! capstan-testkit's engine suite on NATS: two nodes, each its own
//! `NatsBroker` on one real nats-server, sharing one history (as two
//! processes share a Redis history).

use std::sync::Arc;
use std::time::Duration;

use capstan::Topics;
use capstan::pubsub::{Engine, History, HistoryLimits, MemoryHistory};
use capstan_nats::{NatsBroker, NatsConfig};
use capstan_testkit::engine_suite;
use capstan_testkit::nats::NatsServer;

const MAX_LEN: usize = 20;

/// Two registries on `nats`, one history.
async fn two_nodes(nats: &NatsServer) -> (Topics, Topics) {
    let limits = HistoryLimits { max_len: MAX_LEN, ttl: Duration::from_secs(600) };
    let history: Arc<dyn History> = Arc::new(MemoryHistory::new(limits));
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let broker = NatsBroker::connect(NatsConfig::new(nats.url()), Some(history.clone()))
            .await
            .expect("connect to nats-server");
        nodes
            .push(Topics::with_engine(Engine::new(Arc::new(broker)).with_history(history.clone())));
    }
    let b = nodes.pop().unwrap();
    (nodes.pop().unwrap(), b)
}

#[tokio::test]
async fn kept_publications_reach_every_node_once_in_offset_order() {
    let nats = NatsServer::start();
    let (a, b) = two_nodes(&nats).await;
    engine_suite::kept_publications_reach_every_node_once_in_offset_order(a, b).await;
}

#[tokio::test]
async fn a_client_recovers_on_another_node_exactly_what_it_missed() {
    let nats = NatsServer::start();
    let (a, b) = two_nodes(&nats).await;
    engine_suite::a_client_recovers_on_another_node_exactly_what_it_missed(a, b).await;
}

#[tokio::test]
async fn what_the_history_no_longer_holds_is_not_recovered() {
    let nats = NatsServer::start();
    let (a, b) = two_nodes(&nats).await;
    engine_suite::what_the_history_no_longer_holds_is_not_recovered(a, b, MAX_LEN).await;
}

#[tokio::test]
async fn a_retried_publication_is_kept_and_delivered_once() {
    let nats = NatsServer::start();
    let (a, b) = two_nodes(&nats).await;
    engine_suite::a_retried_publication_is_kept_and_delivered_once(a, b).await;
}
