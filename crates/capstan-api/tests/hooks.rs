//! Backend hooks over real sockets: a real Capstan server whose connect
//! hook, and whose component's subscribe and publish hooks, call a real
//! HTTP backend with sessions of its own (tests/backend/session_backend.py,
//! a child process), reached by real WebSocket clients presenting cookies.
//! No assertion is about time: the slow backend sleeps far past the
//! hook's timeout, and only what the client gets is checked.

mod backend;

use std::net::SocketAddr;
use std::time::Duration;

use backend::Backend;
use capstan::http::Authenticate;
use capstan::ws::OpCode;
use capstan::{CloseCode, Component, Conn, HttpServer, IoServer, Message, WsServer};
use capstan_api::hooks::{
    ChannelGrant, ConnectHook, FailurePolicy, HookClient, HookConfig, HookIdentity, PublishHook,
    SubscribeHook,
};
use capstan_testkit::client::Client;
use capstan_testkit::handshake::upgrade_request;
use capstan_testkit::http::{Response, exchange};
use capstan_testkit::scratch::free_port;
use capstan_testkit::wait::within;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Far below the slow backend's 3 s sleep.
const SHORT: Duration = Duration::from_millis(300);

/// The application of the tests: on open it sends what the identity says;
/// it answers `{"subscribe": channel, "data"?}` and `{"publish": channel,
/// "data"}` as a chat would, with the list checked first, then the hooks.
struct HookApp {
    subscribe: SubscribeHook,
    publish: PublishHook,
}

#[derive(Deserialize)]
struct Ask {
    subscribe: Option<String>,
    publish: Option<String>,
    data: Option<Box<RawValue>>,
}

impl Component for HookApp {
    async fn on_open(&self, conn: &Conn) {
        let id = conn.identity::<HookIdentity>().expect("the connect hook's identity");
        let seen = json!({
            "user": id.user,
            "client": id.client,
            "channels": id.channels,
            "info": id.info,
            "confirmed": id.confirmed,
        });
        conn.send_text(seen.to_string()).unwrap();
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        let id = conn.identity::<HookIdentity>().expect("the connect hook's identity");
        let ask: Ask = serde_json::from_str(message.as_text().unwrap()).unwrap();
        let answer = if let Some(channel) = ask.subscribe {
            match id.channel_grant(&channel) {
                ChannelGrant::Listed => json!({ "subscribed": channel, "by": "list" }),
                ChannelGrant::NotListed => {
                    json!({ "error": { "code": 103, "message": "not one of your channels" } })
                }
                ChannelGrant::NoList => {
                    match self.subscribe.check(id, &channel, ask.data.as_deref()).await {
                        Ok(allowed) => json!({ "subscribed": channel, "info": allowed.info }),
                        Err(denied) if denied.is_disconnect() => {
                            conn.close(CloseCode(denied.close_code()), denied.message());
                            return;
                        }
                        Err(denied) => {
                            json!({ "error": { "code": denied.code(), "message": denied.message() } })
                        }
                    }
                }
            }
        } else {
            let channel = ask.publish.expect("subscribe or publish");
            let data = ask.data.expect("data to publish");
            match self.publish.check(id, &channel, &data).await {
                Ok(replaced) => json!({ "published": channel, "data": replaced.unwrap_or(data) }),
                Err(denied) => {
                    json!({ "error": { "code": denied.code(), "message": denied.message() } })
                }
            }
        };
        conn.send_text(answer.to_string()).unwrap();
    }
}

/// The three hooks of one server.
struct Hooks {
    connect: HookConfig,
    subscribe: HookConfig,
    publish: HookConfig,
}

impl Hooks {
    /// The backend's own hooks, each with the default settings.
    fn of(backend: &Backend) -> Hooks {
        Hooks {
            connect: backend.hook("/connect"),
            subscribe: backend.hook("/subscribe"),
            publish: backend.hook("/publish"),
        }
    }
}

