//! What a session-mode application [`Conn`](crate::Conn) sends through:
//! the session's state (numbering, what is kept for the client, acks,
//! heartbeats, the grace deadline) and the transport attached now, if any,
//! under one lock, so that a message is numbered, kept and handed to the
//! transport in one step, in the order the application sent it, whichever
//! task sends it.

use std::ops::{Deref, DerefMut, Range};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tokio::time::Instant;

use super::attached::Attached;
use super::clock::{Clock, Timed};
use crate::component::{CloseCause, CloseInfo};
use crate::conn::ConnId;
use crate::conn::TransportKind;
use crate::error::SendError;
use crate::resume::{Delivery, Gap, Identity, SessionError, SessionId, SessionState, TimerStep};
use crate::ws::{CloseCode, Message, PreparedMessage};

/// A session's state and its transport; the route's clock wakes a `T`
/// for it (its entry).
pub(crate) struct SessionLink<T> {
    state: Mutex<LinkState>,
    /// Whether the session is over, as its state says (kept beside it, so
    /// that asking takes no lock).
    over: AtomicBool,
    /// The route's clock.
    clock: Arc<Clock<T>>,
    /// Who the clock wakes for this session.
    whom: Weak<T>,
}

/// The link's state, locked; unlocking notes whether the session is over.
struct Locked<'a> {
    state: MutexGuard<'a, LinkState>,
    over: &'a AtomicBool,
}

impl Deref for Locked<'_> {
    type Target = LinkState;

    fn deref(&self) -> &LinkState {
        &self.state
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut LinkState {
        &mut self.state
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if self.state.session.is_over() {
            self.over.store(true, Ordering::Release);
        }
    }
}

struct LinkState {
    session: SessionState,
    attached: Option<Attached>,
    /// The transport attached last.
    kind: TransportKind,
    /// The deadline the clock will wake the session at, if any.
    armed: Option<Instant>,
    /// How the application is told the session ended, once it did (boxed:
    /// a live session keeps a pointer for it, not the whole).
    end: Option<Box<CloseInfo>>,
}

/// Why a POST batch was not taken.
#[derive(Debug)]
pub(crate) enum BatchRefusal {
    /// The transport no longer carries the session (404).
    NotAttached,
    /// Numbers were skipped: nothing taken, the session goes on (409).
    Gap(Gap),
    /// A rule was broken: the session is over (400).
    Violation(SessionError),
}

/// What the clock's wake-up did.
pub(crate) enum Fired {
    /// Not this deadline's (the session waits for an earlier one).
    Stale,
    /// Come again then.
    Next(Option<Instant>),
    /// The session is over (the application is to be told how).
    Over,
}

impl<T: Timed> SessionLink<T> {
    /// A session whose first transport is `attached`, on the route's
    /// `clock`, which wakes `whom` for it.
    pub(crate) fn new(
        session: SessionState,
        attached: Attached,
        clock: Arc<Clock<T>>,
        whom: Weak<T>,
    ) -> Self {
        let kind = attached.kind();
        let state = LinkState { session, attached: Some(attached), kind, armed: None, end: None };
        Self { state: Mutex::new(state), over: AtomicBool::new(false), clock, whom }
    }

    /// Starts the session's clock (once it is made).
    pub(crate) fn start_clock(&self) {
        let mut state = self.lock();
        self.rearm(&mut state);
    }

    /// Numbers and keeps a message; one past the bound ends the session,
    /// and the clock is told at once, so that a session with no transport
    /// is finished now rather than at the end of its grace period.
    fn commit(&self, state: &mut Locked<'_>, message: &Message) -> Result<u64, SendError> {
        let committed = state.commit(message);
        if committed.is_err() {
            self.rearm(state);
        }
        committed
    }

    /// Asks the clock to wake the session at its next deadline (at once
    /// once it is over), if that is earlier than the one it waits for.
    fn rearm(&self, state: &mut Locked<'_>) {
        let at = match state.session.is_over() {
            true => Some(Instant::now()),
            false => state.session.next_deadline(),
        };
        let Some(at) = at else { return };
        if state.armed.is_some_and(|armed| armed <= at) {
            return;
        }
        state.armed = Some(at);
        self.clock.wake_at(at, self.whom.clone());
    }

