//! Sessions driven by hand against one router: what each message gets,
//! and what reaches the other sessions.

use super::*;

fn id(n: u64) -> Id {
    Id::new(n).unwrap()
}

fn roles() -> Dict {
    let subscriber = Value::Dict(Dict::new());
    Dict::from([(
        "roles".to_owned(),
        Value::Dict(Dict::from([("subscriber".to_owned(), subscriber)])),
    )])
}

mod auth;
mod meta;
mod pubsub;
mod rpc;

/// HELLO.Details of a client announcing every feature the router serves,
/// in every role.
fn advanced() -> Dict {
    let features: Dict = [
        "call_canceling",
        "progressive_call_results",
        "call_timeout",
        "registration_revocation",
        "subscription_revocation",
    ]
    .into_iter()
    .map(|f| (f.to_owned(), Value::Bool(true)))
    .collect();
    let role = Value::Dict(Dict::from([("features".to_owned(), Value::Dict(features))]));
    let roles: Dict = ["caller", "callee", "publisher", "subscriber"]
        .into_iter()
        .map(|r| (r.to_owned(), role.clone()))
        .collect();
    Dict::from([("roles".to_owned(), Value::Dict(roles))])
}

/// What the server does with a session's outs: each publication crosses
/// the seam (as its record) and comes back routed; PUBLISHED follows if
/// asked.
fn through_seam(router: &Router, out: Vec<Out>) -> Vec<Out> {
    let mut done = Vec::new();
    for step in out {
        match step {
            Out::Publish(publication) => {
                let crossed = crate::router::Publication::from_value(publication.to_value());
                done.extend(router.route_publication(&crossed.unwrap()));
                if let Some((_, request)) = publication.acknowledge {
                    let publication = publication.id;
                    done.push(Out::Reply(Message::Published { request, publication }));
                }
            }
            other => done.push(other),
        }
    }
    done
}

/// A session joined to realm1, announcing `details`.
fn joined_with(router: &mut Router, details: Dict) -> (Session, Id) {
    let mut session = Session::new();
    let out = session.handle(router, Message::Hello { realm: "realm1".into(), details });
    let [Out::Reply(Message::Welcome { session: me, .. }), ..] = out.as_slice() else {
        panic!("{out:?}")
    };
    (session, *me)
}

/// A session joined to realm1.
fn joined(router: &mut Router) -> (Session, Id) {
    let mut session = Session::new();
    let out = session.handle(router, Message::Hello { realm: "realm1".into(), details: roles() });
    let [Out::Reply(Message::Welcome { session: me, details })] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert!(
        details.get("roles").and_then(Value::as_dict).is_some_and(|r| r.contains_key("broker"))
    );
    (session, *me)
}

fn aborted_with(out: &[Out], reason: &str) {
    assert!(
        matches!(out, [.., Out::Reply(Message::Abort { reason: r, .. }), Out::Close] if r == reason),
        "{out:?}"
    );
}

fn error_uri(out: &[Out]) -> &str {
    match out {
        [Out::Reply(Message::Error { error, .. })] => error,
        other => panic!("{other:?}"),
    }
}

#[test]
fn hello_to_an_unknown_realm_or_without_roles_is_aborted() {
    let mut router = Router::new(["realm1"]);
    let out = Session::new()
        .handle(&mut router, Message::Hello { realm: "nope".into(), details: roles() });
    aborted_with(&out, NO_SUCH_REALM);
    let out = Session::new()
        .handle(&mut router, Message::Hello { realm: "realm1".into(), details: Dict::new() });
    aborted_with(&out, PROTOCOL_VIOLATION);
    let out = Session::new()
        .handle(&mut router, Message::Hello { realm: "a b".into(), details: roles() });
    aborted_with(&out, INVALID_URI);
    assert_eq!(router.realm("realm1").unwrap().session_count(), 0);
}

