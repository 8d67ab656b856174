//! One session's state apart from any transport: attached (heartbeats and
//! acks due), detached (the grace deadline), or over. The driver feeds it
//! what came (a transport's first message, each message after, a data
//! message sent, the transport lost, the time) and does what it says: send
//! this control, resend these messages, close with this error, end the
//! session. No socket, no task; instants are given, never read.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use tokio::time::Instant;

use super::VERSION;
use super::acks::{AckClock, AckPolicy};
use super::config::SessionConfig;
use super::control::{ClientControl, ServerControl, Welcome};
use super::error_code::ErrorCode;
use super::id::SessionId;
use super::identity::Identity;
use super::inbound::{Gap, Inbound};
use super::kept::KeptIter;
use super::prefix::{self, Incoming};
use super::retention::{Committed, ResumeError, Retention, RetentionBound};
use crate::ws::{CloseFrame, Message};

/// What a transport's first message asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    /// `hello`: a new session.
    New,
    /// `resume`: session `sid`, the client having received `rx`.
    Resume {
        /// The session.
        sid: SessionId,
        /// Data messages the client received.
        rx: u64,
    },
}

/// Why a transport (and, if `ends_session`, its session) is closed: sent
/// as an `error` control, then a close frame with the code's close code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError {
    /// The code.
    pub code: ErrorCode,
    /// The rule broken, for people.
    pub message: String,
    /// Whether the session is over too (else only this transport is).
    pub ends_session: bool,
}

impl SessionError {
    /// An error of `code` that ends the session; `message` names the rule.
    pub fn new(code: ErrorCode, message: impl fmt::Display) -> Self {
        Self { code, message: message.to_string(), ends_session: true }
    }

    fn violation(rule: impl fmt::Display) -> Self {
        Self::new(ErrorCode::ProtocolViolation, rule)
    }

    /// The `error` control to send before closing.
    pub fn control(&self) -> ServerControl {
        ServerControl::Error { code: self.code, message: self.message.clone() }
    }

    /// The close frame that follows.
    pub fn close_frame(&self) -> CloseFrame {
        CloseFrame::new(self.code.close_code(), self.code.as_str())
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for SessionError {}

/// Reads a transport's first message: `hello` (in a version spoken here)
/// or `resume`. Anything else closes the transport.
pub fn opening(message: Message) -> Result<Opening, SessionError> {
    let json = match prefix::split(message).map_err(SessionError::violation)? {
        Incoming::Control(json) => json,
        Incoming::Data(_) => return Err(SessionError::violation("data message before welcome")),
    };
    match ClientControl::parse(&json).map_err(SessionError::violation)? {
        ClientControl::Hello { version: VERSION } => Ok(Opening::New),
        ClientControl::Hello { version } => Err(SessionError::new(
            ErrorCode::VersionNotSupported,
            format_args!("version {version} not supported (this server speaks {VERSION})"),
        )),
        ClientControl::Resume { sid, rx } => Ok(Opening::Resume { sid, rx }),
        ClientControl::Ack(_) => {
            Err(SessionError::violation("the first message is hello or resume"))
        }
    }
}

/// A message from the attached transport, read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivery {
    /// A data message for the application.
    pub data: Option<Message>,
    /// A control to send back (an ack that became due).
    pub reply: Option<ServerControl>,
}

/// A resume accepted.
#[derive(Debug)]
pub struct Resumed<'a> {
    /// Send first.
    pub welcome: ServerControl,
    /// Whether a transport was still attached: close it with
    /// [`ErrorCode::Replaced`]'s close code and forget it.
    pub replaced: bool,
    /// Then send these again, in order (numbers `rx + 1 ..`), then new ones.
    pub resend: KeptIter<'a>,
}

/// What the driver does when the timer fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerStep {
    /// Nothing yet.
    Wait,
    /// Send this control (an ack, or a heartbeat).
    Send(ServerControl),
    /// The grace period passed without a transport: the session is over
    /// (the application's `on_close`, cause: expired).
    Expired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A transport carries the session; the last message went at `last_sent`.
    Attached {
        last_sent: Instant,
    },
    /// No transport: over at `deadline` unless resumed.
    Detached {
        deadline: Instant,
    },
    Over,
}

