//! Advanced RPC by hand: shared and pattern registrations, caller
//! identification, progressive results, canceling and timeouts.

use super::*;

fn register(
    session: &mut Session,
    router: &mut Router,
    procedure: &str,
    options: &[(&str, &str)],
) -> Vec<Out> {
    let options = options.iter().map(|(k, v)| ((*k).to_owned(), Value::from(*v))).collect();
    session
        .handle(router, Message::Register { request: id(1), options, procedure: procedure.into() })
}

fn registered(out: Vec<Out>) -> Id {
    match out.as_slice() {
        [Out::Reply(Message::Registered { registration, .. }), ..] => *registration,
        other => panic!("{other:?}"),
    }
}

fn call(
    session: &mut Session,
    router: &mut Router,
    request: u64,
    procedure: &str,
    options: Dict,
) -> Vec<Out> {
    let message = Message::Call {
        request: id(request),
        options,
        procedure: procedure.into(),
        payload: Payload::none(),
    };
    session.handle(router, message)
}

/// The INVOCATION sent: (callee, INVOCATION.Request, details).
fn invocation(out: &[Out]) -> (Id, Id, Dict) {
    match out {
        [Out::To(callee, Message::Invocation { request, details, .. }), ..] => {
            (*callee, *request, details.clone())
        }
        other => panic!("{other:?}"),
    }
}

fn flag(name: &str) -> Dict {
    Dict::from([(name.to_owned(), Value::Bool(true))])
}

#[test]
fn a_shared_registration_takes_turns_and_refuses_other_policies() {
    let mut router = Router::new(["realm1"]);
    let mut callees: Vec<(Session, Id)> = (0..3).map(|_| joined(&mut router)).collect();
    let (mut caller, _) = joined(&mut router);
    let mut registration = None;
    for (session, _) in &mut callees {
        let made =
            registered(register(session, &mut router, "com.work", &[("invoke", "roundrobin")]));
        assert_eq!(*registration.get_or_insert(made), made, "one registration, shared");
    }
    let turns: Vec<Id> = (1..=6)
        .map(|n| invocation(&call(&mut caller, &mut router, n, "com.work", Dict::new())).0)
        .collect();
    let ids: Vec<Id> = callees.iter().map(|(_, id)| *id).collect();
    assert_eq!(turns, [ids.clone(), ids].concat());

    let (mut late, _) = joined(&mut router);
    assert_eq!(
        error_uri(&register(&mut late, &mut router, "com.work", &[("invoke", "last")])),
        PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY
    );
    assert_eq!(
        error_uri(&register(&mut late, &mut router, "com.work", &[])),
        PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY
    );
    assert_eq!(
        error_uri(&register(&mut late, &mut router, "com.work", &[("invoke", "sometimes")])),
        INVALID_ARGUMENT
    );
}

#[test]
fn a_pattern_registration_is_told_the_procedure_and_a_disclosed_caller_is_named() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, _) = joined(&mut router);
    let (mut caller, me) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.app.", &[("match", "prefix")]));
    let (_, _, details) =
        invocation(&call(&mut caller, &mut router, 1, "com.app.add", flag("disclose_me")));
    assert_eq!(details.get("procedure"), Some(&Value::from("com.app.add")));
    assert_eq!(details.get("caller"), Some(&Value::from(me)));
    assert_eq!(details.get("caller_authid"), Some(&Value::from(me.to_string())));
    let (_, _, details) =
        invocation(&call(&mut caller, &mut router, 2, "com.app.add", Dict::new()));
    assert!(!details.contains_key("caller"), "not disclosed unless asked");
}

#[test]
fn progressive_results_reach_a_caller_that_asked_for_them_then_the_final_one() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, _) = joined_with(&mut router, advanced());
    let (mut caller, me) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.count", &[]));
    let (_, invocation_id, details) =
        invocation(&call(&mut caller, &mut router, 7, "com.count", flag("receive_progress")));
    assert_eq!(details.get("receive_progress"), Some(&Value::Bool(true)));
    let step = |n: i64, progress: bool| Message::Yield {
        request: invocation_id,
        options: if progress { flag("progress") } else { Dict::new() },
        payload: Payload::args(vec![Value::Int(n)]),
    };
    let out = callee.handle(&mut router, step(1, true));
    assert_eq!(
        out,
        vec![Out::To(
            me,
            Message::Result {
                request: id(7),
                details: flag("progress"),
                payload: Payload::args(vec![Value::Int(1)])
            }
        )]
    );
    let out = callee.handle(&mut router, step(2, false));
    assert_eq!(
        out,
        vec![Out::To(
            me,
            Message::Result {
                request: id(7),
                details: Dict::new(),
                payload: Payload::args(vec![Value::Int(2)])
            }
        )]
    );
    assert!(callee.handle(&mut router, step(3, false)).is_empty(), "the call is over");

    // A caller that did not ask hears only the final result.
    let (_, invocation_id, _) =
        invocation(&call(&mut caller, &mut router, 8, "com.count", Dict::new()));
    let progressive = Message::Yield {
        request: invocation_id,
        options: flag("progress"),
        payload: Payload::none(),
    };
    assert!(callee.handle(&mut router, progressive).is_empty());
}

