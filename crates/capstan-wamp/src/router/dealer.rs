//! A realm's registrations: which callee answers a procedure. One
//! registration per (procedure or pattern, match policy); several callees
//! may share it when the first chose an invocation policy other than
//! `single` and the others chose the same ("Shared Registration"). A call
//! goes to the most specific matching registration, then to one of its
//! callees by that policy.

use crate::id::Id;
use crate::ids::IdSource;
use crate::pattern::{MatchPolicy, Specificity};
use crate::value::{Dict, Value};

use super::uri_index::{Indexed, UriIndex};

/// Which of a registration's callees gets a call (`REGISTER.Options.invoke`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokePolicy {
    /// One callee only (the default).
    Single,
    /// Each in turn, in the order they registered.
    RoundRobin,
    /// Any, at random.
    Random,
    /// The one registered first (hot stand-by).
    First,
    /// The one registered last.
    Last,
}

/// `Options.invoke` names no policy this router knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownInvokePolicy(pub String);

impl std::fmt::Display for UnknownInvokePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown invocation policy {:?} (single, roundrobin, random, first, last)",
            self.0
        )
    }
}

impl InvokePolicy {
    /// The policy `options` ask for (`invoke`; absent: single).
    pub fn from_options(options: &Dict) -> Result<Self, UnknownInvokePolicy> {
        match options.get("invoke") {
            None => Ok(Self::Single),
            Some(Value::Str(name)) => match name.as_str() {
                "single" => Ok(Self::Single),
                "roundrobin" => Ok(Self::RoundRobin),
                "random" => Ok(Self::Random),
                "first" => Ok(Self::First),
                "last" => Ok(Self::Last),
                other => Err(UnknownInvokePolicy(other.to_owned())),
            },
            Some(other) => Err(UnknownInvokePolicy(other.kind().to_owned())),
        }
    }

    /// Its name in the protocol and the meta API.
    pub fn name(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::RoundRobin => "roundrobin",
            Self::Random => "random",
            Self::First => "first",
            Self::Last => "last",
        }
    }
}

/// A callee attached to a registration, with its REGISTER options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Callee {
    /// Its session.
    pub session: Id,
    /// `disclose_caller`: every INVOCATION names the caller.
    pub disclose_caller: bool,
    /// `forward_timeout`: it runs call timeouts itself.
    pub forward_timeout: bool,
}

/// One registration: a procedure or pattern, its policies, its callees.
#[derive(Debug)]
pub struct Registration {
    /// Its ID.
    pub id: Id,
    /// The procedure, or the pattern.
    pub uri: String,
    /// How `uri` matches procedures.
    pub policy: MatchPolicy,
    /// Which callee gets a call.
    pub invoke: InvokePolicy,
    /// When it was made (ISO 8601, UTC).
    pub created: String,
    /// Its callees, in the order they registered.
    pub callees: Vec<Callee>,
    /// Round robin: the index of the next callee.
    next: usize,
}

impl Registration {
    /// What the meta API says of it (`wamp.registration.get`).
    pub fn details(&self) -> Dict {
        Dict::from([
            ("id".to_owned(), Value::from(self.id)),
            ("created".to_owned(), Value::from(self.created.as_str())),
            ("uri".to_owned(), Value::from(self.uri.as_str())),
            ("match".to_owned(), Value::from(self.policy.as_str())),
            ("invoke".to_owned(), Value::from(self.invoke.name())),
        ])
    }

    /// The callee for the next call; `random` draws an index below its
    /// argument.
    fn pick(&mut self, random: impl FnOnce(usize) -> usize) -> Callee {
        let count = self.callees.len();
        let index = match self.invoke {
            InvokePolicy::Single | InvokePolicy::First => 0,
            InvokePolicy::Last => count - 1,
            InvokePolicy::Random => random(count) % count,
            InvokePolicy::RoundRobin => {
                let index = self.next % count;
                self.next = (index + 1) % count;
                index
            }
        };
        self.callees[index]
    }
}

/// Why a REGISTER is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterRefusal {
    /// The procedure is registered with `single`.
    AlreadyRegistered,
    /// The procedure is shared under another invocation policy.
    InvokePolicyMismatch {
        /// The registration's policy.
        registered: InvokePolicy,
    },
    /// This session is already one of its callees.
    SessionAlreadyRegistered,
}

/// What a register did: the registration, and whether it was made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The registration's ID.
    pub id: Id,
    /// It did not exist before (`wamp.registration.on_create`).
    pub created: bool,
}

