//! A role: the permission rules its sessions act under.
//!
//! **The most specific matching rule decides alone.** Among the rules that
//! match a URI, the one of greatest [`Specificity`] is chosen, and its flag
//! for the action is the answer: exact over prefix over wildcard, a longer
//! prefix over a shorter one, wildcards ranked as the WAMP spec ranks
//! pattern-based registrations. A narrower rule can therefore take away
//! what a broader one gives (`com.example.` allowing everything, an exact
//! `com.example.admin` allowing only `call`: publishing to
//! `com.example.admin` is denied). No matching rule: denied.
//!
//! Why this order: it is the WAMP spec's order for choosing among matching
//! registrations, the one rule the spec gives for ranking match policies.
//! Crossbar's static authorizer agrees on exact first and on the longest
//! prefix, and also lets one rule decide alone, but differs in two corner
//! cases which are not followed here: a matching wildcard rule there wins
//! over a matching prefix rule, and its longest-prefix lookup runs over the
//! exact and prefix rules together, so an exact rule for `a.b` makes
//! `a.b.c` fall to the default (deny) even when a prefix rule `a.` would
//! match it. Two rules of equal specificity that match the same URI are the
//! same rule; the first one listed is used (the config file refuses such
//! duplicates).

use super::action::Action;
use super::permission::Permission;
use crate::pattern::{MatchPolicy, Specificity};

/// A named set of permission rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    name: String,
    permissions: Vec<Permission>,
}

impl Role {
    /// The role `name` with these rules.
    pub fn new(name: impl Into<String>, permissions: impl IntoIterator<Item = Permission>) -> Self {
        Self { name: name.into(), permissions: permissions.into_iter().collect() }
    }

    /// The role `name` allowed every action on every URI (crossbar's
    /// default `anonymous` role: prefix `""`, all four actions).
    pub fn allow_all(name: impl Into<String>) -> Self {
        let every = Permission::new("", MatchPolicy::Prefix).expect("the empty prefix").allow_all();
        Self::new(name, [every])
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its rules, as listed.
    pub fn permissions(&self) -> &[Permission] {
        &self.permissions
    }

    /// The rule that decides for `uri`: the most specific that matches.
    pub fn rule_for(&self, uri: &str) -> Option<&Permission> {
        let mut best: Option<(&Permission, Specificity)> = None;
        for rule in self.permissions.iter().filter(|rule| rule.matches(uri)) {
            let specificity = rule.specificity();
            if best.as_ref().is_none_or(|(_, top)| specificity > *top) {
                best = Some((rule, specificity));
            }
        }
        best.map(|(rule, _)| rule)
    }

    /// Whether the role may do `action` on `uri`.
    pub fn allows(&self, action: Action, uri: &str) -> bool {
        self.rule_for(uri).is_some_and(|rule| rule.allows(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use MatchPolicy::*;

    fn rule(uri: &str, policy: MatchPolicy, actions: &[Action]) -> Permission {
        actions.iter().fold(Permission::new(uri, policy).unwrap(), |p, a| p.allow(*a))
    }

    #[test]
    fn exact_beats_prefix_beats_wildcard() {
        let role = Role::new(
            "r",
            [
                rule("com..news", Wildcard, &[Call]),
                rule("com.", Prefix, &[Publish]),
                rule("com.example.news", Exact, &[Subscribe]),
            ],
        );
        // All three match: the exact rule decides.
        assert!(role.allows(Subscribe, "com.example.news"));
        assert!(!role.allows(Publish, "com.example.news"));
        // Prefix and wildcard match: the prefix decides.
        assert!(role.allows(Publish, "com.other.news"));
        assert!(!role.allows(Call, "com.other.news"));
        // Only the wildcard matches.
        let wild = Role::new("w", [rule("com..news", Wildcard, &[Call])]);
        assert!(wild.allows(Call, "com.other.news"));
    }

    #[test]
    fn the_longer_prefix_wins_and_may_take_rights_away() {
        let role = Role::new(
            "r",
            [rule("com.", Prefix, &[Call, Publish]), rule("com.example.admin.", Prefix, &[Call])],
        );
        assert!(role.allows(Publish, "com.example.x"));
        assert!(role.allows(Call, "com.example.admin.reset"));
        assert!(!role.allows(Publish, "com.example.admin.reset"));
    }

    #[test]
    fn an_exact_rule_does_not_hide_a_shorter_prefix_from_longer_uris() {
        // Crossbar would deny a.b.c here (see the module's doc).
        let role = Role::new("r", [rule("a.", Prefix, &[Call]), rule("a.b", Exact, &[])]);
        assert!(!role.allows(Call, "a.b"));
        assert!(role.allows(Call, "a.b.c"));
    }

    #[test]
    fn wildcards_rank_by_their_runs_of_fixed_components() {
        let role = Role::new(
            "r",
            [rule("a1.b2..d4.e5", Wildcard, &[Call]), rule("a1.b2.c33..e5", Wildcard, &[Publish])],
        );
        assert!(role.allows(Publish, "a1.b2.c33.d4.e5"));
        assert!(!role.allows(Call, "a1.b2.c33.d4.e5"));
        assert!(role.allows(Call, "a1.b2.c55.d4.e5"));
    }

    #[test]
    fn nothing_matching_is_denied() {
        let role = Role::new("r", [rule("com.example.", Prefix, &Action::ALL)]);
        assert!(!role.allows(Call, "org.example.x"));
        assert!(Role::new("empty", []).rule_for("a").is_none());
        assert!(Role::allow_all("anonymous").allows(Register, "any.thing"));
    }
}
