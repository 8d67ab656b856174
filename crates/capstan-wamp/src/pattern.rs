//! How a pattern matches a URI (Advanced Profile, "Pattern-based
//! Subscriptions/Registrations"; the same policies rank authorization
//! rules): exactly, as a prefix of it, or component by component with empty
//! components as wildcards. And which of several matching patterns wins.

use std::cmp::Ordering;

use crate::uri::{self, InvalidUri, UriRule};
use crate::value::{Dict, Value};

/// A subscription's or registration's match policy (`Options.match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum MatchPolicy {
    /// The URI itself (the default).
    #[default]
    Exact,
    /// Every URI that starts with it (`com.app` matches `com.app.x`, `com.app2`).
    Prefix,
    /// Every URI with as many components, equal where the pattern's is not
    /// empty (`com..update` matches `com.a.update`).
    Wildcard,
}

/// `Options.match` names no policy this router knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMatchPolicy(pub String);

impl std::fmt::Display for UnknownMatchPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown match policy {:?} (exact, prefix or wildcard)", self.0)
    }
}

impl MatchPolicy {
    /// The policy `options` ask for (`match`; absent: exact).
    pub fn from_options(options: &Dict) -> Result<Self, UnknownMatchPolicy> {
        match options.get("match") {
            None => Ok(Self::Exact),
            Some(Value::Str(name)) => match name.as_str() {
                "exact" => Ok(Self::Exact),
                "prefix" => Ok(Self::Prefix),
                "wildcard" => Ok(Self::Wildcard),
                other => Err(UnknownMatchPolicy(other.to_owned())),
            },
            Some(other) => Err(UnknownMatchPolicy(other.kind().to_owned())),
        }
    }

    /// Its name in the protocol, the meta API and the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Prefix => "prefix",
            Self::Wildcard => "wildcard",
        }
    }

    /// Checks `pattern` as this policy's URI: an exact one has no empty
    /// component; a prefix or wildcard pattern may (`com.app.` is a prefix).
    pub fn check(self, pattern: &str) -> Result<(), InvalidUri> {
        uri::check(pattern, UriRule::Loose, self != Self::Exact)
    }

    /// Whether `pattern` under this policy matches `uri`.
    pub fn matches(self, pattern: &str, uri: &str) -> bool {
        match self {
            Self::Exact => pattern == uri,
            Self::Prefix => uri.starts_with(pattern),
            Self::Wildcard => {
                let (mut want, mut have) = (pattern.split('.'), uri.split('.'));
                loop {
                    match (want.next(), have.next()) {
                        (None, None) => return true,
                        (Some(w), Some(h)) if w.is_empty() || w == h => {}
                        _ => return false,
                    }
                }
            }
        }
    }
}

impl std::fmt::Display for MatchPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How well a pattern matches, to pick one registration among several
/// (Advanced Profile, "Calls matching multiple registrations"): exact beats
/// prefix beats wildcard; among prefixes the one with more components (then
/// more characters) wins; among wildcards, the longer first run of literal
/// components wins, then the longer second run, and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specificity {
    policy: MatchPolicy,
    /// Prefix: (components, characters). Wildcard: the literal runs.
    score: Vec<usize>,
}

impl Specificity {
    /// The specificity of `pattern` under `policy`.
    pub fn of(policy: MatchPolicy, pattern: &str) -> Self {
        let score = match policy {
            MatchPolicy::Exact => Vec::new(),
            MatchPolicy::Prefix => vec![pattern.split('.').count(), pattern.len()],
            MatchPolicy::Wildcard => {
                let mut runs = vec![0];
                for component in pattern.split('.') {
                    if component.is_empty() {
                        runs.push(0);
                    } else {
                        *runs.last_mut().expect("never empty") += 1;
                    }
                }
                runs
            }
        };
        Self { policy, score }
    }
}