#[test]
fn cancel_modes_end_the_call_as_the_spec_says() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, c) = joined_with(&mut router, advanced());
    let (mut caller, me) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.slow", &[]));
    let cancel = |request: u64, mode: &str| Message::Cancel {
        request: id(request),
        options: Dict::from([("mode".to_owned(), Value::from(mode))]),
    };
    let canceled = |out: &Out, request: u64| matches!(out, Out::Reply(Message::Error { error, request: r, .. }) if error == CANCELED && *r == id(request));

    // skip: the caller hears now, the callee never; its answer is dropped.
    let (_, skipped, _) = invocation(&call(&mut caller, &mut router, 1, "com.slow", Dict::new()));
    let out = caller.handle(&mut router, cancel(1, "skip"));
    assert!(matches!(out.as_slice(), [only] if canceled(only, 1)), "{out:?}");
    assert!(
        callee
            .handle(
                &mut router,
                Message::Yield { request: skipped, options: Dict::new(), payload: Payload::none() }
            )
            .is_empty()
    );

    // killnowait: INTERRUPT to the callee and the caller hears now.
    let (_, killed, _) = invocation(&call(&mut caller, &mut router, 2, "com.slow", Dict::new()));
    let out = caller.handle(&mut router, cancel(2, "killnowait"));
    assert!(
        matches!(out.as_slice(), [Out::To(to, Message::Interrupt { request, .. }), last] if *to == c && *request == killed && canceled(last, 2)),
        "{out:?}"
    );

    // kill: INTERRUPT, and the callee's answer ends the call.
    let (_, kill, _) = invocation(&call(&mut caller, &mut router, 3, "com.slow", Dict::new()));
    let out = caller.handle(&mut router, cancel(3, "kill"));
    assert!(
        matches!(out.as_slice(), [Out::To(to, Message::Interrupt { .. })] if *to == c),
        "{out:?}"
    );
    assert!(caller.handle(&mut router, cancel(3, "kill")).is_empty(), "once");
    let answer = Message::Error {
        request_type: Code::Invocation.number(),
        request: kill,
        details: Dict::new(),
        error: CANCELED.into(),
        payload: Payload::none(),
    };
    let out = callee.handle(&mut router, answer);
    assert!(
        matches!(out.as_slice(), [Out::To(to, Message::Error { error, request, .. })] if *to == me && error == CANCELED && *request == id(3)),
        "{out:?}"
    );
    assert_eq!(router.realm("realm1").unwrap().calls_in_flight(), 0);
}

#[test]
fn a_callee_that_cannot_be_interrupted_is_canceled_by_skipping() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, _) = joined(&mut router);
    let (mut caller, _) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.slow", &[]));
    invocation(&call(&mut caller, &mut router, 1, "com.slow", Dict::new()));
    let out = caller.handle(
        &mut router,
        Message::Cancel {
            request: id(1),
            options: Dict::from([("mode".to_owned(), Value::from("kill"))]),
        },
    );
    assert!(
        matches!(out.as_slice(), [Out::Reply(Message::Error { error, .. })] if error == CANCELED),
        "{out:?}"
    );
}

#[test]
fn a_timeout_ends_the_call_unless_a_result_came_first_and_progress_rearms_it() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, c) = joined_with(&mut router, advanced());
    let (mut caller, me) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.slow", &[]));
    let timeout = Dict::from([
        ("timeout".to_owned(), Value::Int(50)),
        ("receive_progress".to_owned(), true.into()),
    ]);
    let out = call(&mut caller, &mut router, 1, "com.slow", timeout.clone());
    let (_, invocation_id, _) = invocation(&out);
    assert!(
        matches!(out.as_slice(), [_, Out::Timer { invocation, timer: 0, after_ms: 50, .. }] if *invocation == invocation_id),
        "{out:?}"
    );

    // A progressive result re-arms it: the first timer is stale.
    let progress = Message::Yield {
        request: invocation_id,
        options: flag("progress"),
        payload: Payload::none(),
    };
    let out = callee.handle(&mut router, progress);
    assert!(matches!(out.as_slice(), [_, Out::Timer { timer: 1, .. }]), "{out:?}");
    assert!(router.timer_fired("realm1", invocation_id, 0).is_empty());
    let out = router.timer_fired("realm1", invocation_id, 1);
    assert!(
        matches!(out.as_slice(), [Out::To(to, Message::Error { error, .. }), Out::To(callee_id, Message::Interrupt { .. })] if *to == me && error == TIMEOUT && *callee_id == c),
        "{out:?}"
    );
    assert!(router.timer_fired("realm1", invocation_id, 1).is_empty(), "once");

    // Answered in time: the timer finds nothing.
    let (_, answered, _) = invocation(&call(&mut caller, &mut router, 2, "com.slow", timeout));
    callee.handle(
        &mut router,
        Message::Yield { request: answered, options: Dict::new(), payload: Payload::none() },
    );
    assert!(router.timer_fired("realm1", answered, 0).is_empty());
}

#[test]
fn a_caller_that_leaves_has_its_calls_interrupted() {
    let mut router = Router::new(["realm1"]);
    let (mut callee, c) = joined_with(&mut router, advanced());
    let (mut caller, _) = joined(&mut router);
    registered(register(&mut callee, &mut router, "com.slow", &[]));
    let (_, invocation_id, _) =
        invocation(&call(&mut caller, &mut router, 1, "com.slow", Dict::new()));
    let out = caller.ended(&mut router);
    assert!(
        matches!(out.as_slice(), [Out::To(to, Message::Interrupt { request, options })] if *to == c && *request == invocation_id && options["mode"] == Value::from("killnowait")),
        "{out:?}"
    );
}
