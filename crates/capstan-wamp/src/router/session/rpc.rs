//! A joined session's REGISTER, UNREGISTER, CALL, CANCEL, YIELD and
//! INVOCATION ERROR: shared and pattern registrations, caller
//! identification, progressive results, canceling (skip, kill, killnowait)
//! and timeouts, and what happens to calls when a session leaves.

use super::super::calls::Call;
use super::super::dealer::{Callee, InvokePolicy, RegisterRefusal, Unregistered};
use super::super::errors::*;
use super::super::realm::Realm;
use super::super::{Out, Router};
use super::{InRealm, meta};
use crate::auth::Action;
use crate::id::Id;
use crate::ids::IdSource;
use crate::message::{Code, Message, Payload};
use crate::pattern::MatchPolicy;
use crate::value::{Dict, Value};

/// How a CANCEL ends a call (`CANCEL.Options.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelMode {
    /// ERROR to the caller now; the callee is not told, its answer dropped.
    Skip,
    /// INTERRUPT to the callee; its answer, when it comes, ends the call.
    Kill,
    /// INTERRUPT to the callee and ERROR to the caller now.
    KillNoWait,
}

impl CancelMode {
    fn read(options: &Dict) -> Result<Self, String> {
        match options.get("mode") {
            // The spec names no default: as crossbar, the caller hears now.
            None => Ok(Self::KillNoWait),
            Some(Value::Str(mode)) => match mode.as_str() {
                "skip" => Ok(Self::Skip),
                "kill" => Ok(Self::Kill),
                "killnowait" => Ok(Self::KillNoWait),
                other => Err(format!("unknown cancel mode {other:?} (skip, kill, killnowait)")),
            },
            Some(other) => {
                Err(format!("CANCEL.Options.mode must be a string, not {}", other.kind()))
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Kill => "kill",
            Self::KillNoWait => "killnowait",
        }
    }
}

/// A boolean option, false when absent or not a boolean.
fn flag(options: &Dict, name: &str) -> bool {
    options.get(name).and_then(Value::as_bool) == Some(true)
}

impl InRealm<'_> {
    pub(super) fn register(&mut self, request: Id, options: &Dict, procedure: &str) -> Vec<Out> {
        let policies =
            MatchPolicy::from_options(options).map_err(|e| e.to_string()).and_then(|m| {
                InvokePolicy::from_options(options).map(|i| (m, i)).map_err(|e| e.to_string())
            });
        let (policy, invoke) = match policies {
            Ok(policies) => policies,
            Err(why) => return Self::error(Code::Register, request, INVALID_ARGUMENT, why),
        };
        if let Err(invalid) = policy.check(procedure) {
            return Self::error(Code::Register, request, INVALID_URI, invalid.to_string());
        }
        if meta::is_reserved(procedure) {
            let why = format!("{procedure}: wamp.* procedures are the router's own");
            return Self::error(Code::Register, request, INVALID_URI, why);
        }
        if let Err((uri, why)) = self.authorize(Action::Register, procedure) {
            return Self::error(Code::Register, request, uri, why);
        }
        let callee = Callee {
            session: self.me,
            disclose_caller: flag(options, "disclose_caller"),
            forward_timeout: flag(options, "forward_timeout"),
        };
        let made = match self.realm.dealer.register(
            self.ids,
            callee,
            procedure,
            (policy, invoke),
            Self::now,
        ) {
            Ok(made) => made,
            Err(refusal) => {
                let (uri, why) = match refusal {
                    RegisterRefusal::AlreadyRegistered => {
                        (PROCEDURE_ALREADY_EXISTS, format!("{procedure} is registered already"))
                    }
                    RegisterRefusal::InvokePolicyMismatch { registered } => (
                        PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY,
                        format!(
                            "{procedure} is registered with invocation policy {:?}, not {:?}",
                            registered.name(),
                            invoke.name()
                        ),
                    ),
                    RegisterRefusal::SessionAlreadyRegistered => (
                        PROCEDURE_ALREADY_EXISTS,
                        format!("this session registered {procedure} already"),
                    ),
                };
                return Self::error(Code::Register, request, uri, why);
            }
        };
        let mut out = vec![Out::Reply(Message::Registered { request, registration: made.id })];
        if made.created {
            let details = self.realm.dealer.get(made.id).expect("just made").details();
            let args = vec![Value::from(self.me), Value::Dict(details)];
            out.extend(self.realm.meta_event(self.ids, meta::REGISTRATION_ON_CREATE, args));
        }
        let args = vec![Value::from(self.me), Value::from(made.id)];
        out.extend(self.realm.meta_event(self.ids, meta::REGISTRATION_ON_REGISTER, args));
        out
    }

