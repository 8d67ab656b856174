//! Authentication and authorization in the session, by hand, on the realms
//! of the test config (`tests/clients/router-auth.json`, the principals the
//! client suites use).

use super::*;
use crate::config::RouterConfig;

fn router() -> Router {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/router-auth.json");
    Router::from_configs(RouterConfig::from_file(path).unwrap().realms)
}

fn hello(authid: &str, methods: &[&str]) -> Message {
    let mut details = roles();
    details.insert("authid".to_owned(), Value::from(authid));
    let methods = methods.iter().map(|m| Value::from(*m)).collect();
    details.insert("authmethods".to_owned(), Value::List(methods));
    Message::Hello { realm: "authrealm".into(), details }
}

/// A session of `authid` by ticket, joined.
fn with_ticket(router: &mut Router, authid: &str, ticket: &str) -> (Session, Vec<Out>) {
    let mut session = Session::new();
    let out = session.handle(router, hello(authid, &["ticket"]));
    assert!(
        matches!(out.as_slice(), [Out::Reply(Message::Challenge { auth_method, .. })] if auth_method == "ticket"),
        "{out:?}"
    );
    let answer = Message::Authenticate { signature: ticket.into(), extra: Dict::new() };
    let out = session.handle(router, answer);
    (session, out)
}

fn subscribe(session: &mut Session, router: &mut Router, topic: &str) -> Vec<Out> {
    session.handle(
        router,
        Message::Subscribe { request: id(1), options: Dict::new(), topic: topic.into() },
    )
}

#[test]
fn a_ticket_opens_the_realm_as_its_principal_and_a_wrong_one_is_aborted() {
    let mut router = router();
    let (_alice, out) = with_ticket(&mut router, "alice", "secret-ticket");
    let [Out::Reply(Message::Welcome { details, .. })] = out.as_slice() else { panic!("{out:?}") };
    assert_eq!(details["authid"], Value::from("alice"));
    assert_eq!(details["authrole"], Value::from("user"));
    assert_eq!(details["authmethod"], Value::from("ticket"));

    let (mut mallory, out) = with_ticket(&mut router, "alice", "guess");
    assert!(matches!(out.as_slice(), [Out::Reply(Message::Abort { .. }), Out::Close]), "{out:?}");
    assert_eq!(mallory.id(), None);
    assert!(subscribe(&mut mallory, &mut router, "com.example.x").is_empty(), "over");
    assert_eq!(router.realm("authrealm").unwrap().session_count(), 1);
}

#[test]
fn anonymous_clients_and_unserved_methods_are_refused_where_not_allowed() {
    let mut router = router();
    let anonymous = Message::Hello { realm: "authrealm".into(), details: roles() };
    let out = Session::new().handle(&mut router, anonymous);
    assert!(
        matches!(out.as_slice(), [Out::Reply(Message::Abort { reason, .. }), Out::Close] if reason == crate::auth::NO_AUTH_METHOD),
        "{out:?}"
    );
    let out = Session::new().handle(&mut router, hello("alice", &["scram"]));
    assert!(matches!(out.as_slice(), [Out::Reply(Message::Abort { .. }), Out::Close]), "{out:?}");
}

#[test]
fn while_authenticating_only_authenticate_is_read() {
    let mut router = router();
    let mut session = Session::new();
    session.handle(&mut router, hello("alice", &["ticket"]));
    aborted_with(&subscribe(&mut session, &mut router, "com.example.x"), PROTOCOL_VIOLATION);
    let early = Message::Authenticate { signature: "x".into(), extra: Dict::new() };
    aborted_with(&Session::new().handle(&mut router, early), PROTOCOL_VIOLATION);
}

#[test]
fn a_role_may_do_what_its_rules_allow_and_nothing_else() {
    let mut router = router();
    let (mut alice, _) = with_ticket(&mut router, "alice", "secret-ticket");
    assert!(matches!(
        subscribe(&mut alice, &mut router, "com.example.x").as_slice(),
        [Out::Reply(Message::Subscribed { .. }), ..]
    ));
    assert_eq!(
        error_uri(&subscribe(&mut alice, &mut router, "org.example.x")),
        crate::auth::NOT_AUTHORIZED
    );
    let call = Message::Call {
        request: id(2),
        options: Dict::new(),
        procedure: "wamp.session.count".into(),
        payload: Payload::none(),
    };
    assert_eq!(
        error_uri(&alice.handle(&mut router, call)),
        crate::auth::NOT_AUTHORIZED,
        "the meta API too"
    );

    let (mut eve, _) = with_ticket(&mut router, "eve", "eve-ticket");
    assert!(matches!(
        subscribe(&mut eve, &mut router, "com.example.news").as_slice(),
        [Out::Reply(Message::Subscribed { .. }), ..]
    ));
    let publish = Message::Publish {
        request: id(3),
        options: Dict::from([("acknowledge".to_owned(), Value::Bool(true))]),
        topic: "com.example.news".into(),
        payload: Payload::none(),
    };
    assert_eq!(error_uri(&eve.handle(&mut router, publish)), crate::auth::NOT_AUTHORIZED);
    let register = Message::Register {
        request: id(4),
        options: Dict::new(),
        procedure: "com.example.news".into(),
    };
    assert_eq!(error_uri(&eve.handle(&mut router, register)), crate::auth::NOT_AUTHORIZED);
}
