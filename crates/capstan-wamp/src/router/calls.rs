//! The calls in flight of a realm: which caller waits for which invocation,
//! found by INVOCATION.Request (the callee's answer), by the caller's
//! CALL.Request (its CANCEL) and by session (who leaves).

use std::collections::{BTreeSet, HashMap};

use crate::id::Id;
use crate::ids::IdSource;

/// A call handed to a callee, waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// Who called.
    pub caller: Id,
    /// The caller's CALL.Request.
    pub request: Id,
    /// Who answers.
    pub callee: Id,
    /// The caller takes progressive results (`receive_progress`).
    pub receive_progress: bool,
    /// The router's timeout for it, in milliseconds, if it runs one.
    pub timeout_ms: Option<u64>,
    /// Counts the timers armed for it: a timer that fires for an older
    /// one is stale (a progressive result re-armed it).
    pub timer: u64,
    /// The caller canceled with `kill`: the callee was interrupted and its
    /// answer, when it comes, ends the call.
    pub interrupted: bool,
}

/// The calls in flight.
#[derive(Debug, Default)]
pub struct Calls {
    by_invocation: HashMap<Id, Call>,
    by_request: HashMap<(Id, Id), Id>,
    by_session: HashMap<Id, BTreeSet<Id>>,
}

impl Calls {
    /// Records `call`: its INVOCATION.Request.
    pub fn start(&mut self, ids: &mut IdSource, call: Call) -> Id {
        let invocation = ids.next();
        self.by_invocation.insert(invocation, call);
        self.by_request.insert((call.caller, call.request), invocation);
        self.by_session.entry(call.caller).or_default().insert(invocation);
        self.by_session.entry(call.callee).or_default().insert(invocation);
        invocation
    }

    /// The call `invocation`, if `callee` is answering it.
    pub fn answering(&mut self, callee: Id, invocation: Id) -> Option<&mut Call> {
        self.by_invocation.get_mut(&invocation).filter(|call| call.callee == callee)
    }

    /// The invocation of `caller`'s CALL `request`, if in flight.
    pub fn of_request(&self, caller: Id, request: Id) -> Option<Id> {
        self.by_request.get(&(caller, request)).copied()
    }

    /// The call `invocation`, to change it.
    pub fn get_mut(&mut self, invocation: Id) -> Option<&mut Call> {
        self.by_invocation.get_mut(&invocation)
    }

    /// The call `invocation` is over: forgotten, and returned.
    pub fn finish(&mut self, invocation: Id) -> Option<Call> {
        let call = self.by_invocation.remove(&invocation)?;
        self.by_request.remove(&(call.caller, call.request));
        for session in [call.caller, call.callee] {
            if let Some(theirs) = self.by_session.get_mut(&session) {
                theirs.remove(&invocation);
                if theirs.is_empty() {
                    self.by_session.remove(&session);
                }
            }
        }
        Some(call)
    }

    /// Every call `session` makes or answers, in invocation order, ended.
    pub fn remove_session(&mut self, session: Id) -> Vec<(Id, Call)> {
        let theirs = self.by_session.remove(&session).unwrap_or_default();
        theirs.into_iter().filter_map(|i| self.finish(i).map(|call| (i, call))).collect()
    }

    /// How many calls are in flight.
    pub fn len(&self) -> usize {
        self.by_invocation.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_invocation.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    fn call(caller: u64, request: u64, callee: u64) -> Call {
        Call {
            caller: id(caller),
            request: id(request),
            callee: id(callee),
            receive_progress: false,
            timeout_ms: None,
            timer: 0,
            interrupted: false,
        }
    }

    #[test]
    fn a_call_is_found_by_invocation_by_request_and_by_session_until_it_ends() {
        let (mut calls, mut ids) = (Calls::default(), IdSource::new());
        let first = calls.start(&mut ids, call(1, 7, 2));
        let second = calls.start(&mut ids, call(3, 7, 2));
        assert!(calls.answering(id(3), first).is_none(), "only its callee answers it");
        assert!(calls.answering(id(2), first).is_some());
        assert_eq!(calls.of_request(id(1), id(7)), Some(first));
        assert_eq!(calls.of_request(id(3), id(7)), Some(second));
        assert_eq!(calls.finish(first), Some(call(1, 7, 2)));
        assert_eq!(calls.finish(first), None, "answered once");
        assert_eq!(calls.of_request(id(1), id(7)), None);

        // The callee leaves: its call is handed back, and nothing is left.
        assert_eq!(calls.remove_session(id(2)), vec![(second, call(3, 7, 2))]);
        assert!(calls.is_empty() && calls.remove_session(id(3)).is_empty());
    }
}
