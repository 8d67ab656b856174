//! A session driven by hand: messages in, instants given, what it says
//! checked. No socket, no waiting.

use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::overflow::Overflow;
use crate::resume::control::Welcome;

const SECOND: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn config() -> SessionConfig {
    SessionConfig {
        grace: 30 * SECOND,
        heartbeat: 15 * SECOND,
        max_retained_bytes: 1 << 20,
        on_overflow: Overflow::Close,
        ack_every: 3,
        ack_delay: 1000 * MS,
    }
}

fn sid() -> SessionId {
    SessionId::from_bytes([7; 16])
}

fn alice() -> Identity {
    Identity::new("alice")
}

fn session(config: SessionConfig, t0: Instant) -> SessionState {
    SessionState::new(sid(), alice(), std::sync::Arc::new(config), t0)
}

fn data(text: &str) -> Message {
    Message::text(format!("m{text}"))
}

fn control(json: &str) -> Message {
    Message::text(format!("c{json}"))
}

fn text(message: &Message) -> &str {
    message.as_text().unwrap()
}

/// The session with `n` messages "1".."n" sent.
fn sent(state: &mut SessionState, now: Instant, n: u64) {
    for i in 1..=n {
        state.send(now, &Message::text(i.to_string())).unwrap();
    }
}

fn resent(resumed: Resumed<'_>) -> Vec<String> {
    resumed.resend.map(|m| text(&m).to_owned()).collect()
}

fn code(result: Result<impl std::fmt::Debug, SessionError>) -> (ErrorCode, bool) {
    let error = result.expect_err("an error");
    (error.code, error.ends_session)
}

