//! What the tests of routers across processes share: a `capstan-router`
//! process on a broker, and a WAMP client on a raw WebSocket speaking
//! `wamp.2.json` or `wamp.2.msgpack` (messages written and read as JSON
//! here, turned into MessagePack on the wire by capstan-wamp's codec).

#![allow(dead_code)] // each test file uses its part

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use capstan::ws::OpCode;
use capstan_testkit::client::Client;
use capstan_testkit::process::Process;
use capstan_wamp::Serializer;
use serde_json::{Value as Json, json};

/// The bound on a router's start, and on any answer.
pub const WAIT: Duration = Duration::from_secs(10);

/// Starts `capstan-router` on a free port with `args` (`--redis URL`,
/// say); returns once it printed its first line.
pub fn router(args: &[&str]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_capstan-router"));
    command.args(["--port", "0"]).args(args);
    Process::start(&mut command, WAIT).unwrap_or_else(|e| panic!("capstan-router {args:?}: {e}"))
}

/// Runs `capstan-router` with `args`, expecting it to give up: its exit
/// code and what it printed on stderr. Panics if it still runs after
/// `bound` (it hangs).
pub fn refused_to_start(args: &[&str], bound: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capstan-router"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start capstan-router");
    let deadline = Instant::now() + bound;
    while child.try_wait().expect("wait for it").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("capstan-router {args:?} still runs after {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("its output");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// A WAMP client joined to a realm.
pub struct Peer {
    client: Client,
    serializer: Serializer,
    /// Its session ID.
    pub session: u64,
}

impl Peer {
    /// Connects to `router` with `serializer` and joins `realm` as
    /// publisher and subscriber.
    pub async fn join(router: &Process, serializer: Serializer, realm: &str) -> Peer {
        let protocol = serializer.subprotocol();
        let header = format!("Sec-WebSocket-Protocol: {protocol}\r\n");
        let client = Client::connect_with(router.address(), "/ws", &header).await;
        assert_eq!(client.response().header("sec-websocket-protocol"), Some(protocol));
        let mut peer = Peer { client, serializer, session: 0 };
        let roles = json!({"roles": {"publisher": {}, "subscriber": {}}});
        peer.send(json!([1, realm, roles])).await;
        let welcome = peer.receive().await;
        assert_eq!(welcome[0], 2, "WELCOME, not {welcome}");
        peer.session = welcome[1].as_u64().expect("a session ID");
        peer
    }

    /// Sends `message` in its serializer.
    pub async fn send(&mut self, message: Json) {
        let text = capstan::Message::text(message.to_string());
        let value = Serializer::Json.decode_value(&text).expect("a WAMP value");
        let frame = self.serializer.encode_value(&value).expect("encodable");
        let opcode = if self.serializer.is_binary() { OpCode::Binary } else { OpCode::Text };
        self.client.send_frame(opcode, true, frame.as_bytes()).await;
    }

    /// The next message, read in its serializer (panics past [`WAIT`]).
    pub async fn receive(&mut self) -> Json {
        let message = self.client.next_message().await;
        assert_eq!(message.is_text(), !self.serializer.is_binary(), "the serializer's frames");
        let value = self.serializer.decode_value(&message).expect("a WAMP message");
        let text = Serializer::Json.encode_value(&value).expect("as JSON");
        serde_json::from_str(text.as_text().expect("JSON is text")).expect("JSON")
    }

    /// The next message if one comes within `bound`.
    pub async fn receive_within(&mut self, bound: Duration) -> Option<Json> {
        tokio::time::timeout(bound, self.receive()).await.ok()
    }

    /// Subscribes to `topic`; its subscription ID.
    pub async fn subscribe(&mut self, request: u64, topic: &str) -> u64 {
        self.send(json!([32, request, {}, topic])).await;
        let subscribed = self.receive().await;
        assert_eq!((subscribed[0].clone(), subscribed[1].clone()), (json!(33), json!(request)));
        subscribed[2].as_u64().expect("a subscription ID")
    }

    /// Publishes `args` to `topic` asking for an acknowledgement; the
    /// router's answer (PUBLISHED or ERROR).
    pub async fn publish_acknowledged(&mut self, request: u64, topic: &str, args: Json) -> Json {
        self.send(json!([16, request, {"acknowledge": true}, topic, args])).await;
        self.receive().await
    }

    /// Waits, up to `bound`, for an EVENT of `subscription` with `args`,
    /// skipping other events; returns it.
    pub async fn event_with(
        &mut self,
        subscription: u64,
        args: &Json,
        bound: Duration,
    ) -> Option<Json> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = self.receive_within(left).await?;
            assert_eq!(message[0], 36, "only events come here, not {message}");
            if message[1] == subscription && &message[4] == args {
                return Some(message);
            }
        }
    }
}

/// A publication on either router reaches the other's subscriber (a json
/// client on `a`, a msgpack one on `b`), acknowledged with PUBLISHED, each
/// publisher excluded from its own (exclude_me by default).
pub async fn publications_cross_the_routers(a: &Process, b: &Process) {
    let mut on_a = Peer::join(a, Serializer::Json, "realm1").await;
    let mut on_b = Peer::join(b, Serializer::MsgPack, "realm1").await;
    let sub_a = on_a.subscribe(1, "com.news").await;
    let sub_b = on_b.subscribe(1, "com.news").await;

    let published = on_a.publish_acknowledged(2, "com.news", json!(["from a", 1])).await;
    assert_eq!((published[0].clone(), published[1].clone()), (json!(17), json!(2)), "{published}");
    let event = on_b.receive().await;
    assert_eq!(event, json!([36, sub_b, published[2], {}, ["from a", 1]]), "B's msgpack client");

    let published = on_b.publish_acknowledged(3, "com.news", json!(["from b"])).await;
    assert_eq!(published[0], 17, "{published}");
    // A's publisher was excluded from its own publication (exclude_me by
    // default): the next thing it hears is B's.
    let event = on_a.receive().await;
    assert_eq!(event, json!([36, sub_a, published[2], {}, ["from b"]]), "A's json client");
    assert_eq!(on_b.receive_within(Duration::from_millis(300)).await, None, "B excluded too");
}

/// Publishes from `on_a` (request IDs from `first_request` on) until one is
/// PUBLISHED and reaches `sub_b` on `on_b`, within [`WAIT`]: the broker is
/// back (`what` says which wait failed).
pub async fn publishing_comes_back(
    on_a: &mut Peer,
    on_b: &mut Peer,
    sub_b: u64,
    first_request: u64,
    what: &str,
) {
    let deadline = Instant::now() + WAIT;
    for request in first_request.. {
        assert!(Instant::now() < deadline, "{what}");
        let args = json!(["after", request]);
        let answer = on_a.publish_acknowledged(request, "com.news", args.clone()).await;
        if answer[0] == 17 && on_b.event_with(sub_b, &args, Duration::from_secs(1)).await.is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A router told to use a `scheme` broker (`redis`, `nats`) that nobody
/// serves exits 1 and says so.
pub fn an_unreachable_broker_stops_the_router(scheme: &str) {
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("{scheme}://{}", nobody.local_addr().unwrap());
    drop(nobody);
    let (code, stderr) = refused_to_start(&[&format!("--{scheme}"), &url], Duration::from_secs(5));
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&format!("cannot use {scheme} at {url}")), "{stderr}");
}
