//! The HTTP API's answers over real sockets: every status and error code
//! of docs/API.md, on the WebSocket's port and on a port of its own.

mod common;

use std::sync::{Arc, Mutex};

use capstan_api::{ApiConfig, RateLimit};
use common::{KEY, Server, error_code, json, key_header, request, text};
use serde_json::json;

#[tokio::test]
async fn a_publish_reaches_the_subscribers_on_the_same_port() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut client = server.client("ann", "news").await;
    let (status, body) = server.call("publish", r#"{"channel":"news","data":{"text":"hi"}}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["offset"], 1, "{body}");
    assert!(body["result"]["epoch"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    assert_eq!(text(client.next_message().await), r#"{"text":"hi"}"#);
    // Other paths are the application's: 404 from the service.
    let other = request(server.ws, "GET", "/elsewhere", "", "").await;
    assert_eq!(other.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn a_separate_port_serves_the_api_alone_and_shuts_down_the_same_way() {
    let server = Server::separate_port(ApiConfig::with_key(KEY)).await;
    assert_ne!(server.ws, server.api);
    let mut client = server.client("ann", "news").await;
    let (status, body) = server.call("publish", r#"{"channel":"news","data":[1,2]}"#).await;
    assert_eq!((status, &body["result"]["offset"]), (200, &json!(1)), "{body}");
    assert_eq!(text(client.next_message().await), "[1,2]");
    // The WebSocket's port has no API.
    let on_ws = request(server.ws, "POST", "/api/info", &key_header(), "{}").await;
    assert_eq!(on_ws.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn a_missing_wrong_or_wrongly_announced_key_is_401() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let body = r#"{"channel":"news","data":1}"#;
    for headers in [
        String::new(),
        "X-API-Key: test-key-012345678\r\n".to_owned(),
        format!("X-API-Key: {KEY}x\r\n"),
        format!("Authorization: Bearer {KEY}\r\n"),
        "Authorization: apikey nope\r\n".to_owned(),
    ] {
        let response = server.post("/api/publish", &headers, body).await;
        assert_eq!(response.status(), 401, "{headers:?}");
        assert_eq!(response.header("www-authenticate"), Some("apikey"));
        assert_eq!(error_code(&json(&response)), 101, "{headers:?}");
    }
    let good = server.post("/api/publish", &format!("Authorization: apikey {KEY}\r\n"), body).await;
    assert_eq!(good.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_their_status_and_code_and_the_server_goes_on() {
    let config = ApiConfig { max_body_bytes: 1024, ..ApiConfig::with_key(KEY) };
    let server = Server::same_port(config).await;

    let (status, body) = server.call("publish", r#"{"channel": "news", "data": "#).await;
    assert_eq!((status, error_code(&body)), (400, 107), "malformed JSON: {body}");

    let (status, body) = server.call("subscribe", r#"{"channel":"news"}"#).await;
    assert_eq!((status, error_code(&body)), (404, 104), "unknown method: {body}");

    // Announced too large: answered from the head, the body never sent.
    let head = format!(
        "POST /api/publish HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{}Content-Length: 5000\r\n\r\n",
        key_header()
    );
    let raw = capstan_testkit::http::exchange(server.api, head.as_bytes()).await;
    let response = capstan_testkit::http::Response::parse(&raw);
    assert_eq!((response.status(), error_code(&json(&response))), (413, 106));

    let (status, body) = server.call("publish", r#"{"data":1}"#).await;
    assert_eq!((status, error_code(&body)), (200, 107), "a field missing: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("channel"), "{body}");

    let (status, body) = server.call("publish", r#"{"channel":"secret-1","data":1}"#).await;
    assert_eq!((status, error_code(&body)), (200, 102), "the validator's answer: {body}");

    let get = request(server.api, "GET", "/api/info", &key_header(), "").await;
    assert_eq!((get.status(), get.header("allow")), (405, Some("POST")));
    assert_eq!(error_code(&json(&get)), 107);

    // Still serving.
    let (status, body) = server.call("info", "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["nodes"][0]["name"], "capstan");
    server.stop().await;
}

#[tokio::test]
async fn with_no_key_configured_the_api_is_off() {
    let server = Server::same_port(ApiConfig::default()).await;
    let (status, body) = server.call("info", "{}").await;
    assert_eq!((status, error_code(&body)), (404, 108), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn each_key_has_its_rate_and_a_refusal_says_when_to_retry() {
    let config = ApiConfig {
        keys: vec![KEY.to_owned(), "other-key".to_owned()],
        rate_limit: Some(RateLimit { per_second: 1, burst: 2 }),
        ..ApiConfig::default()
    };
    let server = Server::same_port(config).await;
    // The bucket starts full: two pass whatever the clock.
    for _ in 0..2 {
        assert_eq!(server.call("info", "{}").await.0, 200);
    }
    // At one a second, twenty more cannot all pass unless they took 18 s.
    let mut refused = None;
    for _ in 0..20 {
        let response = server.post("/api/info", &key_header(), "{}").await;
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
    }
    let refused = refused.expect("a request over the rate is refused");
    assert_eq!(error_code(&json(&refused)), 111);
    let retry: u64 = refused.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(retry >= 1);
    // Another key is not slowed by this one's.
    let other = server.post("/api/info", "X-API-Key: other-key\r\n", "{}").await;
    assert_eq!(other.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn a_batch_answers_each_command_ok_or_its_error() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut client = server.client("ann", "news").await;
    for parallel in [false, true] {
        let batch = json!({
            "commands": [
                {"publish": {"channel": "news", "data": {"n": 1}}},
                {"publish": {"channel": "secret-x", "data": 1}},
                {"subscribe": {"channel": "news"}},
                {"publish": {"data": 1}},
                {"presence_stats": {"channel": "news"}},
            ],
            "parallel": parallel,
        });
        let (status, body) = server.call("batch", &batch.to_string()).await;
        assert_eq!(status, 200, "{body}");
        let replies = body["replies"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(replies.len(), 5, "{body}");
        assert!(replies[0]["publish"]["offset"].as_u64().is_some(), "{body}");
        assert_eq!(error_code(&replies[1]), 102);
        assert_eq!(error_code(&replies[2]), 104);
        assert_eq!(error_code(&replies[3]), 107);
        assert_eq!(replies[4]["presence_stats"], json!({"num_clients": 1, "num_users": 1}));
        assert_eq!(text(client.next_message().await), r#"{"n":1}"#);
    }
    server.stop().await;
}

#[tokio::test]
async fn a_batch_over_the_cap_is_413() {
    let config = ApiConfig { max_batch_commands: 2, ..ApiConfig::with_key(KEY) };
    let server = Server::same_port(config).await;
    let batch = json!({"commands": [{"info": {}}, {"info": {}}, {"info": {}}]});
    let (status, body) = server.call("batch", &batch.to_string()).await;
    assert_eq!((status, error_code(&body)), (413, 106), "{body}");
    let (status, body) = server.call("batch", r#"{"commands": {}}"#).await;
    assert_eq!((status, error_code(&body)), (400, 107), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn the_observer_hears_of_each_call() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = calls.clone();
    let server = Server::same_port_with(ApiConfig::with_key(KEY), move |service| {
        service.observer(move |method, outcome, _took| {
            seen.lock().unwrap().push((method.to_owned(), outcome.to_owned()));
        })
    })
    .await;
    server.call("publish", r#"{"channel":"news","data":1}"#).await;
    server.call("publish", r#"{"channel":"secret","data":1}"#).await;
    server.call("no_such_method", "{}").await;
    server.post("/api/info", "", "{}").await;
    let calls = calls.lock().unwrap().clone();
    let expected = [
        ("publish", "ok"),
        ("publish", "unknown_channel"),
        ("unknown", "method_not_found"),
        ("info", "unauthorized"),
    ];
    let expected: Vec<_> = expected.iter().map(|(m, o)| (m.to_string(), o.to_string())).collect();
    assert_eq!(calls, expected);
    server.stop().await;
}
