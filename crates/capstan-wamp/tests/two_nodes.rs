//! WAMP publications go through capstan's broker seam: two routers whose
//! topics share one broker are one WAMP network for pub/sub. The broker
//! here is the smallest one that joins two registries in one process; the
//! scale-out engines (Redis, NATS) sit behind the same trait.

use std::sync::{Arc, Mutex};

use capstan::Topics;
use capstan::pubsub::{
    Ack, Acknowledged, Broker, BrokerError, LocalFanout, Publication, Published,
};
use capstan_wamp::{Dict, LocalSession, Payload, Router, Value, WampServer};
use tokio::sync::mpsc;

/// Every node attached hears every publication; the answer is `answer`.
struct Bus {
    nodes: Mutex<Vec<LocalFanout>>,
    down: bool,
}

impl Broker for Bus {
    fn attach(&self, local: LocalFanout) {
        self.nodes.lock().unwrap().push(local);
    }

    fn subscribe(&self, _topic: &str) {}

    fn unsubscribe(&self, _topic: &str) {}

    fn publish(&self, publication: Publication<'_>) -> Published {
        if self.down {
            let refused = Err(BrokerError::Unavailable("the bus is down".into()));
            return Published { local: Default::default(), ack: Ack::ready(refused) };
        }
        let nodes = self.nodes.lock().unwrap().clone();
        let mut local = Default::default();
        for node in nodes {
            local = node.deliver(publication.topic, publication.message, publication.exclude);
        }
        Published { local, ack: Ack::ready(Ok(Acknowledged::default())) }
    }
}

fn node(bus: &Arc<Bus>) -> WampServer {
    WampServer::with_topics(Router::new(["realm1"]), Topics::with_broker(bus.clone()))
}

fn acknowledged() -> Dict {
    Dict::from([("acknowledge".to_owned(), Value::Bool(true))])
}

#[tokio::test]
async fn a_publication_on_one_node_reaches_subscribers_on_both() {
    let bus = Arc::new(Bus { nodes: Mutex::default(), down: false });
    let (a, b) = (node(&bus), node(&bus));
    let (heard, mut hearing) = mpsc::unbounded_channel();
    for (name, server) in [("a", &a), ("b", &b)] {
        let heard = heard.clone();
        let subscriber = LocalSession::join(server, "realm1").unwrap();
        subscriber
            .subscribe("com.news", Dict::new(), move |event| {
                drop(heard.send((name, event.payload)))
            })
            .await
            .unwrap();
    }
    let publisher = LocalSession::join(&b, "realm1").unwrap();
    let news = Payload::args(vec![Value::from("crossed")]);
    publisher.publish("com.news", acknowledged(), news.clone()).await.unwrap();
    let mut got = vec![hearing.recv().await.unwrap(), hearing.recv().await.unwrap()];
    got.sort_by_key(|(name, _)| *name);
    assert_eq!(got, vec![("a", news.clone()), ("b", news)]);
}

#[tokio::test]
async fn a_publication_the_broker_refuses_is_an_error_for_a_publisher_that_asked() {
    let bus = Arc::new(Bus { nodes: Mutex::default(), down: true });
    let server = node(&bus);
    let publisher = LocalSession::join(&server, "realm1").unwrap();
    let refused = publisher.publish("com.news", acknowledged(), Payload::none()).await;
    assert_eq!(refused.unwrap_err().uri, "wamp.error.unavailable");
}