/// A Capstan server on a free port whose connect hook guards `HookApp`;
/// the three hooks share one pool, as an application would.
async fn serve(hooks: Hooks) -> SocketAddr {
    let pool = HookClient::new();
    let app = HookApp {
        subscribe: SubscribeHook::new(hooks.subscribe).with_client(pool.clone()),
        publish: PublishHook::new(hooks.publish).with_client(pool.clone()),
    };
    let connect = ConnectHook::new(hooks.connect).with_client(pool);
    let http = HttpServer::new(Authenticate::new(WsServer::new(app), connect));
    let server = IoServer::bind("127.0.0.1:0", http).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run_until(std::future::pending()));
    addr
}

/// A session cookie's header line.
fn session(id: &str) -> String {
    format!("Cookie: theme=dark; session_id={id}\r\n")
}

/// Upgrades `path` with `extra` header lines; the identity the app sent.
async fn open(addr: SocketAddr, path: &str, extra: &str) -> (Client, Value) {
    let mut client = Client::connect_with(addr, path, extra).await;
    let seen = next_json(&mut client).await;
    (client, seen)
}

/// An upgrade the server must refuse: its whole answer.
async fn refused(addr: SocketAddr, extra: &str) -> Response {
    let raw = within("the refusal", exchange(addr, upgrade_request("/ws", extra).as_bytes())).await;
    let response = Response::parse(&raw);
    assert_ne!(response.status(), 101, "upgraded: {response:?}");
    response
}

async fn next_json(client: &mut Client) -> Value {
    let message = client.next_message().await;
    serde_json::from_str(message.as_text().expect("text")).unwrap()
}

/// Sends `ask`, returns the app's answer.
async fn ask(client: &mut Client, ask: Value) -> Value {
    client.send_frame(OpCode::Text, true, ask.to_string().as_bytes()).await;
    next_json(client).await
}

#[tokio::test]
async fn a_session_cookie_gives_the_component_its_user_channels_and_info() {
    let backend = Backend::start();
    let addr = serve(Hooks::of(&backend)).await;
    let (_client, seen) = open(addr, "/ws", &session("s-ann")).await;
    assert_eq!(seen["user"], "ann");
    assert_eq!(seen["channels"], json!(["news", "room:1"]));
    assert_eq!(seen["info"], json!({ "name": "Ann" }));
    assert_eq!(seen["confirmed"], true);
    assert_eq!(seen["client"].as_str().unwrap().len(), 36, "a UUID: {seen}");

    let (_client, bob) = open(addr, "/ws", &session("s-bob")).await;
    assert_eq!(bob["user"], "bob");
    assert_eq!(bob["channels"], Value::Null, "the backend gave bob no list");
    assert_ne!(bob["client"], seen["client"], "each connection its own client id");
}

#[tokio::test]
async fn the_backends_refusals_are_statuses_with_its_message() {
    let backend = Backend::start();
    let addr = serve(Hooks::of(&backend)).await;

    let banned = refused(addr, &session("s-mallory")).await;
    assert_eq!(banned.status(), 403);
    assert_eq!(banned.body_text().trim(), "banned: mallory");

    let nobody = refused(addr, "").await;
    assert_eq!(nobody.status(), 401, "the backend's 4xx code is the status");
    assert_eq!(nobody.body_text().trim(), "log in first");

    let revoked = refused(addr, &session("s-revoked")).await;
    assert_eq!(revoked.status(), 403, "a disconnect answer at the handshake");
    assert_eq!(revoked.body_text().trim(), "disconnected by the backend (4501): session revoked");
}

#[tokio::test]
async fn a_backend_that_fails_gets_503_under_deny() {
    let backend = Backend::start();
    let unreachable = format!("http://127.0.0.1:{}/connect", free_port());
    let failing = [
        ("past the timeout", backend.hook("/slow").with_timeout(SHORT)),
        ("unreachable", HookConfig::new(&unreachable).unwrap()),
        ("answering 500", backend.hook("/status500")),
        ("answering HTML", backend.hook("/malformed")),
    ];
    for (what, connect) in failing {
        assert_eq!(connect.policy(), FailurePolicy::Deny, "the default");
        let addr = serve(Hooks { connect, ..Hooks::of(&backend) }).await;
        let answer = refused(addr, &session("s-ann")).await;
        assert_eq!(answer.status(), 503, "a backend {what}");
        assert_eq!(answer.body_text().trim(), "authentication backend unavailable", "{what}");
    }
}

