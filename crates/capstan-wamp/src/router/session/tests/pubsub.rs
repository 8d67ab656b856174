//! Advanced pub/sub by hand: patterns, black/white lists, disclosure, and
//! the subscription meta events.

use super::*;

fn subscribe(session: &mut Session, router: &mut Router, topic: &str, policy: &str) -> Id {
    let options = Dict::from([("match".to_owned(), Value::from(policy))]);
    let message = Message::Subscribe { request: id(1), options, topic: topic.into() };
    match session.handle(router, message).as_slice() {
        [Out::Reply(Message::Subscribed { subscription, .. }), ..] => *subscription,
        other => panic!("{other:?}"),
    }
}

fn publish(session: &mut Session, router: &mut Router, topic: &str, options: Dict) -> Vec<Out> {
    let payload = Payload::args(vec![Value::from("hi")]);
    let message = Message::Publish { request: id(2), options, topic: topic.into(), payload };
    let out = session.handle(router, message);
    through_seam(router, out)
}

/// (subscription, recipients, details) of each EVENT fan-out.
fn events(out: &[Out]) -> Vec<(Id, Vec<Id>, Dict)> {
    out.iter()
        .filter_map(|step| match step {
            Out::Fanout(to, Message::Event { subscription, details, .. }) => {
                Some((*subscription, to.clone(), details.clone()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_publication_reaches_each_matching_subscription_once_with_the_topic_for_patterns() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let (mut bob, _) = joined(&mut router);
    let exact = subscribe(&mut alice, &mut router, "com.app.user.login", "exact");
    let prefix = subscribe(&mut alice, &mut router, "com.app", "prefix");
    let wildcard = subscribe(&mut alice, &mut router, "com..user.login", "wildcard");
    subscribe(&mut alice, &mut router, "com..login", "wildcard");

    let out = publish(&mut bob, &mut router, "com.app.user.login", Dict::new());
    let topic = Dict::from([("topic".to_owned(), Value::from("com.app.user.login"))]);
    assert_eq!(
        events(&out),
        vec![
            (exact, vec![a], Dict::new()),
            (prefix, vec![a], topic.clone()),
            (wildcard, vec![a], topic)
        ]
    );
    assert!(events(&publish(&mut bob, &mut router, "org.app", Dict::new())).is_empty());
}

#[test]
fn black_and_white_lists_and_disclosure_shape_who_hears_and_what() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, a) = joined(&mut router);
    let (mut bob, b) = joined(&mut router);
    let (mut carol, c) = joined(&mut router);
    for session in [&mut alice, &mut bob, &mut carol] {
        subscribe(session, &mut router, "com.news", "exact");
    }
    let ids = |list: &[Id]| Value::List(list.iter().map(|i| Value::from(*i)).collect());
    let recipients = |out: Vec<Out>| -> Vec<Id> {
        let mut to: Vec<Id> = events(&out).into_iter().flat_map(|(_, to, _)| to).collect();
        to.sort();
        to
    };
    let sorted = |mut list: Vec<Id>| {
        list.sort();
        list
    };
    let options = Dict::from([("exclude".to_owned(), ids(&[b]))]);
    assert_eq!(recipients(publish(&mut alice, &mut router, "com.news", options)), vec![c]);
    let options = Dict::from([
        ("eligible".to_owned(), ids(&[a, b])),
        ("exclude_me".to_owned(), false.into()),
    ]);
    assert_eq!(
        recipients(publish(&mut alice, &mut router, "com.news", options)),
        sorted(vec![a, b])
    );
    let authid = Value::List(vec![Value::from(c.to_string())]);
    let options = Dict::from([("eligible_authid".to_owned(), authid)]);
    assert_eq!(recipients(publish(&mut alice, &mut router, "com.news", options)), vec![c]);
    let anonymous = Value::List(vec![Value::from("anonymous")]);
    let options = Dict::from([("exclude_authrole".to_owned(), anonymous)]);
    assert!(recipients(publish(&mut alice, &mut router, "com.news", options)).is_empty());

    let disclosed = publish(
        &mut alice,
        &mut router,
        "com.news",
        Dict::from([("disclose_me".to_owned(), true.into())]),
    );
    let [(_, _, details)] = events(&disclosed).try_into().unwrap();
    assert_eq!(details.get("publisher"), Some(&Value::from(a)));
    assert_eq!(details.get("publisher_authrole"), Some(&Value::from("anonymous")));
    let hidden = events(&publish(&mut alice, &mut router, "com.news", Dict::new()));
    assert!(hidden[0].2.is_empty(), "no publisher unless disclosed");
}

#[test]
fn bad_publish_options_and_reserved_topics_are_refused_when_acknowledged() {
    let mut router = Router::new(["realm1"]);
    let (mut alice, _) = joined(&mut router);
    let ack = |mut options: Dict| {
        options.insert("acknowledge".to_owned(), true.into());
        options
    };
    let bad = ack(Dict::from([("exclude".to_owned(), Value::from("everyone"))]));
    assert_eq!(error_uri(&publish(&mut alice, &mut router, "com.t", bad)), INVALID_ARGUMENT);
    assert_eq!(
        error_uri(&publish(&mut alice, &mut router, "wamp.session.on_join", ack(Dict::new()))),
        INVALID_URI
    );
    // Unacknowledged, the same are dropped without a word.
    let bad = Dict::from([("exclude".to_owned(), Value::from("everyone"))]);
    assert!(publish(&mut alice, &mut router, "com.t", bad).is_empty());
}

#[test]
fn subscription_meta_events_follow_a_subscription_from_creation_to_deletion() {
    let mut router = Router::new(["realm1"]);
    let (mut watcher, _) = joined(&mut router);
    let (mut alice, a) = joined(&mut router);
    let topics = [
        "wamp.subscription.on_create",
        "wamp.subscription.on_subscribe",
        "wamp.subscription.on_unsubscribe",
        "wamp.subscription.on_delete",
    ];
    let meta: Vec<Id> =
        topics.iter().map(|t| subscribe(&mut watcher, &mut router, t, "exact")).collect();

    let out = alice.handle(
        &mut router,
        Message::Subscribe { request: id(5), options: Dict::new(), topic: "com.t".into() },
    );
    let [Out::Reply(Message::Subscribed { subscription, .. }), created, subscribed] =
        out.as_slice()
    else {
        panic!("{out:?}")
    };
    let Out::Fanout(_, Message::Event { subscription: on_create, payload, .. }) = created else {
        panic!()
    };
    assert_eq!(*on_create, meta[0]);
    let args = payload.args.as_ref().unwrap();
    assert_eq!(args[0], Value::from(a));
    assert_eq!(args[1].as_dict().unwrap()["uri"], Value::from("com.t"));
    let Out::Fanout(_, Message::Event { subscription: on_subscribe, payload, .. }) = subscribed
    else {
        panic!()
    };
    assert_eq!(
        (*on_subscribe, payload.args.clone().unwrap()),
        (meta[1], vec![Value::from(a), Value::from(*subscription)])
    );

    // It leaves: unsubscribed, then deleted (its last subscriber).
    let out = alice.ended(&mut router);
    let heard: Vec<Id> = events(&out).into_iter().map(|(s, _, _)| s).collect();
    assert_eq!(heard, vec![meta[2], meta[3]]);
}