#[test]
fn a_hello_opens_and_its_welcome_says_the_settings() {
    assert_eq!(opening(control(r#"{"hello":{"v":1}}"#)), Ok(Opening::New));
    let mut state = session(config(), Instant::now());
    let welcome = ServerControl::Welcome(Welcome {
        sid: sid(),
        rx: 0,
        resumed: false,
        heartbeat_ms: 15_000,
        grace_ms: 30_000,
    });
    assert_eq!(state.welcome(false), welcome);
    assert!(state.is_attached());
}

#[test]
fn a_resume_opens_with_its_sid_and_rx() {
    let message = ClientControl::Resume { sid: sid(), rx: 4 }.to_message();
    assert_eq!(opening(message), Ok(Opening::Resume { sid: sid(), rx: 4 }));
}

#[test]
fn anything_else_first_is_refused() {
    let violation = |message| opening(message).unwrap_err().code;
    assert_eq!(violation(data("hi")), ErrorCode::ProtocolViolation);
    assert_eq!(violation(control(r#"{"ack":0}"#)), ErrorCode::ProtocolViolation);
    assert_eq!(violation(Message::text("hello")), ErrorCode::ProtocolViolation);
    assert_eq!(violation(control("{")), ErrorCode::ProtocolViolation);
    let old = opening(control(r#"{"hello":{"v":2}}"#)).unwrap_err();
    assert_eq!(old.code, ErrorCode::VersionNotSupported);
    assert_eq!(
        old.control().to_json(),
        r#"{"error":{"code":"version_not_supported","message":"version 2 not supported (this server speaks 1)"}}"#
    );
    assert_eq!(old.close_frame().code.0, 4426);
}

#[test]
fn data_is_delivered_without_its_prefix_and_acknowledged_every_third() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    let first = state.received(t0, data("a")).unwrap();
    assert_eq!(first, Delivery { data: Some(Message::text("a")), reply: None });
    state.received(t0, data("b")).unwrap();
    let third = state.received(t0, data("c")).unwrap();
    assert_eq!(third.reply, Some(ServerControl::Ack(3)));
    assert_eq!(state.received_count(), 3);
    let binary = state.received(t0, Message::binary(b"m\x00".to_vec())).unwrap();
    assert_eq!(binary.data, Some(Message::binary(vec![0])));
}

#[test]
fn a_lone_message_is_acknowledged_after_the_delay() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    state.received(t0, data("a")).unwrap();
    assert_eq!(state.next_deadline(), Some(t0 + 1000 * MS));
    assert_eq!(state.timer_fired(t0 + 999 * MS), TimerStep::Wait);
    assert_eq!(state.timer_fired(t0 + 1000 * MS), TimerStep::Send(ServerControl::Ack(1)));
    // The ack was traffic: the heartbeat counts from it.
    assert_eq!(state.next_deadline(), Some(t0 + 1000 * MS + 15 * SECOND));
}

#[test]
fn a_heartbeat_is_due_when_nothing_was_sent_and_says_how_many_were() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    assert_eq!(state.next_deadline(), Some(t0 + 15 * SECOND));
    sent(&mut state, t0 + 5 * SECOND, 2);
    assert_eq!(state.next_deadline(), Some(t0 + 20 * SECOND));
    assert_eq!(state.timer_fired(t0 + 19 * SECOND), TimerStep::Wait);
    assert_eq!(state.timer_fired(t0 + 20 * SECOND), TimerStep::Send(ServerControl::Heartbeat(2)));
    assert_eq!(state.next_deadline(), Some(t0 + 35 * SECOND));
    // Anything else sent (the driver says so) puts it off.
    state.sent_at(t0 + 30 * SECOND);
    assert_eq!(state.timer_fired(t0 + 35 * SECOND), TimerStep::Wait);
}

#[test]
fn acks_from_the_client_free_what_is_kept() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 3);
    state.received(t0, control(r#"{"ack":2}"#)).unwrap();
    assert_eq!((state.retention().acked(), state.retention().len()), (2, 1));
    // Repeated or older: harmless.
    state.received(t0, control(r#"{"ack":1}"#)).unwrap();
    assert_eq!(state.retention().acked(), 2);
}

#[test]
fn an_ack_beyond_what_was_sent_ends_the_session() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 1);
    assert_eq!(
        code(state.received(t0, control(r#"{"ack":2}"#))),
        (ErrorCode::ProtocolViolation, true)
    );
    assert!(state.is_over());
}

#[test]
fn malformed_or_misplaced_input_after_the_welcome_ends_the_session() {
    let t0 = Instant::now();
    for message in [
        Message::text(""),
        Message::text("xhello"),
        Message::binary(b"c{\"ack\":0}".to_vec()),
        control("{\"ack\":-1}"),
        control("{\"hb\":1}"),
        control(r#"{"hello":{"v":1}}"#),
        ClientControl::Resume { sid: sid(), rx: 0 }.to_message(),
    ] {
        let mut state = session(config(), t0);
        let error = state.received(t0, message.clone()).unwrap_err();
        assert_eq!(error.code, ErrorCode::ProtocolViolation, "{message:?}");
        assert_eq!(error.close_frame().code.0, 4400);
        assert!(state.is_over());
    }
}

#[test]
fn a_lost_transport_waits_for_the_grace_period_then_expires() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    let lost = t0 + 10 * SECOND;
    assert_eq!(state.detached(lost), Some(lost + 30 * SECOND));
    assert!(!state.is_attached() && !state.is_over());
    assert_eq!(state.next_deadline(), Some(lost + 30 * SECOND));
    // No heartbeats, no acks to nobody.
    assert_eq!(state.timer_fired(lost + 29 * SECOND), TimerStep::Wait);
    assert_eq!(state.timer_fired(lost + 30 * SECOND), TimerStep::Expired);
    assert!(state.is_over());
    assert_eq!(state.next_deadline(), None);
    assert_eq!(state.detached(lost + 31 * SECOND), None);
    assert_eq!(
        code(state.resume(&alice(), 0, lost + 31 * SECOND)),
        (ErrorCode::UnknownSession, false)
    );
}

#[test]
fn what_is_sent_while_detached_waits_for_the_resume() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 2);
    state.detached(t0 + SECOND);
    assert_eq!(state.send(t0 + 2 * SECOND, &Message::text("3")).unwrap().number, 3);
    let resumed = state.resume(&alice(), 1, t0 + 3 * SECOND).unwrap();
    assert!(!resumed.replaced);
    assert_eq!(resent(resumed), ["2", "3"]);
    assert!(state.is_attached());
    // The grace deadline is gone; the heartbeat counts from the welcome.
    assert_eq!(state.next_deadline(), Some(t0 + 18 * SECOND));
}

#[test]
fn resume_with_nothing_sent() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    state.detached(t0);
    let resumed = state.resume(&alice(), 0, t0).unwrap();
    let ServerControl::Welcome(welcome) = &resumed.welcome else { panic!("welcome") };
    assert!(welcome.resumed);
    assert_eq!(welcome.rx, 0);
    assert_eq!(resent(resumed), Vec::<String>::new());
}

#[test]
fn resume_with_all_acknowledged() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 3);
    state.received(t0, control(r#"{"ack":3}"#)).unwrap();
    state.detached(t0);
    assert_eq!(resent(state.resume(&alice(), 3, t0).unwrap()), Vec::<String>::new());
}

#[test]
fn resume_with_some_unacknowledged_tells_the_client_what_the_server_received() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 4);
    state.received(t0, data("x")).unwrap();
    state.received(t0, data("y")).unwrap();
    state.received(t0, control(r#"{"ack":1}"#)).unwrap();
    state.detached(t0);
    let resumed = state.resume(&alice(), 2, t0).unwrap();
    let ServerControl::Welcome(welcome) = &resumed.welcome else { panic!("welcome") };
    assert_eq!(welcome.rx, 2, "the client resends from 3");
    assert_eq!(resent(resumed), ["3", "4"]);
    // The welcome acknowledged the client's two: no ack owed.
    assert_eq!(state.next_deadline(), Some(t0 + 15 * SECOND));
    // The client's next data message is its third.
    state.received(t0, data("z")).unwrap();
    assert_eq!(state.received_count(), 3);
}

#[test]
fn resume_beyond_what_was_sent_ends_the_session() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 2);
    state.detached(t0);
    let error = state.resume(&alice(), 3, t0).unwrap_err();
    assert_eq!((error.code, error.ends_session), (ErrorCode::RxBeyondSent, true));
    assert_eq!(error.close_frame().code.0, 4416);
    assert!(state.is_over());
}

#[test]
fn resume_behind_an_ack_ends_the_session() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 2);
    state.received(t0, control(r#"{"ack":2}"#)).unwrap();
    assert_eq!(code(state.resume(&alice(), 1, t0)), (ErrorCode::ProtocolViolation, true));
    assert!(state.is_over());
}

#[test]
fn resume_older_than_the_oldest_kept_after_drop_oldest_is_told_plainly() {
    let config =
        SessionConfig { max_retained_bytes: 4, on_overflow: Overflow::DropOldest, ..config() };
    let t0 = Instant::now();
    let mut state = session(config, t0);
    sent(&mut state, t0, 4);
    assert_eq!(state.retention().dropped(), 2);
    state.detached(t0);
    let error = state.resume(&alice(), 1, t0).unwrap_err();
    assert_eq!((error.code, error.ends_session), (ErrorCode::MessagesLost, true));
    assert_eq!(error.close_frame().code.0, 4410);
}

#[test]
fn resume_at_the_oldest_kept_after_drop_oldest_misses_nothing() {
    let config =
        SessionConfig { max_retained_bytes: 4, on_overflow: Overflow::DropOldest, ..config() };
    let t0 = Instant::now();
    let mut state = session(config, t0);
    sent(&mut state, t0, 4);
    state.detached(t0);
    assert_eq!(resent(state.resume(&alice(), 2, t0).unwrap()), ["3", "4"]);
}

#[test]
fn past_the_bound_under_close_the_session_is_over() {
    let config = SessionConfig { max_retained_bytes: 4, ..config() };
    let t0 = Instant::now();
    let mut state = session(config, t0);
    sent(&mut state, t0, 2);
    let error = state.send(t0, &Message::text("3")).unwrap_err();
    assert_eq!((error.code, error.ends_session), (ErrorCode::RetentionFull, true));
    assert_eq!(error.close_frame().code.0, 4429);
    assert!(state.is_over());
}

#[test]
fn a_resume_while_attached_replaces_the_transport() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 2);
    let resumed = state.resume(&alice(), 1, t0 + SECOND).unwrap();
    assert!(resumed.replaced);
    assert_eq!(resent(resumed), ["2"]);
    assert_eq!(ErrorCode::Replaced.close_code().0, 4409);
}

#[test]
fn another_identity_cannot_resume_nor_harm_the_session() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 2);
    state.detached(t0);
    for stranger in [Identity::new("mallory"), Identity::anonymous()] {
        // Told the same as for an unknown session; rx beyond sent is not
        // even looked at.
        assert_eq!(code(state.resume(&stranger, 9, t0)), (ErrorCode::UnknownSession, false));
    }
    assert!(!state.is_over());
    assert_eq!(resent(state.resume(&alice(), 0, t0).unwrap()), ["1", "2"]);
}