#[test]
fn out_of_order_messages_are_protocol_violations_and_the_session_leaves() {
    let mut router = Router::new(["realm1"]);
    let before = Message::Subscribe { request: id(1), options: Dict::new(), topic: "t".into() };
    aborted_with(&Session::new().handle(&mut router, before), PROTOCOL_VIOLATION);

    let (mut session, _) = joined(&mut router);
    let again = Message::Hello { realm: "realm1".into(), details: roles() };
    aborted_with(&session.handle(&mut router, again), PROTOCOL_VIOLATION);
    assert_eq!(router.realm("realm1").unwrap().session_count(), 0, "it left");
    let after = Message::Subscribe { request: id(2), options: Dict::new(), topic: "t".into() };
    assert_eq!(session.handle(&mut router, after), vec![], "nothing is read after ABORT");

    let (mut session, _) = joined(&mut router);
    let routers_message = Message::Published { request: id(1), publication: id(2) };
    aborted_with(&session.handle(&mut router, routers_message), PROTOCOL_VIOLATION);
}

#[test]
fn events_reach_subscribers_but_the_publisher_unless_asked() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let (mut bob, b) = joined(&mut router);
    let subscribe = |request| Message::Subscribe {
        request: id(request),
        options: Dict::new(),
        topic: "com.t".into(),
    };
    let out = alice.handle(&mut router, subscribe(1));
    let [Out::Reply(Message::Subscribed { subscription, .. })] = out.as_slice() else { panic!() };
    let subscription = *subscription;
    assert!(matches!(bob.handle(&mut router, subscribe(1)).as_slice(),
        [Out::Reply(Message::Subscribed { subscription: s, .. })] if *s == subscription));

    let publish = |exclude_me: bool| Message::Publish {
        request: id(2),
        options: Dict::from([
            ("acknowledge".to_owned(), Value::Bool(true)),
            ("exclude_me".to_owned(), Value::Bool(exclude_me)),
        ]),
        topic: "com.t".into(),
        payload: Payload::args(vec![Value::Int(42)]),
    };
    let out = alice.handle(&mut router, publish(true));
    let out = through_seam(&router, out);
    let [Out::Fanout(to, Message::Event { payload, .. }), Out::Reply(Message::Published { .. })] =
        out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!((to.as_slice(), payload), (&[b][..], &Payload::args(vec![Value::Int(42)])));
    let out = alice.handle(&mut router, publish(false));
    let out = through_seam(&router, out);
    let [Out::Fanout(to, _), _] = out.as_slice() else { panic!("{out:?}") };
    let mut to = to.clone();
    to.sort();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(to, both);

    // Unsubscribed, bob hears nothing more; unsubscribing twice is an error.
    let unsubscribe = Message::Unsubscribe { request: id(3), subscription };
    assert!(matches!(
        bob.handle(&mut router, unsubscribe.clone()).as_slice(),
        [Out::Reply(Message::Unsubscribed { .. })]
    ));
    assert_eq!(error_uri(&bob.handle(&mut router, unsubscribe)), NO_SUCH_SUBSCRIPTION);
    let out = alice.handle(&mut router, publish(true));
    let out = through_seam(&router, out);
    assert!(matches!(out.as_slice(), [Out::Reply(Message::Published { .. })]), "{out:?}");
}