/// A callee taken off a registration, and whether that deleted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unregistered {
    /// The registration's ID.
    pub id: Id,
    /// It had no callee left and is gone (`wamp.registration.on_delete`).
    pub deleted: bool,
}

/// The registrations of a realm.
#[derive(Debug, Default)]
pub struct Dealer {
    index: UriIndex<Registration>,
}

impl Indexed for Registration {
    fn id(&self) -> Id {
        self.id
    }
    fn uri(&self) -> &str {
        &self.uri
    }
    fn policy(&self) -> MatchPolicy {
        self.policy
    }
}

impl Dealer {
    /// Registers `callee` for `uri` under `policy` and `invoke`.
    pub fn register(
        &mut self,
        ids: &mut IdSource,
        callee: Callee,
        uri: &str,
        (policy, invoke): (MatchPolicy, InvokePolicy),
        now: impl FnOnce() -> String,
    ) -> Result<Registered, RegisterRefusal> {
        let registered = match self.index.lookup(uri, policy) {
            Some(id) => {
                let existing = self.index.get_mut(id).expect("indexed");
                if existing.invoke == InvokePolicy::Single {
                    return Err(RegisterRefusal::AlreadyRegistered);
                }
                // A shared one takes only its own policy (`single` included
                // among the others, as crossbar has it).
                if existing.invoke != invoke {
                    return Err(RegisterRefusal::InvokePolicyMismatch {
                        registered: existing.invoke,
                    });
                }
                if existing.callees.iter().any(|c| c.session == callee.session) {
                    return Err(RegisterRefusal::SessionAlreadyRegistered);
                }
                existing.callees.push(callee);
                Registered { id, created: false }
            }
            None => {
                let id = ids.next();
                self.index.insert(Registration {
                    id,
                    uri: uri.to_owned(),
                    policy,
                    invoke,
                    created: now(),
                    callees: vec![callee],
                    next: 0,
                });
                Registered { id, created: true }
            }
        };
        self.index.join(callee.session, registered.id);
        Ok(registered)
    }

    /// Takes `session` off `registration`; `None` if it is not a callee of it.
    pub fn unregister(&mut self, session: Id, registration: Id) -> Option<Unregistered> {
        let entry = self.index.get_mut(registration)?;
        let index = entry.callees.iter().position(|c| c.session == session)?;
        entry.callees.remove(index);
        if entry.next > index {
            entry.next -= 1;
        }
        let deleted = entry.callees.is_empty();
        self.index.leave(session, registration);
        if deleted {
            self.index.remove(registration);
        }
        Some(Unregistered { id: registration, deleted })
    }

    /// The registration a call of `procedure` goes to: the exact one, else
    /// the most specific pattern (`wamp.registration.match`).
    pub fn best_match(&self, procedure: &str) -> Option<Id> {
        if let Some(exact) = self.index.exact(procedure) {
            return Some(exact.id);
        }
        self.index
            .patterns()
            .filter(|r| r.policy.matches(&r.uri, procedure))
            .max_by_key(|r| Specificity::of(r.policy, &r.uri))
            .map(|r| r.id)
    }

    /// Routes a call of `procedure`: its registration and the callee chosen
    /// by the registration's policy.
    pub fn route(
        &mut self,
        procedure: &str,
        random: impl FnOnce(usize) -> usize,
    ) -> Option<(&Registration, Callee)> {
        let id = self.best_match(procedure)?;
        let registration = self.index.get_mut(id).expect("matched");
        let callee = registration.pick(random);
        Some((registration, callee))
    }

    /// The registration of `uri` under `policy`, if any (`wamp.registration.lookup`).
    pub fn lookup(&self, uri: &str, policy: MatchPolicy) -> Option<Id> {
        self.index.lookup(uri, policy)
    }

    /// The registration `id`, if it exists.
    pub fn get(&self, id: Id) -> Option<&Registration> {
        self.index.get(id)
    }

    /// The IDs of every registration under `policy`, in order.
    pub fn list(&self, policy: MatchPolicy) -> Vec<Id> {
        self.index.list(policy)
    }

