//! The session's rules, driven by hand: no socket, no sleeping (instants
//! are made, not waited for).

use std::time::Duration;

use tokio::time::Instant;

use super::{PeerClose, Session, TimerStep};
use crate::component::{CloseCause, CloseInfo, Timeout};
use crate::ws::{CloseCode, CloseFrame, ProtocolError};
use crate::ws_server::{MessageRate, WsConfig};

const SECOND: Duration = Duration::from_secs(1);

fn config() -> WsConfig {
    WsConfig {
        ping_interval: Some(30 * SECOND),
        pong_timeout: 10 * SECOND,
        idle_timeout: None,
        close_timeout: 5 * SECOND,
        message_rate: None,
        ..WsConfig::default()
    }
}

fn info(code: CloseCode, reason: &str, cause: CloseCause) -> CloseInfo {
    CloseInfo { code, reason: reason.into(), cause }
}

#[test]
fn a_quiet_peer_is_pinged_then_dropped_when_it_does_not_answer() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    assert_eq!(session.next_deadline(&config), Some(t0 + 30 * SECOND));
    assert_eq!(session.timer_fired(t0 + 29 * SECOND, &config), TimerStep::Wait);

    let pinged = t0 + 30 * SECOND;
    assert_eq!(session.timer_fired(pinged, &config), TimerStep::Ping);
    assert_eq!(session.next_deadline(&config), Some(pinged + 10 * SECOND));
    assert_eq!(session.timer_fired(pinged + 9 * SECOND, &config), TimerStep::Wait);
    assert_eq!(
        session.timer_fired(pinged + 10 * SECOND, &config),
        TimerStep::End(info(
            CloseCode::ABNORMAL,
            "keepalive timeout",
            CloseCause::TimedOut(Timeout::Keepalive)
        ))
    );
}

#[test]
fn any_bytes_answer_a_ping_and_restart_the_keepalive() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    assert_eq!(session.timer_fired(t0 + 30 * SECOND, &config), TimerStep::Ping);
    let answered = t0 + 35 * SECOND;
    session.bytes_received(answered);
    assert_eq!(session.next_deadline(&config), Some(answered + 30 * SECOND));
    assert_eq!(session.timer_fired(t0 + 40 * SECOND, &config), TimerStep::Wait);
}

#[test]
fn no_timer_without_keepalive_or_idle_timeout() {
    let config = WsConfig { ping_interval: None, ..config() };
    let session = Session::new(Instant::now(), &config);
    assert_eq!(session.next_deadline(&config), None);
}

#[test]
fn an_idle_peer_is_closed_with_1001_and_given_the_close_timeout_to_answer() {
    let config = WsConfig { idle_timeout: Some(20 * SECOND), ..config() };
    let t0 = Instant::now();
    let mut session = Session::new(t0, &config);
    // Bytes (pongs) do not count as messages: the idle timeout comes first.
    session.bytes_received(t0 + 15 * SECOND);
    assert_eq!(session.next_deadline(&config), Some(t0 + 20 * SECOND));
    let idle = t0 + 20 * SECOND;
    assert_eq!(
        session.timer_fired(idle, &config),
        TimerStep::Close(CloseFrame::new(CloseCode::GOING_AWAY, "idle timeout"))
    );
    assert!(!session.is_open());
    assert_eq!(session.next_deadline(&config), Some(idle + 5 * SECOND));
    assert_eq!(session.timer_fired(idle + 4 * SECOND, &config), TimerStep::Wait);

    // The peer's reply ends it, as the server's close.
    let reply = Some(CloseFrame::new(CloseCode::GOING_AWAY, ""));
    let expected = info(CloseCode::GOING_AWAY, "idle timeout", CloseCause::TimedOut(Timeout::Idle));
    assert_eq!(session.peer_closed(reply), PeerClose { reply: None, info: expected });
}

