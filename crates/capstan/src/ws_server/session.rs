//! One connection's life as a state machine without I/O: open, closing,
//! closed; the keepalive and idle timers; the message rate limit; the
//! close handshake from either side. The driver feeds it what happened
//! (bytes read, a message, a close frame, the time) and does what it says
//! (queue a close frame or a ping, end the connection); the rules live here
//! and are tested without sockets or waiting.

use std::time::Duration;

use tokio::time::Instant;

use super::WsConfig;
use crate::component::{CloseCause, CloseInfo, Timeout};
use crate::ws::{CloseCode, CloseFrame, ProtocolError};

/// Where the close handshake stands.
#[derive(Debug)]
enum Phase {
    Open,
    /// Our close frame is queued or sent; waiting for the peer's.
    Closing {
        deadline: Instant,
        /// Boxed: an open connection need not carry its size.
        info: Box<CloseInfo>,
    },
}

/// What the driver must do after the timer fired.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimerStep {
    /// Nothing (a deadline moved, or was not reached yet).
    Wait,
    /// Queue a keepalive ping.
    Ping,
    /// Queue this close frame after what is queued (the session now waits
    /// for the peer's reply).
    Close(CloseFrame),
    /// The connection is over, without waiting for anything more.
    End(CloseInfo),
}

/// What the driver must do when the peer's close frame arrives.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PeerClose {
    /// The close frame to answer with (`Some(None)`: an empty one), or
    /// `None` when ours was sent already.
    pub reply: Option<Option<CloseFrame>>,
    /// How the connection ended.
    pub info: CloseInfo,
}

/// A connection's state, apart from its socket and queue.
#[derive(Debug)]
pub(crate) struct Session {
    phase: Phase,
    /// When the last bytes arrived (keepalive counts from here).
    last_rx: Instant,
    /// When the last message arrived (the idle timeout counts from here).
    last_message: Instant,
    /// When our unanswered ping went, if one is out.
    ping_sent: Option<Instant>,
    /// Message tokens left under the rate limit.
    rate_tokens: f64,
}

impl Session {
    /// A connection opened at `now`.
    pub(crate) fn new(now: Instant, config: &WsConfig) -> Self {
        Self {
            phase: Phase::Open,
            last_rx: now,
            last_message: now,
            ping_sent: None,
            rate_tokens: config.message_rate.map_or(0.0, |rate| f64::from(rate.burst)),
        }
    }

