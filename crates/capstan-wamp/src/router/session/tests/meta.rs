//! The meta API by hand: session look-ups and events, subscription and
//! registration look-ups, and revocation.

use super::*;

/// The single positional result of a meta call, or its error URI.
fn meta(
    session: &mut Session,
    router: &mut Router,
    procedure: &str,
    args: Vec<Value>,
) -> Result<Value, String> {
    let message = Message::Call {
        request: id(9),
        options: Dict::new(),
        procedure: procedure.into(),
        payload: Payload::args(args),
    };
    match session.handle(router, message).as_slice() {
        [Out::Reply(Message::Result { payload, .. }), ..] => {
            Ok(payload.args.as_ref().and_then(|a| a.first().cloned()).unwrap_or(Value::Null))
        }
        [Out::Reply(Message::Error { error, .. })] => Err(error.clone()),
        other => panic!("{other:?}"),
    }
}

fn subscribe(session: &mut Session, router: &mut Router, topic: &str, policy: &str) -> Id {
    let options = Dict::from([("match".to_owned(), Value::from(policy))]);
    match session
        .handle(router, Message::Subscribe { request: id(1), options, topic: topic.into() })
        .as_slice()
    {
        [Out::Reply(Message::Subscribed { subscription, .. }), ..] => *subscription,
        other => panic!("{other:?}"),
    }
}

#[test]
fn sessions_are_counted_listed_and_described() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let (_bob, b) = joined(&mut router);
    assert_eq!(meta(&mut alice, &mut router, "wamp.session.count", vec![]), Ok(Value::Int(2)));
    let mut both = vec![a, b];
    both.sort();
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.session.list", vec![]),
        Ok(Value::List(both.into_iter().map(Value::from).collect()))
    );
    let roles = |r: &str| vec![Value::List(vec![Value::from(r)])];
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.session.count", roles("admin")),
        Ok(Value::Int(0))
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.session.count", roles("anonymous")),
        Ok(Value::Int(2))
    );
    let got = meta(&mut alice, &mut router, "wamp.session.get", vec![Value::from(b)]).unwrap();
    let got = got.as_dict().unwrap();
    assert_eq!(
        (got["session"].clone(), got["authrole"].clone(), got["authmethod"].clone()),
        (Value::from(b), Value::from("anonymous"), Value::from("anonymous"))
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.session.get", vec![Value::Int(12345)]),
        Err(NO_SUCH_SESSION.to_owned())
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.session.get", vec![]),
        Err(INVALID_ARGUMENT.to_owned())
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.nothing", vec![]),
        Err(NO_SUCH_PROCEDURE.to_owned())
    );
}

#[test]
fn joining_and_leaving_are_announced() {
    let mut router = Router::new(["realm1"]);
    let (mut watcher, _) = joined(&mut router);
    let on_join = subscribe(&mut watcher, &mut router, "wamp.session.on_join", "exact");
    let on_leave = subscribe(&mut watcher, &mut router, "wamp.session.on_leave", "exact");
    let mut alice = Session::new();
    let out =
        alice.handle(&mut router, Message::Hello { realm: "realm1".into(), details: roles() });
    let [
        Out::Reply(Message::Welcome { session: a, .. }),
        Out::Fanout(_, Message::Event { subscription, payload, .. }),
    ] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(*subscription, on_join);
    assert_eq!(payload.args.as_ref().unwrap()[0].as_dict().unwrap()["session"], Value::from(*a));
    let a = *a;
    let out = alice.ended(&mut router);
    let [Out::Fanout(_, Message::Event { subscription, payload, .. })] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(*subscription, on_leave);
    assert_eq!(
        payload.args.clone().unwrap(),
        vec![Value::from(a), Value::from(a.to_string()), Value::from("anonymous")]
    );
}