#[test]
fn a_close_the_peer_never_answers_ends_at_the_close_timeout() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    let frame = session.start_close(
        t0,
        &config,
        CloseCode::GOING_AWAY,
        "server shutdown",
        CloseCause::ServerShutdown,
    );
    assert_eq!(frame, Some(CloseFrame::new(CloseCode::GOING_AWAY, "server shutdown")));
    assert_eq!(
        session.timer_fired(t0 + 5 * SECOND, &config),
        TimerStep::End(info(CloseCode::GOING_AWAY, "server shutdown", CloseCause::ServerShutdown))
    );
}

#[test]
fn one_close_at_a_time() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    let cause = CloseCause::ClosedByServer;
    session.close_sent(t0, &config, CloseFrame::new(CloseCode::NORMAL, "bye"), cause);
    // Neither a second close nor a rate-limit close replaces the first.
    let again =
        session.start_close(t0, &config, CloseCode::GOING_AWAY, "x", CloseCause::ServerShutdown);
    assert_eq!(again, None);
    session.close_sent(
        t0,
        &config,
        CloseFrame::new(CloseCode::POLICY_VIOLATION, "y"),
        CloseCause::SlowConsumer,
    );
    assert_eq!(session.ended(), info(CloseCode::NORMAL, "bye", CloseCause::ClosedByServer));
}

#[test]
fn the_peers_close_is_echoed_with_its_code() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    let closed = session.peer_closed(Some(CloseFrame::new(CloseCode::NORMAL, "done")));
    assert_eq!(closed.reply, Some(Some(CloseFrame::new(CloseCode::NORMAL, ""))));
    assert_eq!(closed.info, info(CloseCode::NORMAL, "done", CloseCause::PeerClosed));

    // A close frame without a code: an empty one back, 1005 to the app.
    let mut session = Session::new(t0, &config);
    let closed = session.peer_closed(None);
    assert_eq!(closed.reply, Some(None));
    assert_eq!(closed.info, info(CloseCode::NO_STATUS, "", CloseCause::PeerClosed));
}

#[test]
fn a_stream_that_ends_without_a_close_is_a_lost_connection() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    assert_eq!(session.ended(), info(CloseCode::ABNORMAL, "", CloseCause::ConnectionLost));
}

#[test]
fn a_protocol_error_sends_the_rfc_code_unless_our_close_went_already() {
    let (config, t0) = (config(), Instant::now());
    let error = ProtocolError::ReservedBitsSet;
    let mut session = Session::new(t0, &config);
    let (frame, ended) = session.failed(error.clone());
    let code = error.close_code();
    assert_eq!(frame, Some(CloseFrame::new(code, &error.to_string())));
    assert_eq!(ended.cause, CloseCause::ProtocolError(error.clone()));
    assert_eq!(ended.code, code);

    let mut session = Session::new(t0, &config);
    session.start_close(t0, &config, CloseCode::NORMAL, "", CloseCause::ClosedByServer);
    assert_eq!(session.failed(error).0, None);
}

#[test]
fn messages_past_the_rate_are_refused_with_1008() {
    let rate = MessageRate { per_second: 2.0, burst: 3 };
    let config = WsConfig { message_rate: Some(rate), ..config() };
    let t0 = Instant::now();
    let mut session = Session::new(t0, &config);
    for _ in 0..3 {
        assert_eq!(session.message_received(t0, &config), None);
    }
    // Half a second refills one token at 2 per second.
    assert_eq!(session.message_received(t0 + SECOND / 2, &config), None);
    assert!(session.is_open());
    let refused = session.message_received(t0 + SECOND / 2, &config);
    assert_eq!(
        refused,
        Some(CloseFrame::new(CloseCode::POLICY_VIOLATION, "message rate exceeded"))
    );
    assert!(!session.is_open(), "the refused message is not delivered");
    assert_eq!(session.ended().cause, CloseCause::RateLimited);
}

#[test]
fn without_a_rate_any_number_of_messages_pass() {
    let (config, t0) = (config(), Instant::now());
    let mut session = Session::new(t0, &config);
    assert!((0..10_000).all(|_| session.message_received(t0, &config).is_none()));
}
