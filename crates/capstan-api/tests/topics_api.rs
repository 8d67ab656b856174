//! `TopicsApi` over real sockets: what each method does to a capstan
//! application's topics and connections.

mod common;

use capstan::ws::{Event, OpCode};
use capstan_api::ApiConfig;
use capstan_testkit::frame::close_payload;
use common::{KEY, Server, error_code, text};
use serde_json::json;

#[tokio::test]
async fn a_retried_keyed_publish_is_delivered_and_kept_once() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut client = server.client("ann", "news").await;
    let keyed = r#"{"channel":"news","data":"once","idempotency_key":"k-1"}"#;
    let (_, first) = server.call("publish", keyed).await;
    let (_, retry) = server.call("publish", keyed).await;
    assert_eq!(first["result"], retry["result"], "the retry gets the first reply");
    let (_, marker) = server.call("publish", r#"{"channel":"news","data":"next"}"#).await;
    assert_eq!(marker["result"]["offset"], 2, "one kept for the two: {marker}");
    assert_eq!(text(client.next_message().await), r#""once""#);
    assert_eq!(text(client.next_message().await), r#""next""#, "delivered once");
    // Unkept, the key holds too.
    let unkept = r#"{"channel":"news","data":"u","idempotency_key":"k-2","skip_history":true}"#;
    server.call("publish", unkept).await;
    server.call("publish", unkept).await;
    server.call("publish", r#"{"channel":"news","data":"end","skip_history":true}"#).await;
    assert_eq!(text(client.next_message().await), r#""u""#);
    assert_eq!(text(client.next_message().await), r#""end""#);
    server.stop().await;
}

#[tokio::test]
async fn skip_history_delivers_without_keeping() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut client = server.client("ann", "news").await;
    server.call("publish", r#"{"channel":"news","data":"kept"}"#).await;
    let (_, skipped) =
        server.call("publish", r#"{"channel":"news","data":"gone","skip_history":true}"#).await;
    assert_eq!(skipped["result"], json!({"offset": 0, "epoch": ""}));
    assert_eq!(text(client.next_message().await), r#""kept""#);
    assert_eq!(text(client.next_message().await), r#""gone""#);
    let (_, history) = server.call("history", r#"{"channel":"news","limit":-1}"#).await;
    let data: Vec<_> =
        history["result"]["publications"].as_array().unwrap().iter().map(|p| &p["data"]).collect();
    assert_eq!(data, [&json!("kept")], "{history}");
    assert_eq!(history["result"]["offset"], 1);
    server.stop().await;
}

#[tokio::test]
async fn history_pages_forward_backward_and_since_a_position() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    for n in 1..=4 {
        server.call("publish", &json!({"channel": "log", "data": n}).to_string()).await;
    }
    let page = |body: serde_json::Value| {
        let server = &server;
        async move {
            let (status, reply) = server.call("history", &body.to_string()).await;
            assert_eq!(status, 200, "{reply}");
            reply
        }
    };
    let offsets = |reply: &serde_json::Value| -> Vec<u64> {
        reply["result"]["publications"]
            .as_array()
            .unwrap_or_else(|| panic!("{reply}"))
            .iter()
            .map(|p| p["offset"].as_u64().unwrap())
            .collect()
    };
    let all = page(json!({"channel": "log", "limit": -1})).await;
    assert_eq!(offsets(&all), [1, 2, 3, 4]);
    let epoch = all["result"]["epoch"].as_str().unwrap().to_owned();
    let none = page(json!({"channel": "log"})).await;
    assert_eq!((offsets(&none), &none["result"]["offset"]), (vec![], &json!(4)));
    assert_eq!(offsets(&page(json!({"channel": "log", "limit": 2})).await), [1, 2]);
    let newest = page(json!({"channel": "log", "limit": 2, "reverse": true})).await;
    assert_eq!(offsets(&newest), [4, 3]);
    let since = json!({"channel": "log", "limit": 10, "since": {"offset": 2, "epoch": epoch}});
    assert_eq!(offsets(&page(since).await), [3, 4]);
    let before = json!({"channel": "log", "limit": 10, "reverse": true, "since": {"offset": 3, "epoch": epoch}});
    assert_eq!(offsets(&page(before).await), [2, 1]);
    let other_epoch = json!({"channel": "log", "limit": 10, "since": {"offset": 2, "epoch": "x"}});
    let (_, reply) = server.call("history", &other_epoch.to_string()).await;
    assert_eq!(error_code(&reply), 112, "{reply}");
    server.stop().await;
}

#[tokio::test]
async fn presence_channels_and_info_count_the_registered_connections() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let _a1 = server.client("ann", "news").await;
    let _a2 = server.client("ann", "news").await;
    let _b = server.client("bob", "sport").await;
    let (_, presence) = server.call("presence", r#"{"channel":"news"}"#).await;
    let users: Vec<_> = presence["result"]["presence"]
        .as_object()
        .unwrap_or_else(|| panic!("{presence}"))
        .values()
        .map(|c| c["user"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(users, ["ann", "ann"]);
    let (_, stats) = server.call("presence_stats", r#"{"channel":"news"}"#).await;
    assert_eq!(stats["result"], json!({"num_clients": 2, "num_users": 1}));
    let (_, channels) = server.call("channels", r#"{"pattern":"n*"}"#).await;
    assert_eq!(channels["result"], json!({"channels": {"news": {"num_clients": 2}}}));
    let (_, info) = server.call("info", "{}").await;
    let node = &info["result"]["nodes"][0];
    assert_eq!((&node["num_clients"], &node["num_users"]), (&json!(3), &json!(2)), "{info}");
    assert_eq!((&node["num_channels"], &node["num_subs"]), (&json!(2), &json!(3)), "{info}");
    // A channel nobody is on: empty, no error.
    let (_, empty) = server.call("presence_stats", r#"{"channel":"nobody"}"#).await;
    assert_eq!(empty["result"], json!({"num_clients": 0, "num_users": 0}));
    server.stop().await;
}

#[tokio::test]
async fn disconnect_closes_a_users_connections_with_the_code_given() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut ann = server.client("ann", "news").await;
    let mut bob = server.client("bob", "news").await;
    let request = r#"{"user":"ann","disconnect":{"code":4001,"reason":"bye"}}"#;
    let (status, reply) = server.call("disconnect", request).await;
    assert_eq!((status, &reply["result"]), (200, &json!({})), "{reply}");
    let close = loop {
        match ann.next_event().await {
            Some(Event::Close(frame)) => break frame.expect("a close code"),
            Some(_) => continue,
            None => panic!("closed without a close frame"),
        }
    };
    assert_eq!((close.code.0, close.reason.as_str()), (4001, "bye"));
    ann.send_frame(OpCode::Close, true, &close_payload(4001, b"")).await;
    // Bob is still there.
    server.call("publish", r#"{"channel":"news","data":"still"}"#).await;
    assert_eq!(text(bob.next_message().await), r#""still""#);
    server.stop().await;
}

#[tokio::test]
async fn unsubscribe_takes_a_user_out_of_a_channel() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let _ann = server.client("ann", "news").await;
    let mut bob = server.client("bob", "news").await;
    let (status, reply) = server.call("unsubscribe", r#"{"user":"ann","channel":"news"}"#).await;
    assert_eq!((status, &reply["result"]), (200, &json!({})), "{reply}");
    let (_, presence) = server.call("presence", r#"{"channel":"news"}"#).await;
    let left: Vec<_> = presence["result"]["presence"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["user"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(left, ["bob"]);
    server.call("publish", r#"{"channel":"news","data":"bob only"}"#).await;
    assert_eq!(text(bob.next_message().await), r#""bob only""#);
    server.stop().await;
}

#[tokio::test]
async fn broadcast_publishes_to_each_channel_and_answers_each() {
    let server = Server::same_port(ApiConfig::with_key(KEY)).await;
    let mut news = server.client("ann", "news").await;
    let mut sport = server.client("bob", "sport").await;
    let body = r#"{"channels":["news","secret-a","sport"],"data":{"all":true}}"#;
    let (_, reply) = server.call("broadcast", body).await;
    let responses = reply["result"]["responses"].as_array().unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(responses[0]["result"]["offset"], 1);
    assert_eq!(error_code(&responses[1]), 102);
    assert_eq!(responses[2]["result"]["offset"], 1);
    assert_eq!(text(news.next_message().await), r#"{"all":true}"#);
    assert_eq!(text(sport.next_message().await), r#"{"all":true}"#);
    server.stop().await;
}