impl Ord for Specificity {
    fn cmp(&self, other: &Self) -> Ordering {
        // Exact < Prefix < Wildcard as policies: reversed, exact is best.
        other.policy.cmp(&self.policy).then_with(|| self.score.cmp(&other.score))
    }
}

impl PartialOrd for Specificity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchPolicy::*;

    #[test]
    fn prefixes_match_by_characters_and_wildcards_by_whole_components() {
        let prefix = "com.myapp.topic.emergency";
        for yes in ["com.myapp.topic.emergency.11", "com.myapp.topic.emergency-low", prefix] {
            assert!(Prefix.matches(prefix, yes), "{yes}");
        }
        assert!(!Prefix.matches(prefix, "com.myapp.topic.emerge"));

        let pattern = "com.myapp..userevent";
        for yes in ["com.myapp.foo.userevent", "com.myapp.a12.userevent"] {
            assert!(Wildcard.matches(pattern, yes), "{yes}");
        }
        for no in ["com.myapp.foo.userevent.bar", "com.myapp.foo.user", "com.myapp2.foo.userevent"]
        {
            assert!(!Wildcard.matches(pattern, no), "{no}");
        }
        assert!(Exact.matches("a.b", "a.b") && !Exact.matches("a.b", "a.b.c"));
    }

    #[test]
    fn options_name_the_policy_and_unknown_ones_are_refused() {
        let with = |v: Value| Dict::from([("match".to_owned(), v)]);
        assert_eq!(MatchPolicy::from_options(&Dict::new()), Ok(Exact));
        assert_eq!(MatchPolicy::from_options(&with("prefix".into())), Ok(Prefix));
        assert_eq!(MatchPolicy::from_options(&with("wildcard".into())), Ok(Wildcard));
        assert!(MatchPolicy::from_options(&with("regex".into())).is_err());
        assert!(MatchPolicy::from_options(&with(Value::Int(1))).is_err());
        assert!(Prefix.check("com.app.").is_ok() && Exact.check("com.app.").is_err());
    }

    /// The examples of the spec's "Calls matching multiple registrations".
    #[test]
    fn the_most_specific_registration_wins_as_in_the_spec() {
        let registered = [
            (Exact, "a1.b2.c3.d4.e55"),
            (Prefix, "a1.b2.c3"),
            (Prefix, "a1.b2.c3.d4"),
            (Wildcard, "a1.b2..d4.e5"),
            (Wildcard, "a1.b2.c33..e5"),
            (Wildcard, "a1.b2..d4.e5..g7"),
            (Wildcard, "a1.b2..d4..f6.g7"),
        ];
        let best = |uri: &str| {
            registered
                .iter()
                .enumerate()
                .filter(|(_, (policy, pattern))| policy.matches(pattern, uri))
                .max_by_key(|(_, (policy, pattern))| Specificity::of(*policy, pattern))
                .map(|(index, _)| index + 1)
        };
        assert_eq!(best("a1.b2.c3.d4.e55"), Some(1));
        assert_eq!(best("a1.b2.c3.d98.e74"), Some(2));
        assert_eq!(best("a1.b2.c3.d4.e325"), Some(3));
        assert_eq!(best("a1.b2.c55.d4.e5"), Some(4));
        // The spec's example answers 5 here, but by its own prefix rule
        // (characters: `com.myapp.myobject1-mysubobject1` matches the
        // prefix `com.myapp.myobject1`), and crossbar's, `a1.b2.c3` is a
        // prefix of `a1.b2.c33.d4.e5`. Among the wildcards, 5 wins.
        assert_eq!(best("a1.b2.c33.d4.e5"), Some(2));
        let (four, five) = (registered[3], registered[4]);
        assert!(Specificity::of(five.0, five.1) > Specificity::of(four.0, four.1));
        assert_eq!(best("a1.b2.c88.d4.e5.f6.g7"), Some(6));
        assert_eq!(best("a2.b2.c2.d2.e2"), None);
    }
}