#[test]
fn a_call_goes_to_the_callee_and_its_answer_to_the_caller() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, c) = joined(&mut router);
    let (mut caller, a) = joined(&mut router);
    let register =
        Message::Register { request: id(1), options: Dict::new(), procedure: "com.add".into() };
    let out = callee.handle(&mut router, register.clone());
    let [Out::Reply(Message::Registered { registration, .. })] = out.as_slice() else { panic!() };
    let registration = *registration;
    assert_eq!(error_uri(&caller.handle(&mut router, register)), PROCEDURE_ALREADY_EXISTS);

    let call = |request| Message::Call {
        request: id(request),
        options: Dict::new(),
        procedure: "com.add".into(),
        payload: Payload::args(vec![Value::Int(2), Value::Int(3)]),
    };
    let out = caller.handle(&mut router, call(7));
    let [Out::To(to, Message::Invocation { request: invocation, registration: r, payload, .. })] =
        out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!((*to, *r, payload.args.as_ref().map(Vec::len)), (c, registration, Some(2)));
    let answer = Message::Yield {
        request: *invocation,
        options: Dict::new(),
        payload: Payload::args(vec![Value::Int(5)]),
    };
    let out = callee.handle(&mut router, answer.clone());
    assert_eq!(
        out,
        vec![Out::To(
            a,
            Message::Result {
                request: id(7),
                details: Dict::new(),
                payload: Payload::args(vec![Value::Int(5)])
            }
        )]
    );
    assert_eq!(callee.handle(&mut router, answer), vec![], "answered once");

    // An error from the callee reaches the caller as a CALL error.
    let out = caller.handle(&mut router, call(8));
    let [Out::To(_, Message::Invocation { request: invocation, .. })] = out.as_slice() else {
        panic!()
    };
    let failed = Message::Error {
        request_type: Code::Invocation.number(),
        request: *invocation,
        details: Dict::new(),
        error: "com.error.overflow".into(),
        payload: Payload::none(),
    };
    let out = callee.handle(&mut router, failed);
    assert!(
        matches!(out.as_slice(),
        [Out::To(to, Message::Error { request_type: 48, request, error, .. })]
            if *to == a && *request == id(8) && error == "com.error.overflow"),
        "{out:?}"
    );

    // The callee leaves with a call in flight: the caller gets canceled,
    // and the procedure is gone.
    caller.handle(&mut router, call(9));
    let out = callee.handle(
        &mut router,
        Message::Goodbye { details: Dict::new(), reason: "wamp.close.normal".into() },
    );
    assert!(
        matches!(out.as_slice(),
        [Out::To(to, Message::Error { request, error, .. }), Out::Reply(Message::Goodbye { reason, .. }), Out::Close]
            if *to == a && *request == id(9) && error == CANCELED && reason == GOODBYE_AND_OUT),
        "{out:?}"
    );
    assert_eq!(error_uri(&caller.handle(&mut router, call(10))), NO_SUCH_PROCEDURE);
}

#[test]
fn bad_uris_and_unsupported_options_get_errors_and_the_session_stays() {
    let mut router = Router::new(["realm1"]);
    let (mut session, _) = joined(&mut router);
    let bad = Message::Subscribe { request: id(1), options: Dict::new(), topic: "com..t".into() };
    assert_eq!(error_uri(&session.handle(&mut router, bad)), INVALID_URI);
    let regex = Message::Register {
        request: id(2),
        options: Dict::from([("match".to_owned(), Value::from("regex"))]),
        procedure: "com".into(),
    };
    assert_eq!(error_uri(&session.handle(&mut router, regex)), INVALID_ARGUMENT);
    let reserved =
        Message::Register { request: id(4), options: Dict::new(), procedure: "wamp.x".into() };
    assert_eq!(error_uri(&session.handle(&mut router, reserved)), INVALID_URI);
    let call = Message::Call {
        request: id(3),
        options: Dict::new(),
        procedure: "com.x y".into(),
        payload: Payload::none(),
    };
    assert_eq!(error_uri(&session.handle(&mut router, call)), INVALID_URI);
    assert_eq!(router.realm("realm1").unwrap().session_count(), 1);
}

#[test]
fn on_shutdown_every_session_is_told_goodbye_and_its_answer_closes_it() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let (mut bob, b) = joined(&mut router);
    let out = router.shut_down(SYSTEM_SHUTDOWN, "bye");
    let mut told: Vec<Id> = out
        .iter()
        .map(|step| match step {
            Out::To(to, Message::Goodbye { reason, .. }) if reason == SYSTEM_SHUTDOWN => *to,
            other => panic!("{other:?}"),
        })
        .collect();
    told.sort();
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(told, both);
    assert_eq!(router.realm("realm1").unwrap().session_count(), 0);

    // Alice still says something: ignored. Then she answers: closed, no echo.
    let late = Message::Subscribe { request: id(1), options: Dict::new(), topic: "t".into() };
    assert!(alice.handle(&mut router, late).is_empty());
    let answer = Message::Goodbye { details: Dict::new(), reason: GOODBYE_AND_OUT.into() };
    assert_eq!(alice.handle(&mut router, answer.clone()), vec![Out::Close]);
    assert_eq!(alice.id(), None);
    // Bob's connection just drops: nothing to tell anyone.
    assert!(bob.ended(&mut router).is_empty());
}
