//! A realm's registrations and the calls in flight: which session answers
//! a procedure, and which caller waits for which invocation.

use std::collections::HashMap;

use crate::id::Id;
use crate::ids::IdSource;

/// One registered procedure.
#[derive(Debug)]
struct Registration {
    procedure: String,
    callee: Id,
}

/// A call handed to a callee, waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Who called.
    pub caller: Id,
    /// The caller's CALL.Request.
    pub request: Id,
    /// Who answers.
    pub callee: Id,
}

/// The registrations and calls in flight of a realm.
#[derive(Debug, Default)]
pub struct Dealer {
    by_procedure: HashMap<String, Id>,
    registrations: HashMap<Id, Registration>,
    /// By INVOCATION.Request.
    pending: HashMap<Id, Pending>,
}

impl Dealer {
    /// Registers `procedure` for `callee`: its registration ID, or `None`
    /// if the procedure is registered already.
    pub fn register(&mut self, ids: &mut IdSource, callee: Id, procedure: &str) -> Option<Id> {
        if self.by_procedure.contains_key(procedure) {
            return None;
        }
        let id = ids.next();
        self.by_procedure.insert(procedure.to_owned(), id);
        self.registrations.insert(id, Registration { procedure: procedure.to_owned(), callee });
        Some(id)
    }

    /// Unregisters `registration` of `callee`; false if it has none such.
    pub fn unregister(&mut self, callee: Id, registration: Id) -> bool {
        match self.registrations.get(&registration) {
            Some(entry) if entry.callee == callee => {
                let entry = self.registrations.remove(&registration).expect("just found");
                self.by_procedure.remove(&entry.procedure);
                true
            }
            _ => false,
        }
    }

    /// The registration of `procedure` and its callee, if registered.
    pub fn callee(&self, procedure: &str) -> Option<(Id, Id)> {
        let id = self.by_procedure.get(procedure)?;
        Some((*id, self.registrations[id].callee))
    }

    /// Records a call handed to a callee: the INVOCATION.Request for it.
    pub fn start(&mut self, ids: &mut IdSource, call: Pending) -> Id {
        let invocation = ids.next();
        self.pending.insert(invocation, call);
        invocation
    }

    /// The call `invocation` of `callee`, answered: who waits for it.
    pub fn finish(&mut self, callee: Id, invocation: Id) -> Option<Pending> {
        match self.pending.get(&invocation) {
            Some(call) if call.callee == callee => self.pending.remove(&invocation),
            _ => None,
        }
    }

    /// `session` left: its registrations go, and so do the calls it made;
    /// the calls it was answering are returned (their callers get an error).
    pub fn remove_session(&mut self, session: Id) -> Vec<Pending> {
        let theirs: Vec<Id> = self
            .registrations
            .iter()
            .filter(|(_, r)| r.callee == session)
            .map(|(id, _)| *id)
            .collect();
        for registration in theirs {
            self.unregister(session, registration);
        }
        self.pending.retain(|_, call| call.caller != session);
        let mut orphaned: Vec<(Id, Pending)> = self
            .pending
            .iter()
            .filter(|(_, call)| call.callee == session)
            .map(|(i, c)| (*i, *c))
            .collect();
        orphaned.sort_by_key(|(invocation, _)| *invocation);
        for (invocation, _) in &orphaned {
            self.pending.remove(invocation);
        }
        orphaned.into_iter().map(|(_, call)| call).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    #[test]
    fn one_callee_per_procedure_and_its_calls_follow_it() {
        let (mut dealer, mut ids) = (Dealer::default(), IdSource::new());
        let registration = dealer.register(&mut ids, id(1), "add").unwrap();
        assert_eq!(dealer.register(&mut ids, id(2), "add"), None, "procedure_already_exists");
        assert_eq!(dealer.callee("add"), Some((registration, id(1))));
        assert!(!dealer.unregister(id(2), registration), "only its callee unregisters it");

        let call = Pending { caller: id(2), request: id(7), callee: id(1) };
        let invocation = dealer.start(&mut ids, call);
        assert_eq!(dealer.finish(id(3), invocation), None, "another session cannot answer");
        assert_eq!(dealer.finish(id(1), invocation), Some(call));
        assert_eq!(dealer.finish(id(1), invocation), None, "answered once");

        // The callee leaves with a call in flight: its caller is told.
        let invocation = dealer.start(&mut ids, call);
        assert_eq!(dealer.remove_session(id(1)), vec![call]);
        assert_eq!(dealer.callee("add"), None);
        assert_eq!(dealer.finish(id(1), invocation), None);
    }

    #[test]
    fn a_caller_that_leaves_drops_its_calls() {
        let (mut dealer, mut ids) = (Dealer::default(), IdSource::new());
        dealer.register(&mut ids, id(1), "add").unwrap();
        let invocation =
            dealer.start(&mut ids, Pending { caller: id(2), request: id(7), callee: id(1) });
        assert!(dealer.remove_session(id(2)).is_empty());
        assert_eq!(dealer.finish(id(1), invocation), None, "nobody waits for it any more");
    }
}