    fn lock(&self) -> Locked<'_> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Locked { state, over: &self.over }
    }

    /// Sends the `welcome` of a new session on its first transport.
    pub(crate) fn welcome_new(&self) {
        let mut state = self.lock();
        let welcome = state.session.welcome(false);
        if let Some(attached) = &state.attached {
            attached.send_control(&welcome);
        }
    }

    /// A message arrived on transport `from` (after its first): the data
    /// for the application, if any. A broken rule ends the session (the
    /// transport is told and closed).
    pub(crate) fn received(&self, from: ConnId, message: Message) -> Option<Message> {
        let mut state = self.lock();
        if !state.is_attached(from) || state.session.is_over() {
            return None;
        }
        let now = Instant::now();
        match state.session.received(now, message) {
            Ok(Delivery { data, reply }) => {
                if let (Some(reply), Some(attached)) = (reply, &state.attached) {
                    attached.send_control(&reply);
                }
                self.rearm(&mut state);
                data
            }
            Err(error) => {
                state.fail(error);
                None
            }
        }
    }

    /// A POST batch arrived on transport `from`: `count` data messages
    /// numbered from `first`, and perhaps an ack. Says which of the
    /// messages are new (indices in the batch).
    pub(crate) fn received_batch(
        &self,
        from: ConnId,
        first: u64,
        count: u64,
        ack: Option<u64>,
    ) -> Result<Range<u64>, BatchRefusal> {
        let mut state = self.lock();
        if !state.is_attached(from) || state.session.is_over() {
            return Err(BatchRefusal::NotAttached);
        }
        if let Some(ack) = ack
            && let Err(error) = state.session.acknowledged(ack)
        {
            state.fail(error.clone());
            return Err(BatchRefusal::Violation(error));
        }
        if count == 0 {
            return Ok(0..0);
        }
        let (fresh, reply) = state
            .session
            .received_batch(Instant::now(), first, count)
            .map_err(BatchRefusal::Gap)?;
        if let (Some(reply), Some(attached)) = (reply, &state.attached) {
            attached.send_control(&reply);
        }
        self.rearm(&mut state);
        Ok(fresh)
    }

    /// Transport `from` broke a rule: if it carries the session, the
    /// session is over (the transport is told and closed).
    pub(crate) fn violation(&self, from: ConnId, error: SessionError) {
        let mut state = self.lock();
        if state.is_attached(from) && !state.session.is_over() {
            state.fail(error);
        }
    }

    /// Whether a transport of `identity` may resume the session.
    pub(crate) fn accepts(&self, identity: &Identity) -> bool {
        self.lock().session.accepts(identity)
    }

    /// A resume begins: if a transport is still attached, it is detached
    /// and returned (to be closed as replaced, its holder giving the
    /// application's state back).
    pub(crate) fn take_transport(&self) -> Option<Attached> {
        let mut state = self.lock();
        let old = state.attached.take()?;
        state.session.detached(Instant::now());
        Some(old)
    }

    /// Resumes the session on `transport` of `identity`, its client having
    /// received `rx`: `welcome`, the messages it missed, then it carries
    /// the session. Refused: the error (for the transport) says whether
    /// the session is over.
    pub(crate) fn resume(
        &self,
        transport: Attached,
        identity: &Identity,
        rx: u64,
    ) -> Result<(), SessionError> {
        let mut state = self.lock();
        match state.session.resume(identity, rx, Instant::now()) {
            Ok(resumed) => {
                transport.send_control(&resumed.welcome);
                for (number, message) in (rx + 1..).zip(resumed.resend) {
                    transport.send_data(number, message);
                }
                state.kind = transport.kind();
                state.attached = Some(transport);
                self.rearm(&mut state);
                Ok(())
            }
            Err(error) => {
                if error.ends_session {
                    state.end_with(&error);
                    self.rearm(&mut state);
                }
                Err(error)
            }
        }
    }

    /// Transport `id` ended. Says whether it was the one attached (else a
    /// resume replaced it already). `ends_session`: the way it ended ends
    /// the session too (the client closed with 1000, the server shuts
    /// down), told to the application as `info`.
    pub(crate) fn detach(&self, id: ConnId, ends_session: Option<&CloseInfo>) -> bool {
        let mut state = self.lock();
        if !state.is_attached(id) {
            return false;
        }
        state.attached = None;
        if let Some(info) = ends_session
            && !state.session.is_over()
        {
            state.session.end();
            state.end = Some(Box::new(info.clone()));
        }
        state.session.detached(Instant::now());
        self.rearm(&mut state);
        true
    }

    /// Whether the session is over.
    pub(crate) fn is_over(&self) -> bool {
        self.over.load(Ordering::Acquire)
    }

    /// How the application is told the session ended: as it ended, or
    /// else as its last transport did (`fallback`).
    pub(crate) fn end_info(&self, fallback: CloseInfo) -> CloseInfo {
        self.lock().end.as_deref().cloned().unwrap_or(fallback)
    }

    /// The clock woke the session for deadline `at`, at `now`: an ack or a
    /// heartbeat to send, or the grace period passed.
    pub(crate) fn fire(&self, at: Instant, now: Instant) -> Fired {
        let mut state = self.lock();
        if state.armed != Some(at) {
            return Fired::Stale;
        }
        state.armed = None;
        match state.session.timer_fired(now) {
            TimerStep::Send(control) => {
                if let Some(attached) = &state.attached {
                    attached.send_control(&control);
                }
            }
            TimerStep::Expired => {
                let info = CloseInfo {
                    code: CloseCode::ABNORMAL,
                    reason: "session expired".to_owned(),
                    cause: CloseCause::SessionExpired,
                };
                state.end.get_or_insert(Box::new(info));
            }
            TimerStep::Wait => {}
        }
        if state.session.is_over() {
            return Fired::Over;
        }
        let next = state.session.next_deadline();
        state.armed = next;
        Fired::Next(next)
    }
}

