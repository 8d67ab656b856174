//! One permission rule of a role: a URI, how it matches (exact, prefix,
//! wildcard, as WAMP's subscription and registration match policies), and
//! which actions it allows. How rules rank when several match is
//! [`Specificity`]'s concern (see [`Role`](super::Role)).

use std::fmt;

use super::action::Action;
use crate::pattern::{MatchPolicy, Specificity};
use crate::uri::{self, UriRule};

/// A permission URI its policy cannot match with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPermission {
    /// The URI.
    pub uri: String,
    /// The policy.
    pub policy: MatchPolicy,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for InvalidPermission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} permission URI {:?}: {}", self.policy, self.uri, self.reason)
    }
}

impl std::error::Error for InvalidPermission {}

/// A permission rule: a URI, its match policy, and the actions allowed on
/// what it matches (none until allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    uri: String,
    policy: MatchPolicy,
    /// CALL allowed.
    pub call: bool,
    /// REGISTER allowed.
    pub register: bool,
    /// PUBLISH allowed.
    pub publish: bool,
    /// SUBSCRIBE allowed.
    pub subscribe: bool,
}

impl Permission {
    /// A rule for `uri` under `policy`, allowing nothing yet. An exact URI
    /// must be a valid (loose) URI; a wildcard one may have empty
    /// components; a prefix may also be empty (every URI) or end in `.`.
    pub fn new(uri: impl Into<String>, policy: MatchPolicy) -> Result<Self, InvalidPermission> {
        let uri = uri.into();
        let checked = match policy {
            MatchPolicy::Prefix if uri.is_empty() => Ok(()),
            MatchPolicy::Exact => uri::check(&uri, UriRule::Loose, false),
            MatchPolicy::Prefix | MatchPolicy::Wildcard => uri::check(&uri, UriRule::Loose, true),
        };
        if let Err(invalid) = checked {
            return Err(InvalidPermission { uri, policy, reason: invalid.reason });
        }
        Ok(Self { uri, policy, call: false, register: false, publish: false, subscribe: false })
    }

    /// Allows `action` too.
    pub fn allow(mut self, action: Action) -> Self {
        *self.flag(action) = true;
        self
    }

    /// Allows every action.
    pub fn allow_all(self) -> Self {
        Action::ALL.into_iter().fold(self, Self::allow)
    }

    /// Its URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Its match policy.
    pub fn policy(&self) -> MatchPolicy {
        self.policy
    }

    /// Whether it allows `action` (on what it matches).
    pub fn allows(&self, action: Action) -> bool {
        match action {
            Action::Call => self.call,
            Action::Register => self.register,
            Action::Publish => self.publish,
            Action::Subscribe => self.subscribe,
        }
    }

    fn flag(&mut self, action: Action) -> &mut bool {
        match action {
            Action::Call => &mut self.call,
            Action::Register => &mut self.register,
            Action::Publish => &mut self.publish,
            Action::Subscribe => &mut self.subscribe,
        }
    }

    /// Whether it matches `uri`.
    pub fn matches(&self, uri: &str) -> bool {
        self.policy.matches(&self.uri, uri)
    }

    /// How specific it is, to rank it against other rules that match the
    /// same URI (the spec's order for registrations: see [`Specificity`]).
    pub fn specificity(&self) -> Specificity {
        Specificity::of(self.policy, &self.uri)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(uri: &str, policy: MatchPolicy) -> Permission {
        Permission::new(uri, policy).unwrap()
    }

    #[test]
    fn exact_rules_match_their_uri_only() {
        let news = rule("com.example.news", MatchPolicy::Exact);
        assert!(news.matches("com.example.news"));
        assert!(!news.matches("com.example.news.x"));
        assert!(!news.matches("com.example.new"));
    }

    #[test]
    fn prefix_rules_match_as_text_and_the_empty_prefix_matches_all() {
        let example = rule("com.example.", MatchPolicy::Prefix);
        assert!(example.matches("com.example.a"));
        assert!(example.matches("com.example.a.b"));
        assert!(!example.matches("com.example"));
        assert!(!example.matches("org.example.a"));
        assert!(rule("com.ex", MatchPolicy::Prefix).matches("com.example"));
        assert!(rule("", MatchPolicy::Prefix).matches("anything.at.all"));
    }

    #[test]
    fn wildcard_rules_match_any_component_where_theirs_is_empty() {
        let update = rule("com..update", MatchPolicy::Wildcard);
        assert!(update.matches("com.a.update"));
        assert!(!update.matches("com.a.b.update"));
        assert!(!update.matches("com.a.delete"));
        assert!(!update.matches("com.update"));
        assert!(rule("..", MatchPolicy::Wildcard).matches("a.b.c"));
    }

    #[test]
    fn uris_are_checked_under_their_policy() {
        assert!(Permission::new("", MatchPolicy::Exact).is_err());
        assert!(Permission::new("com..x", MatchPolicy::Exact).is_err());
        assert!(Permission::new("com.my app", MatchPolicy::Prefix).is_err());
        assert!(Permission::new("com.#", MatchPolicy::Wildcard).is_err());
        assert!(Permission::new("com.example.", MatchPolicy::Prefix).is_ok());
        assert!(Permission::new("com..x", MatchPolicy::Wildcard).is_ok());
    }

    #[test]
    fn rules_allow_only_what_they_were_given() {
        let subscribe = rule("a", MatchPolicy::Exact).allow(Action::Subscribe);
        assert!(subscribe.allows(Action::Subscribe));
        assert!(!subscribe.allows(Action::Publish));
        let all = rule("a", MatchPolicy::Exact).allow_all();
        assert!(Action::ALL.into_iter().all(|action| all.allows(action)));
    }

    #[test]
    fn specificity_follows_the_specs_registration_order() {
        let s = |uri: &str, policy| rule(uri, policy).specificity();
        use MatchPolicy::*;
        assert!(s("x", Exact) > s("a1.b2.c3.d4", Prefix));
        assert!(s("", Prefix) > s("a1.b2.c3.d4.", Wildcard));
        assert!(s("a1.b2.c3.d4", Prefix) > s("a1.b2.c3", Prefix));
        // The spec's examples: a1.b2.c33..e5 over a1.b2..d4.e5 (longer
        // first run); a1.b2..d4.e5..g7 over a1.b2..d4..f6.g7 (equal first
        // runs, longer second).
        assert!(s("a1.b2.c33..e5", Wildcard) > s("a1.b2..d4.e5", Wildcard));
        assert!(s("a1.b2..d4.e5..g7", Wildcard) > s("a1.b2..d4..f6.g7", Wildcard));
    }
}
