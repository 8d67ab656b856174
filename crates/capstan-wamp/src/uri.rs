//! URI checks (WAMP v2 §"URIs"): components separated by dots. Loose URIs
//! allow any component without whitespace, `.` or `#`; strict ones only
//! `[0-9a-z_]`. Patterns of wildcard subscriptions and registrations may
//! have empty components (`com..update`), and a prefix may be shorter.

use std::fmt;

/// Which characters a component may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UriRule {
    /// Anything but whitespace, `.` and `#` (the default for routers).
    #[default]
    Loose,
    /// Lowercase ASCII letters, digits and `_`.
    Strict,
}

/// A URI that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUri {
    /// The URI.
    pub uri: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for InvalidUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid URI {:?}: {}", self.uri, self.reason)
    }
}

impl std::error::Error for InvalidUri {}

/// Checks `uri` under `rule`; `empty_components`: whether components may be
/// empty (wildcard patterns).
pub fn check(uri: &str, rule: UriRule, empty_components: bool) -> Result<(), InvalidUri> {
    let invalid = |reason| Err(InvalidUri { uri: uri.to_owned(), reason });
    if uri.is_empty() {
        return invalid("empty");
    }
    for component in uri.split('.') {
        if component.is_empty() {
            if !empty_components {
                return invalid("an empty component");
            }
            continue;
        }
        let allowed = |c: char| match rule {
            UriRule::Loose => !c.is_whitespace() && c != '#',
            UriRule::Strict => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
        };
        if !component.chars().all(allowed) {
            return invalid(match rule {
                UriRule::Loose => "whitespace or '#' in a component",
                UriRule::Strict => "a character other than a-z, 0-9 and '_'",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_uris_refuse_whitespace_hash_and_empty_components() {
        for good in ["com.myapp.topic1", "com.MyApp.Topic-1", "wamp.session.on_join", "a"] {
            assert_eq!(check(good, UriRule::Loose, false), Ok(()), "{good}");
        }
        for bad in ["", "com..topic", ".com", "com.", "com.my app", "com.#", "com.a\tb"] {
            assert!(check(bad, UriRule::Loose, false).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn strict_uris_take_lowercase_digits_and_underscores_only() {
        assert_eq!(check("com.myapp.topic_1", UriRule::Strict, false), Ok(()));
        for bad in ["com.MyApp", "com.my-app", "com.myäpp"] {
            assert!(check(bad, UriRule::Strict, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcard_patterns_may_have_empty_components() {
        for pattern in ["com..update", ".myapp.", "com.myapp..", ".."] {
            assert_eq!(check(pattern, UriRule::Loose, true), Ok(()), "{pattern}");
        }
        assert!(check("", UriRule::Loose, true).is_err());
        assert!(check("com.. x", UriRule::Loose, true).is_err());
    }
}