#[tokio::test]
async fn a_backend_that_fails_lets_an_unconfirmed_anonymous_in_under_allow() {
    let backend = Backend::start();
    let unreachable = format!("http://127.0.0.1:{}/connect", free_port());
    let failing = [
        ("past the timeout", backend.hook("/slow").with_timeout(SHORT)),
        ("unreachable", HookConfig::new(&unreachable).unwrap()),
        ("answering 500", backend.hook("/status500")),
        ("answering HTML", backend.hook("/malformed")),
    ];
    for (what, connect) in failing {
        let connect = connect.with_policy(FailurePolicy::Allow);
        let addr = serve(Hooks { connect, ..Hooks::of(&backend) }).await;
        let (_client, seen) = open(addr, "/ws", &session("s-ann")).await;
        assert_eq!(seen["user"], "", "a backend {what}: anonymous");
        assert_eq!(seen["confirmed"], false, "{what}");
        assert_eq!(seen["channels"], Value::Null, "{what}");
        assert_eq!(seen["client"].as_str().unwrap().len(), 36, "{what}");
    }
}

#[tokio::test]
async fn the_backend_gets_the_allowed_headers_path_query_address_and_client_id() {
    let backend = Backend::start();
    let hooks = Hooks { connect: backend.hook("/connect/echo"), ..Hooks::of(&backend) };
    let addr = serve(hooks).await;
    let extra = format!(
        "{}User-Agent: hooks-test\r\nX-Secret: not for the backend\r\nAccept-Language: fr\r\n",
        session("s-ann")
    );
    let (_client, seen) = open(addr, "/ws?room=1&lang=fr", &extra).await;
    let headers = &seen["info"]["headers"];
    assert_eq!(headers["cookie"], "theme=dark; session_id=s-ann", "{headers}");
    assert_eq!(headers["user-agent"], "hooks-test");
    assert_eq!(headers["accept-language"], "fr");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers.get("x-secret"), None, "not on the allow-list: {headers}");
    assert_eq!(headers["host"], backend.addr().to_string(), "the hook's own Host");

    let body = &seen["info"]["body"];
    assert_eq!(body["path"], "/ws");
    assert_eq!(body["query"], "room=1&lang=fr");
    assert_eq!(body["transport"], "websocket");
    assert_eq!(body["client"], seen["client"], "the id the identity keeps");
    assert!(body["remote_addr"].as_str().unwrap().starts_with("127.0.0.1:"), "{body}");
}

#[tokio::test]
async fn a_listed_channel_is_decided_without_a_call() {
    let backend = Backend::start();
    let addr = serve(Hooks::of(&backend)).await;
    let (mut ann, _) = open(addr, "/ws", &session("s-ann")).await;
    let listed = ask(&mut ann, json!({ "subscribe": "news" })).await;
    assert_eq!(listed, json!({ "subscribed": "news", "by": "list" }));
    // The backend's /subscribe would allow room:9; ann's list does not.
    let unlisted = ask(&mut ann, json!({ "subscribe": "room:9" })).await;
    assert_eq!(unlisted["error"]["code"], 103, "{unlisted}");
}

#[tokio::test]
async fn the_subscribe_hook_allows_refuses_and_disconnects() {
    let backend = Backend::start();
    let addr = serve(Hooks::of(&backend)).await;
    let (mut bob, _) = open(addr, "/ws", &session("s-bob")).await;

    // The backend checks the session cookie against the user: the
    // connect-time headers reach it after the handshake too.
    let allowed = ask(&mut bob, json!({ "subscribe": "room:2", "data": { "seat": 4 } })).await;
    assert_eq!(
        allowed,
        json!({ "subscribed": "room:2", "info": { "channel": "room:2", "data": { "seat": 4 } } })
    );

    let refused = ask(&mut bob, json!({ "subscribe": "room:secret" })).await;
    assert_eq!(refused, json!({ "error": { "code": 1003, "message": "members only" } }));

    bob.send_frame(OpCode::Text, true, json!({ "subscribe": "kick" }).to_string().as_bytes()).await;
    let close = bob.expect_close().await.expect("a close code");
    assert_eq!((close.code, close.reason.as_str()), (CloseCode(4502), "kicked from kick"));
}