    /// Whether messages are still delivered and frames still answered.
    pub(crate) fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open)
    }

    /// Bytes arrived: the peer is alive (any byte answers a ping).
    /// Whether arriving bytes must be timed: only keepalive pings read
    /// their time (saving a clock read per read when they are off).
    pub(crate) fn times_bytes(config: &WsConfig) -> bool {
        config.ping_interval.is_some()
    }

    /// Whether data messages must be timed: only the rate limit and the
    /// idle timeout read their time.
    pub(crate) fn times_messages(config: &WsConfig) -> bool {
        config.message_rate.is_some() || config.idle_timeout.is_some()
    }

    /// Bytes arrived at `now` (call only if [`Session::times_bytes`]).
    pub(crate) fn bytes_received(&mut self, now: Instant) {
        self.last_rx = now;
        self.ping_sent = None;
    }

    /// A data message arrived (call only if [`Session::times_messages`]).
    /// Past the rate limit, the close frame to queue (the message is then
    /// not delivered: see [`Session::is_open`]).
    pub(crate) fn message_received(
        &mut self,
        now: Instant,
        config: &WsConfig,
    ) -> Option<CloseFrame> {
        let elapsed = now.saturating_duration_since(self.last_message);
        self.last_message = now;
        if self.within_rate(elapsed, config) {
            return None;
        }
        let cause = CloseCause::RateLimited;
        self.start_close(now, config, CloseCode::POLICY_VIOLATION, "message rate exceeded", cause)
    }

    /// Counts one message against the rate limit (a token bucket refilled
    /// for the time since the previous message); false past the limit.
    fn within_rate(&mut self, elapsed: Duration, config: &WsConfig) -> bool {
        let Some(rate) = config.message_rate else { return true };
        let refill = elapsed.as_secs_f64() * rate.per_second;
        self.rate_tokens = (self.rate_tokens + refill).min(f64::from(rate.burst));
        if self.rate_tokens >= 1.0 {
            self.rate_tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The server closes (shutdown, idle, rate): the close frame to queue,
    /// unless a close is under way already.
    pub(crate) fn start_close(
        &mut self,
        now: Instant,
        config: &WsConfig,
        code: CloseCode,
        reason: &str,
        cause: CloseCause,
    ) -> Option<CloseFrame> {
        if !self.is_open() {
            return None;
        }
        let frame = CloseFrame::new(code, reason);
        self.close_sent(now, config, frame.clone(), cause);
        Some(frame)
    }

    /// Our close frame `frame` is on its way (queued by the app, or in
    /// place of an overflowing queue): wait for the reply within the close
    /// timeout. Ignored if a close is under way already.
    pub(crate) fn close_sent(
        &mut self,
        now: Instant,
        config: &WsConfig,
        frame: CloseFrame,
        cause: CloseCause,
    ) {
        if !self.is_open() {
            return;
        }
        let CloseFrame { code, reason } = frame;
        self.phase = Phase::Closing {
            deadline: now + config.close_timeout,
            info: Box::new(CloseInfo { code, reason, cause }),
        };
    }

    /// The peer's close frame arrived: it answers ours, or we answer it
    /// (echoing its code, as RFC 6455 §5.5.1 says).
    pub(crate) fn peer_closed(&mut self, frame: Option<CloseFrame>) -> PeerClose {
        match std::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Closing { info, .. } => PeerClose { reply: None, info: *info },
            Phase::Open => {
                let reply = Some(frame.as_ref().map(|f| CloseFrame::new(f.code, "")));
                let (code, reason) = match frame {
                    Some(f) => (f.code, f.reason),
                    None => (CloseCode::NO_STATUS, String::new()),
                };
                PeerClose { reply, info: CloseInfo { code, reason, cause: CloseCause::PeerClosed } }
            }
        }
    }

    /// The peer broke the protocol: the close frame to queue (unless ours
    /// went already) and how the connection ended.
    pub(crate) fn failed(&mut self, error: ProtocolError) -> (Option<CloseFrame>, CloseInfo) {
        let code = error.close_code();
        let reason = error.to_string();
        let frame = self.is_open().then(|| CloseFrame::new(code, &reason));
        (frame, CloseInfo { code, reason, cause: CloseCause::ProtocolError(error) })
    }

    /// The stream ended (or failed) without the peer's close frame: the
    /// end of a close we began, or a lost connection (1006).
    pub(crate) fn ended(&mut self) -> CloseInfo {
        match std::mem::replace(&mut self.phase, Phase::Open) {
            Phase::Closing { info, .. } => *info,
            Phase::Open => CloseInfo {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
                cause: CloseCause::ConnectionLost,
            },
        }
    }

    /// When the timer must fire next, if ever.
    pub(crate) fn next_deadline(&self, config: &WsConfig) -> Option<Instant> {
        match &self.phase {
            Phase::Closing { deadline, .. } => Some(*deadline),
            Phase::Open => {
                let idle = config.idle_timeout.map(|idle| self.last_message + idle);
                let keepalive = match self.ping_sent {
                    Some(sent) => Some(sent + config.pong_timeout),
                    None => config.ping_interval.map(|interval| self.last_rx + interval),
                };
                match (idle, keepalive) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// The timer fired at `now`: close timeout, idle timeout, keepalive.
    pub(crate) fn timer_fired(&mut self, now: Instant, config: &WsConfig) -> TimerStep {
        match &self.phase {
            Phase::Closing { deadline, .. } if now >= *deadline => {
                return TimerStep::End(self.ended());
            }
            Phase::Closing { .. } => return TimerStep::Wait,
            Phase::Open => {}
        }
        if config.idle_timeout.is_some_and(|idle| now >= self.last_message + idle) {
            let cause = CloseCause::TimedOut(Timeout::Idle);
            let frame = self.start_close(now, config, CloseCode::GOING_AWAY, "idle timeout", cause);
            return frame.map_or(TimerStep::Wait, TimerStep::Close);
        }
        match (self.ping_sent, config.ping_interval) {
            (Some(sent), _) if now >= sent + config.pong_timeout => TimerStep::End(CloseInfo {
                code: CloseCode::ABNORMAL,
                reason: "keepalive timeout".into(),
                cause: CloseCause::TimedOut(Timeout::Keepalive),
            }),
            (None, Some(interval)) if now >= self.last_rx + interval => {
                self.ping_sent = Some(now);
                TimerStep::Ping
            }
            _ => TimerStep::Wait,
        }
    }
}

#[cfg(test)]
mod tests;