    /// Takes `session` off every registration (it left).
    pub fn remove_session(&mut self, session: Id) -> Vec<Unregistered> {
        let theirs = self.index.take_session(session);
        theirs.into_iter().filter_map(|id| self.unregister(session, id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> Id {
        Id::new(n).unwrap()
    }

    fn callee(n: u64) -> Callee {
        Callee { session: id(n), disclose_caller: false, forward_timeout: false }
    }

    fn now() -> String {
        "2026-12-06T00:00:00Z".into()
    }

    const EXACT_SINGLE: (MatchPolicy, InvokePolicy) = (MatchPolicy::Exact, InvokePolicy::Single);

    #[test]
    fn a_single_registration_has_one_callee_and_goes_with_it() {
        let (mut dealer, mut ids) = (Dealer::default(), IdSource::new());
        let add = dealer.register(&mut ids, callee(1), "add", EXACT_SINGLE, now).unwrap();
        assert!(add.created);
        assert_eq!(
            dealer.register(&mut ids, callee(2), "add", EXACT_SINGLE, now),
            Err(RegisterRefusal::AlreadyRegistered)
        );
        let shared = (MatchPolicy::Exact, InvokePolicy::RoundRobin);
        assert_eq!(
            dealer.register(&mut ids, callee(2), "add", shared, now),
            Err(RegisterRefusal::AlreadyRegistered),
            "a single registration takes nobody else"
        );
        assert_eq!(dealer.unregister(id(2), add.id), None, "only its callee unregisters it");
        assert_eq!(dealer.route("add", |_| 0).map(|(r, c)| (r.id, c)), Some((add.id, callee(1))));
        assert_eq!(dealer.remove_session(id(1)), vec![Unregistered { id: add.id, deleted: true }]);
        assert!(dealer.route("add", |_| 0).is_none());
    }

    #[test]
    fn shared_registrations_pick_their_callee_by_policy() {
        let (mut dealer, mut ids) = (Dealer::default(), IdSource::new());
        for policy in [InvokePolicy::RoundRobin, InvokePolicy::First, InvokePolicy::Last] {
            let uri = policy.name();
            for n in 1..=3 {
                dealer
                    .register(&mut ids, callee(n), uri, (MatchPolicy::Exact, policy), now)
                    .unwrap();
            }
        }
        let mut turns = || dealer.route("roundrobin", |_| 0).unwrap().1.session.get();
        assert_eq!([turns(), turns(), turns(), turns()], [1, 2, 3, 1]);
        assert_eq!(dealer.route("first", |_| 0).unwrap().1, callee(1));
        assert_eq!(dealer.route("last", |_| 0).unwrap().1, callee(3));

        // The second callee leaves: round robin goes on with who is next.
        let registration = dealer.lookup("roundrobin", MatchPolicy::Exact).unwrap();
        dealer.unregister(id(2), registration).unwrap();
        let mut turns = || dealer.route("roundrobin", |_| 0).unwrap().1.session.get();
        assert_eq!([turns(), turns(), turns()], [3, 1, 3]);

        dealer
            .register(&mut ids, callee(1), "r", (MatchPolicy::Exact, InvokePolicy::Random), now)
            .unwrap();
        dealer
            .register(&mut ids, callee(2), "r", (MatchPolicy::Exact, InvokePolicy::Random), now)
            .unwrap();
        assert_eq!(dealer.route("r", |n| n - 1).unwrap().1, callee(2));
        let last = (MatchPolicy::Exact, InvokePolicy::Last);
        assert_eq!(
            dealer.register(&mut ids, callee(3), "r", last, now),
            Err(RegisterRefusal::InvokePolicyMismatch { registered: InvokePolicy::Random })
        );
        let random = (MatchPolicy::Exact, InvokePolicy::Random);
        assert_eq!(
            dealer.register(&mut ids, callee(2), "r", random, now),
            Err(RegisterRefusal::SessionAlreadyRegistered)
        );
    }

    #[test]
    fn calls_go_to_the_exact_registration_then_the_most_specific_pattern() {
        let (mut dealer, mut ids) = (Dealer::default(), IdSource::new());
        let prefix = (MatchPolicy::Prefix, InvokePolicy::Single);
        let wildcard = (MatchPolicy::Wildcard, InvokePolicy::Single);
        let short = dealer.register(&mut ids, callee(1), "com.app", prefix, now).unwrap().id;
        let long = dealer.register(&mut ids, callee(2), "com.app.user", prefix, now).unwrap().id;
        let wild = dealer.register(&mut ids, callee(3), "com..get", wildcard, now).unwrap().id;
        let exact = dealer.register(&mut ids, callee(4), "com.app.user.get", EXACT_SINGLE, now);
        assert_eq!(dealer.best_match("com.app.user.get"), Some(exact.unwrap().id));
        assert_eq!(dealer.best_match("com.app.user.set"), Some(long));
        assert_eq!(dealer.best_match("com.app.other"), Some(short));
        assert_eq!(dealer.best_match("com.x.get"), Some(wild));
        assert_eq!(dealer.best_match("org.x.get"), None);
        assert_eq!(dealer.list(MatchPolicy::Prefix), vec![short, long]);
    }
}