/// One session, apart from its transports.
#[derive(Debug)]
pub struct SessionState {
    id: SessionId,
    identity: Identity,
    /// Shared by every session of a route.
    config: Arc<SessionConfig>,
    retention: Retention,
    inbound: Inbound,
    acks: AckClock,
    phase: Phase,
}

impl SessionState {
    /// A session opened by `hello` at `now` on a transport of `identity`:
    /// send the welcome ([`SessionState::welcome`]) first.
    pub fn new(
        id: SessionId,
        identity: Identity,
        config: Arc<SessionConfig>,
        now: Instant,
    ) -> Self {
        Self {
            retention: Retention::new(),
            acks: AckClock::new(),
            inbound: Inbound::new(),
            phase: Phase::Attached { last_sent: now },
            id,
            identity,
            config,
        }
    }

    fn ack_policy(&self) -> AckPolicy {
        AckPolicy { every: self.config.ack_every, delay: self.config.ack_delay }
    }

    /// The session's id.
    pub fn id(&self) -> &SessionId {
        &self.id
    }

    /// The `welcome` for the transport now attached (it acknowledges what
    /// was received).
    pub fn welcome(&mut self, resumed: bool) -> ServerControl {
        let rx = self.inbound.received();
        self.acks.acknowledged(rx);
        ServerControl::Welcome(Welcome {
            sid: self.id.clone(),
            rx,
            resumed,
            heartbeat_ms: millis(self.config.heartbeat),
            grace_ms: millis(self.config.grace),
        })
    }

    /// Whether a transport of `identity` may resume the session: it is not
    /// over and was made by the same identity (a check that changes
    /// nothing; [`SessionState::resume`] does it again).
    pub fn accepts(&self, identity: &Identity) -> bool {
        self.phase != Phase::Over && self.identity.matches(identity)
    }

