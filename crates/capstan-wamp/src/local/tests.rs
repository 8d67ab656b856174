//! Local sessions against a real router: calls, events, errors,
//! interruption and leaving, without a socket.

use std::sync::Mutex as StdMutex;
use std::time::Duration;

use super::*;
use crate::router::Router;

fn server() -> WampServer {
    WampServer::new(Router::new(["realm1"]))
}

fn args(values: Vec<Value>) -> Payload {
    Payload::args(values)
}

#[tokio::test]
async fn a_rust_procedure_is_called_by_another_session_and_errors_come_back_typed() {
    let wamp = server();
    let callee = LocalSession::join(&wamp, "realm1").unwrap();
    let caller = LocalSession::join(&wamp, "realm1").unwrap();
    callee
        .register("com.add", Dict::new(), |call| async move {
            let args = call.payload.args.unwrap_or_default();
            match (args.first().and_then(Value::as_i64), args.get(1).and_then(Value::as_i64)) {
                (Some(a), Some(b)) => Ok(args_of(a + b)),
                _ => Err(WampError::new("com.error.bad_args", "two integers, please")),
            }
        })
        .await
        .unwrap();
    let sum = caller.call("com.add", Dict::new(), args(vec![Value::Int(2), Value::Int(3)])).await;
    assert_eq!(sum, Ok(args_of(5)));
    let refused = caller.call("com.add", Dict::new(), args(vec![Value::from("x")])).await;
    assert_eq!(refused.unwrap_err().uri, "com.error.bad_args");
    let missing = caller.call("com.nothing", Dict::new(), Payload::none()).await;
    assert_eq!(missing.unwrap_err().uri, "wamp.error.no_such_procedure");
    assert_eq!(wamp.session_count("realm1"), 2);
}

/// Waits (up to 10 s) for `condition`, which other tasks make true.
async fn eventually(condition: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the condition never held");
}

fn args_of(n: i64) -> Payload {
    Payload::args(vec![Value::Int(n)])
}

#[tokio::test]
async fn a_rust_subscriber_hears_publications_and_stops_when_it_leaves() {
    let wamp = server();
    let subscriber = LocalSession::join(&wamp, "realm1").unwrap();
    let publisher = LocalSession::join(&wamp, "realm1").unwrap();
    let (heard, mut hearing) = mpsc::unbounded_channel();
    subscriber
        .subscribe("com.news", Dict::new(), move |event| drop(heard.send(event.payload)))
        .await
        .unwrap();
    let ack = Dict::from([("acknowledge".to_owned(), Value::Bool(true))]);
    publisher.publish("com.news", ack.clone(), args(vec![Value::from("first")])).await.unwrap();
    assert_eq!(hearing.recv().await, Some(args(vec![Value::from("first")])));

    let reserved = publisher.publish("wamp.session.on_join", ack.clone(), Payload::none()).await;
    assert_eq!(reserved.unwrap_err().uri, "wamp.error.invalid_uri");

    subscriber.leave();
    assert_eq!(subscriber.id(), None);
    assert_eq!(wamp.session_count("realm1"), 1);
    publisher.publish("com.news", ack, args(vec![Value::from("second")])).await.unwrap();
    let call = subscriber.call("com.x", Dict::new(), Payload::none()).await;
    assert_eq!(call.unwrap_err().uri, "wamp.error.canceled", "a session that left asks nothing");
    assert!(hearing.try_recv().is_err(), "nothing after leaving");
}

#[tokio::test]
async fn a_canceled_call_interrupts_the_rust_procedure() {
    let wamp = server();
    let callee = LocalSession::join(&wamp, "realm1").unwrap();
    let caller = LocalSession::join(&wamp, "realm1").unwrap();
    let (started, mut running) = mpsc::unbounded_channel();
    let finished = Arc::new(StdMutex::new(false));
    let finished_in = finished.clone();
    callee
        .register("com.slow", Dict::new(), move |_| {
            let (started, finished) = (started.clone(), finished_in.clone());
            async move {
                let _ = started.send(());
                tokio::time::sleep(Duration::from_secs(3600)).await;
                *finished.lock().unwrap() = true;
                Ok(Payload::none())
            }
        })
        .await
        .unwrap();
    // The router's timeout cancels it: the caller hears wamp.error.timeout
    // and the procedure is interrupted (its task aborted).
    let timeout = Dict::from([("timeout".to_owned(), Value::Int(1))]);
    let call = tokio::spawn({
        let caller = caller.clone();
        async move { caller.call("com.slow", timeout, Payload::none()).await }
    });
    running.recv().await.unwrap();
    assert_eq!(call.await.unwrap().unwrap_err().uri, "wamp.error.timeout");
    // The INTERRUPT reaches the callee's dispatcher after the caller's error.
    eventually(|| callee.0.lock().running.is_empty()).await;
    assert!(!*finished.lock().unwrap());
}

#[tokio::test]
async fn joining_an_unknown_realm_is_refused_with_the_routers_reason() {
    let wamp = server();
    let refused = LocalSession::join(&wamp, "nowhere").err().unwrap();
    assert_eq!(refused.uri, "wamp.error.no_such_realm");
}