#[tokio::test]
async fn the_publish_hook_refuses_replaces_or_keeps_the_data() {
    let backend = Backend::start();
    let addr = serve(Hooks::of(&backend)).await;
    let (mut bob, _) = open(addr, "/ws", &session("s-bob")).await;

    let refused = ask(&mut bob, json!({ "publish": "readonly", "data": { "text": "hi" } })).await;
    assert_eq!(refused, json!({ "error": { "code": 1004, "message": "read-only channel" } }));

    let replaced = ask(&mut bob, json!({ "publish": "room:2", "data": { "text": "hi" } })).await;
    assert_eq!(replaced, json!({ "published": "room:2", "data": { "text": "hi", "by": "bob" } }));

    let data = json!({ "text": "raw", "as_is": true });
    let kept = ask(&mut bob, json!({ "publish": "room:2", "data": data })).await;
    assert_eq!(kept, json!({ "published": "room:2", "data": data }));
}

#[tokio::test]
async fn subscribe_and_publish_failures_follow_their_policy() {
    let backend = Backend::start();
    let hooks = Hooks {
        subscribe: backend.hook("/status500"),
        publish: backend.hook("/slow").with_timeout(SHORT).with_policy(FailurePolicy::Allow),
        ..Hooks::of(&backend)
    };
    let addr = serve(hooks).await;
    let (mut bob, _) = open(addr, "/ws", &session("s-bob")).await;

    let denied = ask(&mut bob, json!({ "subscribe": "room:2" })).await;
    assert_eq!(denied, json!({ "error": { "code": 100, "message": "internal server error" } }));

    let data = json!({ "text": "unchecked" });
    let allowed = ask(&mut bob, json!({ "publish": "room:2", "data": data })).await;
    assert_eq!(allowed, json!({ "published": "room:2", "data": data }), "kept as sent");
}

#[tokio::test]
async fn each_failure_is_its_own_error() {
    use capstan::Request;
    use capstan_api::hooks::{HookDenied, HookError};

    let backend = Backend::start();
    let request =
        Request::from_head("GET /ws HTTP/1.1\r\nHost: h\r\nCookie: session_id=s-ann\r\n\r\n")
            .unwrap();
    let unreachable = format!("http://127.0.0.1:{}/connect", free_port());
    let failing = [
        (backend.hook("/slow").with_timeout(SHORT), "TimedOut"),
        (HookConfig::new(&unreachable).unwrap(), "Unreachable"),
        (backend.hook("/status500"), "StatusNotSuccess(500)"),
        (backend.hook("/malformed"), "MalformedAnswer"),
        (backend.hook("/connect").with_max_answer_bytes(16), "AnswerTooLarge(16)"),
    ];
    for (config, expected) in failing {
        let denied = ConnectHook::new(config).connect(&request).await.unwrap_err();
        let HookDenied::Unavailable(error) = denied else { panic!("{expected}: {denied}") };
        let name = format!("{error:?}");
        assert!(name.starts_with(expected), "expected {expected}, got {name}");
        if let HookError::TimedOut(after) = error {
            assert_eq!(after, SHORT, "the hook's own timeout, reported");
        }
    }
    let ann = ConnectHook::new(backend.hook("/connect")).connect(&request).await.unwrap();
    assert_eq!(ann.user, "ann", "the same request, a backend that answers");
}

#[tokio::test]
async fn hook_calls_reuse_a_kept_alive_connection() {
    let backend = Backend::start();
    let addr = serve(Hooks { subscribe: backend.hook("/peer"), ..Hooks::of(&backend) }).await;
    let (mut bob, _) = open(addr, "/ws", &session("s-bob")).await;
    let first = ask(&mut bob, json!({ "subscribe": "a" })).await;
    let second = ask(&mut bob, json!({ "subscribe": "b" })).await;
    assert!(first["info"]["port"].is_u64(), "{first}");
    assert_eq!(first["info"]["port"], second["info"]["port"], "one connection, kept alive");
}