#[test]
fn an_ended_session_is_unknown() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    state.end();
    assert!(state.is_over());
    assert_eq!(state.next_deadline(), None);
    assert_eq!(state.timer_fired(t0 + 60 * SECOND), TimerStep::Wait);
    assert_eq!(code(state.resume(&alice(), 0, t0)), (ErrorCode::UnknownSession, false));
}

#[test]
fn a_batch_drops_what_was_received_refuses_a_gap_and_acks_by_count() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    // ack_every is 3: the batch of two owes an ack later, not now.
    assert_eq!(state.received_batch(t0, 1, 2), Ok((0..2, None)));
    // Sent again with one more: the two are duplicates, the third is new
    // and makes three unacknowledged.
    assert_eq!(state.received_batch(t0, 1, 3), Ok((2..3, Some(ServerControl::Ack(3)))));
    assert_eq!(state.received_batch(t0, 5, 1), Err(Gap::Skipped { expected: 4, number: 5 }));
    assert_eq!(state.received_count(), 3, "a gap takes nothing");
    assert!(!state.is_over(), "nor ends the session");
    assert_eq!(state.received_batch(t0, 3, 2), Ok((1..2, None)));
    assert_eq!(state.received_count(), 4);
}

#[test]
fn an_ack_apart_from_a_control_forgets_or_ends_the_session() {
    let t0 = Instant::now();
    let mut state = session(config(), t0);
    sent(&mut state, t0, 3);
    assert_eq!(state.acknowledged(2), Ok(()));
    assert_eq!(state.retention().len(), 1);
    assert_eq!(state.acknowledged(1), Ok(()), "an older ack is harmless");
    let error = state.acknowledged(9).unwrap_err();
    assert_eq!(error.code, ErrorCode::ProtocolViolation);
    assert!(error.message.contains("ack_beyond_sent"), "{}", error.message);
    assert!(state.is_over());
}