    /// A transport of `identity` resumes at `now`, its client having
    /// received `rx`. Another identity, or a session over, is told the
    /// session is unknown (and the session is untouched); an `rx` that
    /// cannot be served ends the session.
    pub fn resume(
        &mut self,
        identity: &Identity,
        rx: u64,
        now: Instant,
    ) -> Result<Resumed<'_>, SessionError> {
        if self.phase == Phase::Over || !self.identity.matches(identity) {
            let mut error = SessionError::new(ErrorCode::UnknownSession, "no such session");
            error.ends_session = false;
            return Err(error);
        }
        if let Err(error) = self.retention.resume(rx) {
            self.phase = Phase::Over;
            return Err(match error {
                ResumeError::RxBeyondSent { .. } => {
                    SessionError::new(ErrorCode::RxBeyondSent, error)
                }
                ResumeError::NotKept { .. } => SessionError::new(ErrorCode::MessagesLost, error),
                ResumeError::RxBehindAck { .. } => SessionError::violation(error),
            });
        }
        let replaced = matches!(self.phase, Phase::Attached { .. });
        self.phase = Phase::Attached { last_sent: now };
        let welcome = self.welcome(true);
        Ok(Resumed { welcome, replaced, resend: self.retention.kept() })
    }

    /// The transport was lost at `now`: the session waits for a resume
    /// until the deadline it returns.
    pub fn detached(&mut self, now: Instant) -> Option<Instant> {
        if self.phase == Phase::Over {
            return None;
        }
        let deadline = now + self.config.grace;
        self.phase = Phase::Detached { deadline };
        Some(deadline)
    }

    /// A message (after the first) arrived on the attached transport.
    pub fn received(&mut self, now: Instant, message: Message) -> Result<Delivery, SessionError> {
        let result = self.read(now, message);
        if result.is_err() {
            self.phase = Phase::Over;
        }
        result
    }

    fn read(&mut self, now: Instant, message: Message) -> Result<Delivery, SessionError> {
        match prefix::split(message).map_err(SessionError::violation)? {
            Incoming::Data(data) => {
                let received = self.inbound.take_next();
                let reply =
                    self.acks.received(now, received, &self.ack_policy()).map(ServerControl::Ack);
                if reply.is_some() {
                    self.sent_at(now);
                }
                Ok(Delivery { data: Some(data), reply })
            }
            Incoming::Control(json) => match ClientControl::parse(&json) {
                Ok(ClientControl::Ack(n)) => {
                    self.retention.ack(n).map_err(SessionError::violation)?;
                    Ok(Delivery::default())
                }
                Ok(ClientControl::Hello { .. } | ClientControl::Resume { .. }) => {
                    Err(SessionError::violation("hello and resume come first on a transport, once"))
                }
                Err(error) => Err(SessionError::violation(error)),
            },
        }
    }

    /// A batch of `count` data messages numbered from `first` arrived at
    /// `now` on a transport that names numbers (a fallback's POST): which
    /// of them are new (indices within the batch; the duplicates before
    /// them are dropped), and an ack to send if one became due. A gap
    /// takes nothing and leaves the session as it was.
    pub fn received_batch(
        &mut self,
        now: Instant,
        first: u64,
        count: u64,
    ) -> Result<(Range<u64>, Option<ServerControl>), Gap> {
        let fresh = self.inbound.receive_batch(first, count)?;
        let mut reply = None;
        if !fresh.is_empty() {
            let policy = self.ack_policy();
            reply =
                self.acks.received(now, self.inbound.received(), &policy).map(ServerControl::Ack);
            if reply.is_some() {
                self.sent_at(now);
            }
        }
        Ok((fresh, reply))
    }

    /// The client acknowledged the data messages up to `ack` (a fallback's
    /// POST carries it apart from any control). One beyond what was sent
    /// ends the session.
    pub fn acknowledged(&mut self, ack: u64) -> Result<(), SessionError> {
        match self.retention.ack(ack) {
            Ok(_) => Ok(()),
            Err(error) => {
                self.phase = Phase::Over;
                Err(SessionError::violation(error))
            }
        }
    }

    /// The application sent `message` at `now`: numbered and kept until
    /// acknowledged (attached, send it; detached, it waits for a resume).
    /// Past the bound under `Overflow::Close` the session is over.
    pub fn send(&mut self, now: Instant, message: &Message) -> Result<Committed, SessionError> {
        let bound = RetentionBound {
            limit: self.config.max_retained_bytes,
            overflow: self.config.on_overflow,
        };
        match self.retention.commit(message, bound) {
            Ok(committed) => {
                self.sent_at(now);
                Ok(committed)
            }
            Err(full) => {
                self.phase = Phase::Over;
                Err(SessionError::new(ErrorCode::RetentionFull, full))
            }
        }
    }

    /// Something went on the attached transport at `now` (the heartbeat
    /// counts from there).
    pub fn sent_at(&mut self, now: Instant) {
        if let Phase::Attached { last_sent } = &mut self.phase {
            *last_sent = (*last_sent).max(now);
        }
    }

    /// The application or the server ended the session.
    pub fn end(&mut self) {
        self.phase = Phase::Over;
    }

    /// When the timer must fire next, if ever.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Attached { last_sent } => {
                let heartbeat = last_sent + self.config.heartbeat;
                Some(
                    self.acks
                        .deadline(&self.ack_policy())
                        .map_or(heartbeat, |ack| ack.min(heartbeat)),
                )
            }
            Phase::Detached { deadline } => Some(deadline),
            Phase::Over => None,
        }
    }

    /// The timer fired at `now`.
    pub fn timer_fired(&mut self, now: Instant) -> TimerStep {
        match self.phase {
            Phase::Over => TimerStep::Wait,
            Phase::Detached { deadline } if now >= deadline => {
                self.phase = Phase::Over;
                TimerStep::Expired
            }
            Phase::Detached { .. } => TimerStep::Wait,
            Phase::Attached { last_sent } => {
                // An ack is traffic too: it stands for the heartbeat.
                let policy = self.ack_policy();
                let step = match self.acks.due(now, self.inbound.received(), &policy) {
                    Some(n) => ServerControl::Ack(n),
                    None if now >= last_sent + self.config.heartbeat => {
                        ServerControl::Heartbeat(self.retention.sent())
                    }
                    None => return TimerStep::Wait,
                };
                self.sent_at(now);
                TimerStep::Send(step)
            }
        }
    }

    /// Whether a transport carries the session.
    pub fn is_attached(&self) -> bool {
        matches!(self.phase, Phase::Attached { .. })
    }

    /// Whether the session is over.
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// What the session keeps for the client.
    pub fn retention(&self) -> &Retention {
        &self.retention
    }

    /// Data messages received from the client.
    pub fn received_count(&self) -> u64 {
        self.inbound.received()
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).min(super::MAX_NUMBER)
}

#[cfg(test)]
mod tests;