    pub(super) fn unregister(&mut self, request: Id, registration: Id) -> Vec<Out> {
        match self.realm.dealer.unregister(self.me, registration) {
            Some(gone) => {
                let done = Message::Unregistered { request: Some(request), details: None };
                let mut out = vec![Out::Reply(done)];
                out.extend(unregistered_events(self.realm, self.ids, self.me, gone));
                out
            }
            None => {
                let why = format!("no registration {registration} of this session");
                Self::error(Code::Unregister, request, NO_SUCH_REGISTRATION, why)
            }
        }
    }

    pub(super) fn call(
        &mut self,
        request: Id,
        options: &Dict,
        procedure: &str,
        payload: Payload,
    ) -> Vec<Out> {
        if let Err(invalid) = MatchPolicy::Exact.check(procedure) {
            return Self::error(Code::Call, request, INVALID_URI, invalid.to_string());
        }
        if let Err((uri, why)) = self.authorize(Action::Call, procedure) {
            return Self::error(Code::Call, request, uri, why);
        }
        if meta::is_reserved(procedure) {
            return self.meta_call(request, procedure, &payload);
        }
        let timeout_ms = match options.get("timeout") {
            None => 0,
            Some(value) => match value.as_u64() {
                Some(ms) => ms,
                None => {
                    let why = "CALL.Options.timeout must be a non-negative integer (ms)";
                    return Self::error(Code::Call, request, INVALID_ARGUMENT, why);
                }
            },
        };
        let draw = self.ids.random().get() as usize;
        let Some((registration, callee)) = self.realm.dealer.route(procedure, |n| draw % n) else {
            let why = format!("no procedure {procedure} registered");
            return Self::error(Code::Call, request, NO_SUCH_PROCEDURE, why);
        };
        let (registration, pattern) = (registration.id, registration.policy != MatchPolicy::Exact);
        let features = self.realm.members[&callee.session].features;
        let receive_progress = flag(options, "receive_progress");

        let mut details = Dict::new();
        if pattern {
            details.insert("procedure".to_owned(), Value::from(procedure));
        }
        if receive_progress && features.callee_progress {
            details.insert("receive_progress".to_owned(), Value::Bool(true));
        }
        if flag(options, "disclose_me") || callee.disclose_caller {
            let me = self.member();
            details.insert("caller".to_owned(), Value::from(me.session));
            details.insert("caller_authid".to_owned(), Value::from(me.authid.as_str()));
            details.insert("caller_authrole".to_owned(), Value::from(me.authrole.as_str()));
        }
        // The callee runs the timeout if it asked to and can; else the router.
        let callee_times = callee.forward_timeout && features.callee_timeout;
        if timeout_ms > 0 && callee_times {
            details.insert("timeout".to_owned(), Value::from_u64(timeout_ms));
        }
        let router_timeout = (timeout_ms > 0 && !callee_times).then_some(timeout_ms);
        let call = Call {
            caller: self.me,
            request,
            callee: callee.session,
            receive_progress,
            timeout_ms: router_timeout,
            timer: 0,
            interrupted: false,
        };
        let invocation = self.realm.calls.start(self.ids, call);
        let mut out = vec![Out::To(
            callee.session,
            Message::Invocation { request: invocation, registration, details, payload },
        )];
        if let Some(after_ms) = router_timeout {
            out.push(Out::Timer {
                realm: self.realm.name().to_owned(),
                invocation,
                timer: 0,
                after_ms,
            });
        }
        out
    }

    pub(super) fn cancel(&mut self, request: Id, options: &Dict) -> Vec<Out> {
        let mode = match CancelMode::read(options) {
            Ok(mode) => mode,
            Err(why) => return Self::error(Code::Cancel, request, INVALID_ARGUMENT, why),
        };
        // A call that ended already: nothing left to cancel.
        let Some(invocation) = self.realm.calls.of_request(self.me, request) else {
            return Vec::new();
        };
        let call = *self.realm.calls.get_mut(invocation).expect("indexed");
        if call.interrupted {
            return Vec::new();
        }
        let can_interrupt = self.realm.members[&call.callee].features.callee_canceling;
        let mode = if can_interrupt { mode } else { CancelMode::Skip };
        let interrupt = Out::To(
            call.callee,
            Message::Interrupt {
                request: invocation,
                options: Dict::from([("mode".to_owned(), Value::from(mode.name()))]),
            },
        );
        let canceled = Out::Reply(canceled_call(request, "the caller canceled the call"));
        match mode {
            CancelMode::Skip => {
                self.realm.calls.finish(invocation);
                vec![canceled]
            }
            CancelMode::KillNoWait => {
                self.realm.calls.finish(invocation);
                vec![interrupt, canceled]
            }
            CancelMode::Kill => {
                self.realm.calls.get_mut(invocation).expect("indexed").interrupted = true;
                vec![interrupt]
            }
        }
    }