impl LinkState {
    fn is_attached(&self, id: ConnId) -> bool {
        self.attached.as_ref().is_some_and(|attached| attached.id() == id)
    }

    /// Numbers and keeps a message (its number); past the bound (under `Close`), the
    /// session is over.
    fn commit(&mut self, message: &Message) -> Result<u64, SendError> {
        if self.session.is_over() {
            return Err(SendError::Closed);
        }
        match self.session.send(Instant::now(), message) {
            Ok(committed) => Ok(committed.number),
            Err(error) => {
                self.fail(error);
                Err(SendError::QueueFull)
            }
        }
    }

    /// The session broke on `error`: the transport is told and closed.
    fn fail(&mut self, error: SessionError) {
        if let Some(attached) = &self.attached {
            attached.fail(&error);
        }
        self.end_with(&error);
    }

    fn end_with(&mut self, error: &SessionError) {
        self.session.end();
        let frame = error.close_frame();
        self.end.get_or_insert(Box::new(CloseInfo {
            code: frame.code,
            reason: error.message.clone(),
            cause: CloseCause::SessionEnded(error.code),
        }));
    }
}

/// What the application's connection does through its session.
impl<T: Timed> SessionLink<T> {
    /// The session's id.
    pub(crate) fn id(&self) -> SessionId {
        self.lock().session.id().clone()
    }

    /// The transport attached last.
    pub(crate) fn transport(&self) -> TransportKind {
        self.lock().kind
    }

    /// The application sends `message`: numbered, kept until acknowledged,
    /// handed to the transport if one is attached.
    pub(crate) fn send(&self, message: Message) -> Result<(), SendError> {
        let mut state = self.lock();
        let number = self.commit(&mut state, &message)?;
        if let Some(attached) = &state.attached {
            attached.send_data(number, message);
        }
        Ok(())
    }

    /// As [`SessionLink::send`], for a message prepared for many.
    pub(crate) fn send_prepared(&self, message: &PreparedMessage) -> Result<(), SendError> {
        let mut state = self.lock();
        let number = self.commit(&mut state, &message.message())?;
        if let Some(attached) = &state.attached {
            attached.send_prepared(number, message);
        }
        Ok(())
    }

    /// The application closes the session.
    pub(crate) fn close(&self, code: CloseCode, reason: &str) {
        let mut state = self.lock();
        if state.session.is_over() {
            return;
        }
        state.session.end();
        let info = CloseInfo { code, reason: reason.to_owned(), cause: CloseCause::ClosedByServer };
        state.end = Some(Box::new(info));
        match &state.attached {
            Some(attached) => attached.close(code, reason),
            None => self.rearm(&mut state),
        }
    }
}
