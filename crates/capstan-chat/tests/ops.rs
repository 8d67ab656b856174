//! The chat's operators' endpoints, over real sockets: `/metrics` in the
//! Prometheus text format with numbers that follow real clients and API
//! calls; `/healthz`; `/readyz` ready with a store that answers and 503,
//! naming the store, when the cluster's Redis is stopped; the admin page
//! off without a token and behind its login with one.

mod common;

use capstan_chat::Config;
use capstan_testkit::redis::{Persistence, RedisServer};
use common::{Server, TestDb, http_get};
use serde_json::json;

/// The value of the sample `name` (with its labels as written) in a
/// Prometheus text exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[tokio::test]
async fn metrics_follow_the_clients_and_the_api() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let before = http_get(server.addr, "/metrics").await;
    assert_eq!(before.status(), 200);
    assert!(
        before.header("content-type").unwrap().starts_with("application/openmetrics-text")
            || before.header("content-type").unwrap().starts_with("text/plain")
    );
    let before = before.body_text();
    let messages_in = "capstan_messages_received_total";
    let (mut alice, _) = server.named("alice").await;
    alice.post("general", "hello", "c1").await;
    let publish = serde_json::from_value(json!({ "channel": "general", "data": "hi" })).unwrap();
    server.api.publish(publish).await.unwrap();
    alice.expect("message").await;
    let notice = json!({ "channel": "general", "data": "brb", "skip_history": true });
    server.api.publish(serde_json::from_value(notice).unwrap()).await.unwrap();
    alice.expect("notice").await;
    let after = http_get(server.addr, "/metrics").await.body_text();
    let grew =
        |name: &str| sample(&after, name).unwrap_or(0.0) > sample(&before, name).unwrap_or(0.0);
    assert!(grew(messages_in), "{messages_in} did not grow:\n{after}");
    assert!(
        after.lines().any(|l| l.starts_with("capstan_store_operation_duration_seconds_count{op=\"append\"}")),
        "store latency observed:\n{after}"
    );
    assert!(
        after
            .lines()
            .any(|l| l
                .starts_with("capstan_broker_operation_duration_seconds_count{op=\"publish\"}")),
        "broker latency observed:\n{after}"
    );
    drop(alice);
    server.stop().await;
}

#[tokio::test]
async fn health_answers_and_the_admin_page_is_off_without_a_token() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    assert_eq!(http_get(server.addr, "/healthz").await.status(), 200);
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!((ready.status(), ready.body_text().as_str()), (200, "ready\n"));
    assert_eq!(http_get(server.addr, "/admin").await.status(), 404);
    server.stop().await;

    let db = TestDb::new();
    let config =
        Config { admin_token: Some("an-admin-token-of-32-bytes-or-so".into()), ..db.config() };
    let server = Server::start(&config).await;
    let page = http_get(server.addr, "/admin").await;
    assert_eq!(page.status(), 200);
    assert!(page.body_text().contains("<html"), "the admin page");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_store_when_redis_is_gone() {
    let mut redis = RedisServer::start(Persistence::None).await;
    let db = TestDb::new();
    let server = Server::start(&Config { redis: Some(redis.url()), ..db.config() }).await;
    assert_eq!(http_get(server.addr, "/readyz").await.status(), 200);
    redis.stop().await;
    let ready = http_get(server.addr, "/readyz").await;
    assert_eq!(ready.status(), 503, "{}", ready.body_text());
    assert!(ready.body_text().contains("store"), "{}", ready.body_text());
    assert_eq!(http_get(server.addr, "/healthz").await.status(), 200, "alive all the same");
    server.stop().await;
}