    pub(super) fn yielded(&mut self, invocation: Id, options: &Dict, payload: Payload) -> Vec<Out> {
        // An answer to a call that ended (canceled, timed out, its caller
        // gone) is dropped, as the spec allows.
        let Some(call) = self.realm.calls.answering(self.me, invocation) else { return Vec::new() };
        if flag(options, "progress") {
            if !call.receive_progress || call.interrupted {
                return Vec::new();
            }
            let details = Dict::from([("progress".to_owned(), Value::Bool(true))]);
            let result = Message::Result { request: call.request, details, payload };
            let mut out = vec![Out::To(call.caller, result)];
            // The timeout runs from one result to the next.
            if let Some(after_ms) = call.timeout_ms {
                call.timer += 1;
                let (realm, timer) = (self.realm.name.clone(), call.timer);
                out.push(Out::Timer { realm, invocation, timer, after_ms });
            }
            return out;
        }
        let call = self.realm.calls.finish(invocation).expect("answering");
        let result = Message::Result { request: call.request, details: Dict::new(), payload };
        vec![Out::To(call.caller, result)]
    }

    pub(super) fn invocation_error(
        &mut self,
        invocation: Id,
        details: Dict,
        error: String,
        payload: Payload,
    ) -> Vec<Out> {
        if self.realm.calls.answering(self.me, invocation).is_none() {
            return Vec::new();
        }
        let call = self.realm.calls.finish(invocation).expect("answering");
        let request_type = Code::Call.number();
        let error = Message::Error { request_type, request: call.request, details, error, payload };
        vec![Out::To(call.caller, error)]
    }
}

/// ERROR `wamp.error.canceled` for the caller's `request`.
fn canceled_call(request: Id, why: &str) -> Message {
    Message::Error {
        request_type: Code::Call.number(),
        request,
        details: Dict::new(),
        error: CANCELED.into(),
        payload: Payload::args(vec![Value::from(why)]),
    }
}

/// INTERRUPT of `invocation` for a callee that takes it, with `reason`.
fn interrupt(realm: &Realm, call: &Call, invocation: Id, reason: &str) -> Option<Out> {
    let member = realm.members.get(&call.callee)?;
    member.features.callee_canceling.then(|| {
        let options = Dict::from([
            ("mode".to_owned(), Value::from("killnowait")),
            ("reason".to_owned(), Value::from(reason)),
        ]);
        Out::To(call.callee, Message::Interrupt { request: invocation, options })
    })
}

/// The calls `session` made or answered, as it leaves: a callee's callers
/// get `wamp.error.canceled`; a caller's callees are interrupted
/// (`killnowait`), as the spec asks.
pub(super) fn session_left(realm: &mut Realm, session: Id) -> Vec<Out> {
    let mut out = Vec::new();
    for (invocation, call) in realm.calls.remove_session(session) {
        if call.callee == session && call.caller != session {
            out.push(Out::To(call.caller, canceled_call(call.request, "the callee left")));
        } else if call.caller == session && call.callee != session {
            out.extend(interrupt(realm, &call, invocation, CANCELED));
        }
    }
    out
}

/// The meta events of `session` leaving a registration (and of the
/// registration going with its last callee).
pub(super) fn unregistered_events(
    realm: &Realm,
    ids: &mut IdSource,
    session: Id,
    gone: Unregistered,
) -> Vec<Out> {
    let args = || vec![Value::from(session), Value::from(gone.id)];
    let mut out = realm.meta_event(ids, meta::REGISTRATION_ON_UNREGISTER, args());
    if gone.deleted {
        out.extend(realm.meta_event(ids, meta::REGISTRATION_ON_DELETE, args()));
    }
    out
}

/// A call's timer ran out: unless it was re-armed or the call ended, the
/// caller gets `wamp.error.timeout` and the callee an INTERRUPT.
pub(crate) fn timer_fired(
    router: &mut Router,
    realm: &str,
    invocation: Id,
    timer: u64,
) -> Vec<Out> {
    let Some((realm, _)) = router.realm_and_ids(realm) else { return Vec::new() };
    let Some(call) = realm.calls.get_mut(invocation) else { return Vec::new() };
    if call.timer != timer || call.interrupted {
        return Vec::new();
    }
    let call = realm.calls.finish(invocation).expect("just found");
    let timed_out = Message::Error {
        request_type: Code::Call.number(),
        request: call.request,
        details: Dict::new(),
        error: TIMEOUT.into(),
        payload: Payload::args(vec![Value::from(format!(
            "no answer within {} ms",
            call.timeout_ms.unwrap_or_default()
        ))]),
    };
    let mut out = vec![Out::To(call.caller, timed_out)];
    out.extend(interrupt(realm, &call, invocation, TIMEOUT));
    out
}
