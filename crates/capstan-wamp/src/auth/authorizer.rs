//! A realm's authorizer: whether a session, by its `authrole`, may call,
//! register, publish or subscribe on a URI. The router asks before each
//! such message and answers a denial with ERROR `wamp.error.not_authorized`
//! ([`NotAuthorized`]). A role the realm does not define may do nothing.
//!
//! The URI judged is the one in the message as the client wrote it: for a
//! pattern-based SUBSCRIBE or REGISTER, the pattern (`com.example.` with
//! `match: prefix` is judged as the URI `com.example.`), as crossbar does.

use std::collections::BTreeMap;
use std::fmt;

use super::action::Action;
use super::error::NOT_AUTHORIZED;
use super::role::Role;
use crate::pattern::MatchPolicy;

/// The roles of a realm, by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Authorizer {
    roles: BTreeMap<String, Role>,
}

/// Why an action was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The session's role is not defined on the realm.
    UnknownRole,
    /// No rule of the role matches the URI.
    NoMatchingRule,
    /// The most specific matching rule does not allow the action.
    RuleDenies {
        /// That rule's URI.
        uri: String,
        /// That rule's policy.
        policy: MatchPolicy,
    },
}

/// An action the session's role may not do: answer ERROR with
/// [`uri`](Self::uri) (`wamp.error.not_authorized`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAuthorized {
    /// The session's role.
    pub authrole: String,
    /// What it tried.
    pub action: Action,
    /// On what.
    pub resource: String,
    /// Why not (for logs; the message shown to the client leaves it out, so
    /// as not to disclose the realm's rules).
    pub denial: Denial,
}

impl NotAuthorized {
    /// The error URI: `wamp.error.not_authorized`.
    pub fn uri(&self) -> &'static str {
        NOT_AUTHORIZED
    }
}

impl fmt::Display for NotAuthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { authrole, action, resource, .. } = self;
        write!(f, "role {authrole:?} is not authorized to {action} {resource:?}")
    }
}

impl std::error::Error for NotAuthorized {}

impl Authorizer {
    /// An authorizer with these roles (a later role of the same name
    /// replaces an earlier one).
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        Self { roles: roles.into_iter().map(|role| (role.name().to_owned(), role)).collect() }
    }

    /// One role, `role`, allowed everything (crossbar's default realm).
    pub fn allow_all(role: impl Into<String>) -> Self {
        Self::new([Role::allow_all(role)])
    }

    /// The role called `name`.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    /// The roles, by name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// Whether a session of role `authrole` may do `action` on `uri`.
    pub fn allows(&self, authrole: &str, action: Action, uri: &str) -> bool {
        self.check(authrole, action, uri).is_ok()
    }

    /// [`allows`](Self::allows), saying why not.
    pub fn check(&self, authrole: &str, action: Action, uri: &str) -> Result<(), NotAuthorized> {
        let denial = match self.roles.get(authrole) {
            None => Denial::UnknownRole,
            Some(role) => match role.rule_for(uri) {
                None => Denial::NoMatchingRule,
                Some(rule) if rule.allows(action) => return Ok(()),
                Some(rule) => {
                    Denial::RuleDenies { uri: rule.uri().to_owned(), policy: rule.policy() }
                }
            },
        };
        Err(NotAuthorized {
            authrole: authrole.to_owned(),
            action,
            resource: uri.to_owned(),
            denial,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Permission;

    fn authorizer() -> Authorizer {
        let user = Role::new(
            "user",
            [Permission::new("com.example.", MatchPolicy::Prefix).unwrap().allow_all()],
        );
        let restricted = Role::new(
            "restricted",
            [Permission::new("com.example.news", MatchPolicy::Exact)
                .unwrap()
                .allow(Action::Subscribe)],
        );
        Authorizer::new([user, restricted])
    }

    #[test]
    fn roles_allow_what_their_rules_allow() {
        let authorizer = authorizer();
        for action in Action::ALL {
            assert!(authorizer.allows("user", action, "com.example.add2"), "{action}");
        }
        assert!(authorizer.allows("restricted", Action::Subscribe, "com.example.news"));
        assert!(!authorizer.allows("restricted", Action::Publish, "com.example.news"));
    }

    #[test]
    fn denials_say_why() {
        let authorizer = authorizer();
        let unknown = authorizer.check("admin", Action::Call, "com.example.add2").unwrap_err();
        assert_eq!(unknown.denial, Denial::UnknownRole);
        let unmatched = authorizer.check("user", Action::Call, "org.x").unwrap_err();
        assert_eq!(unmatched.denial, Denial::NoMatchingRule);
        let denied =
            authorizer.check("restricted", Action::Publish, "com.example.news").unwrap_err();
        assert_eq!(
            denied.denial,
            Denial::RuleDenies { uri: "com.example.news".into(), policy: MatchPolicy::Exact }
        );
        assert_eq!(denied.uri(), "wamp.error.not_authorized");
        assert_eq!(
            denied.to_string(),
            "role \"restricted\" is not authorized to publish \"com.example.news\""
        );
    }

    #[test]
    fn allow_all_is_crossbars_default_role() {
        let open = Authorizer::allow_all("anonymous");
        assert!(open.allows("anonymous", Action::Register, "any.uri"));
        assert!(!open.allows("user", Action::Register, "any.uri"));
    }
}