#[test]
fn subscriptions_and_registrations_are_looked_up_matched_and_described() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let exact = subscribe(&mut alice, &mut router, "com.a.b", "exact");
    let prefix = subscribe(&mut alice, &mut router, "com.a", "prefix");
    let listed = meta(&mut alice, &mut router, "wamp.subscription.list", vec![]).unwrap();
    assert_eq!(listed.as_dict().unwrap()["prefix"], Value::List(vec![Value::from(prefix)]));
    let prefix_options = Value::Dict(Dict::from([("match".to_owned(), Value::from("prefix"))]));
    assert_eq!(
        meta(
            &mut alice,
            &mut router,
            "wamp.subscription.lookup",
            vec!["com.a".into(), prefix_options]
        ),
        Ok(Value::from(prefix))
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.subscription.lookup", vec!["com.a".into()]),
        Ok(Value::Null)
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.subscription.match", vec!["com.a.b".into()]),
        Ok(Value::List(vec![Value::from(exact), Value::from(prefix)]))
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.subscription.match", vec!["org".into()]),
        Ok(Value::Null)
    );
    assert_eq!(
        meta(
            &mut alice,
            &mut router,
            "wamp.subscription.list_subscribers",
            vec![Value::from(exact)]
        ),
        Ok(Value::List(vec![Value::from(a)]))
    );
    assert_eq!(
        meta(
            &mut alice,
            &mut router,
            "wamp.subscription.count_subscribers",
            vec![Value::from(exact)]
        ),
        Ok(Value::Int(1))
    );
    let got =
        meta(&mut alice, &mut router, "wamp.subscription.get", vec![Value::from(prefix)]).unwrap();
    assert_eq!(got.as_dict().unwrap()["match"], Value::from("prefix"));
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.subscription.get", vec![Value::Int(999)]),
        Err(NO_SUCH_SUBSCRIPTION.to_owned())
    );

    let register = Message::Register {
        request: id(3),
        options: Dict::from([("invoke".to_owned(), Value::from("roundrobin"))]),
        procedure: "com.add".into(),
    };
    let out = alice.handle(&mut router, register);
    let [Out::Reply(Message::Registered { registration, .. }), ..] = out.as_slice() else {
        panic!("{out:?}")
    };
    let registration = *registration;
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.registration.match", vec!["com.add".into()]),
        Ok(Value::from(registration))
    );
    assert_eq!(
        meta(&mut alice, &mut router, "wamp.registration.lookup", vec!["com.add".into()]),
        Ok(Value::from(registration))
    );
    assert_eq!(
        meta(
            &mut alice,
            &mut router,
            "wamp.registration.list_callees",
            vec![Value::from(registration)]
        ),
        Ok(Value::List(vec![Value::from(a)]))
    );
    assert_eq!(
        meta(
            &mut alice,
            &mut router,
            "wamp.registration.count_callees",
            vec![Value::from(registration)]
        ),
        Ok(Value::Int(1))
    );
    let got =
        meta(&mut alice, &mut router, "wamp.registration.get", vec![Value::from(registration)])
            .unwrap();
    assert_eq!(got.as_dict().unwrap()["invoke"], Value::from("roundrobin"));
}

#[test]
fn revocation_tells_clients_that_take_it_and_takes_the_session_out() {
    let mut router = Router::new(["realm1"]);
    let (mut admin, _) = joined(&mut router);
    let (mut alice, a) = joined_with(&mut router, advanced());
    let (mut bob, b) = joined(&mut router);
    let subscription = subscribe(&mut alice, &mut router, "com.t", "exact");
    subscribe(&mut bob, &mut router, "com.t", "exact");

    let revoke = |who: Id| Message::Call {
        request: id(4),
        options: Dict::new(),
        procedure: "wamp.subscription.remove_subscriber".into(),
        payload: Payload::args(vec![
            Value::from(subscription),
            Value::from(who),
            Value::from("no longer welcome"),
        ]),
    };
    let out = admin.handle(&mut router, revoke(a));
    let [
        Out::Reply(Message::Result { .. }),
        Out::To(to, Message::Unsubscribed { request: None, details: Some(details) }),
    ] = out.as_slice()
    else {
        panic!("{out:?}")
    };
    assert_eq!(
        (*to, details["subscription"].clone(), details["reason"].clone()),
        (a, Value::from(subscription), Value::from("no longer welcome"))
    );
    // Bob's client did not announce revocation: he is taken out silently.
    let out = admin.handle(&mut router, revoke(b));
    assert!(matches!(out.as_slice(), [Out::Reply(Message::Result { .. })]), "{out:?}");
    assert_eq!(
        meta(&mut admin, &mut router, "wamp.subscription.get", vec![Value::from(subscription)]),
        Err(NO_SUCH_SUBSCRIPTION.to_owned())
    );
    let out = admin.handle(&mut router, revoke(b));
    assert_eq!(error_uri(&out), NO_SUCH_SUBSCRIPTION);

    let register =
        Message::Register { request: id(3), options: Dict::new(), procedure: "com.add".into() };
    let out = alice.handle(&mut router, register);
    let [Out::Reply(Message::Registered { registration, .. }), ..] = out.as_slice() else {
        panic!("{out:?}")
    };
    let registration = *registration;
    let remove = Message::Call {
        request: id(5),
        options: Dict::new(),
        procedure: "wamp.registration.remove_callee".into(),
        payload: Payload::args(vec![Value::from(registration), Value::from(a)]),
    };
    let out = admin.handle(&mut router, remove);
    assert!(
        matches!(out.as_slice(), [Out::Reply(Message::Result { .. }), Out::To(to, Message::Unregistered { request: None, .. })] if *to == a),
        "{out:?}"
    );
    assert_eq!(
        meta(&mut admin, &mut router, "wamp.registration.match", vec!["com.add".into()]),
        Ok(Value::Null)
    );
}
