//! CURIEs: the prefixes a WAMP v1 connection declared with PREFIX, and the
//! expansion of `prefix:rest` to the URI they stand for.

use std::borrow::Cow;
use std::collections::HashMap;

use super::error::DecodeError;

/// One connection's CURIE prefixes. Each side of a connection may declare
/// prefixes; both sides' declarations land in the same table (as in
/// Ratchet). A prefix declared again takes its new URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefixes {
    uris: HashMap<String, String>,
}

impl Prefixes {
    /// How many prefixes one connection may declare: a client cannot grow
    /// the server's memory without bound with them.
    pub const LIMIT: usize = 256;

    /// No prefixes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares `prefix` for `uri`, without bound: for the server's own
    /// declarations.
    pub fn set(&mut self, prefix: &str, uri: &str) {
        match self.uris.get_mut(prefix) {
            Some(known) => uri.clone_into(known),
            None => drop(self.uris.insert(prefix.to_owned(), uri.to_owned())),
        }
    }

    /// Declares `prefix` for `uri` as a client's PREFIX does: refused (and
    /// nothing changed) for a new prefix once [`LIMIT`](Self::LIMIT) are
    /// declared.
    pub fn set_within_limit(&mut self, prefix: &str, uri: &str) -> Result<(), DecodeError> {
        if self.uris.len() >= Self::LIMIT && !self.uris.contains_key(prefix) {
            return Err(DecodeError::TooManyPrefixes { limit: Self::LIMIT });
        }
        self.set(prefix, uri);
        Ok(())
    }

    /// The URI `prefix` stands for, if declared.
    pub fn get(&self, prefix: &str) -> Option<&str> {
        self.uris.get(prefix).map(String::as_str)
    }

    /// How many prefixes are declared.
    pub fn len(&self) -> usize {
        self.uris.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.uris.is_empty()
    }

    /// `curie_or_uri` with a declared prefix expanded: `prefix:rest` becomes
    /// the prefix's URI followed by `rest`. Anything else — a full URI
    /// (`http://…`, whose `http` is no declared prefix), an undeclared
    /// prefix, text without a colon — is returned as it is.
    pub fn expand<'a>(&self, curie_or_uri: &'a str) -> Cow<'a, str> {
        let Some((prefix, rest)) = curie_or_uri.split_once(':') else {
            return Cow::Borrowed(curie_or_uri);
        };
        match self.uris.get(prefix) {
            Some(uri) => Cow::Owned(format!("{uri}{rest}")),
            None => Cow::Borrowed(curie_or_uri),
        }
    }

    /// [`expand`](Self::expand), into an owned string (kept as it is when
    /// nothing expands).
    pub fn expand_owned(&self, curie_or_uri: String) -> String {
        match self.expand(&curie_or_uri) {
            Cow::Owned(expanded) => expanded,
            Cow::Borrowed(_) => curie_or_uri,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_prefix_expands_and_nothing_else_does() {
        let mut prefixes = Prefixes::new();
        prefixes.set("calc", "http://example.com/simple/calc#");
        prefixes.set_within_limit("event", "http://example.com/event/").unwrap();
        assert_eq!(prefixes.expand("calc:square"), "http://example.com/simple/calc#square");
        assert_eq!(prefixes.expand("event:a:b"), "http://example.com/event/a:b");
        assert_eq!(prefixes.expand("calc:"), "http://example.com/simple/calc#");
        // Full URIs, undeclared prefixes and plain names stay as they are.
        assert_eq!(prefixes.expand("http://example.com/x"), "http://example.com/x");
        assert_eq!(prefixes.expand("other:x"), "other:x");
        assert_eq!(prefixes.expand("calc"), "calc");
        assert!(matches!(prefixes.expand("plain"), Cow::Borrowed(_)));
        assert_eq!(prefixes.expand_owned("event:x".into()), "http://example.com/event/x");
        assert_eq!(prefixes.expand_owned("urn:x".into()), "urn:x");
    }

    #[test]
    fn an_empty_prefix_is_a_prefix_like_any_other() {
        let mut prefixes = Prefixes::new();
        prefixes.set("", "http://example.com/");
        assert_eq!(prefixes.expand(":x"), "http://example.com/x");
    }

    #[test]
    fn a_prefix_declared_again_takes_its_new_uri() {
        let mut prefixes = Prefixes::new();
        prefixes.set("p", "http://a/");
        prefixes.set_within_limit("p", "http://b/").unwrap();
        assert_eq!((prefixes.get("p"), prefixes.len()), (Some("http://b/"), 1));
        assert_eq!(prefixes.get("q"), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut prefixes = Prefixes::new();
        for n in 0..Prefixes::LIMIT {
            prefixes.set_within_limit(&format!("p{n}"), "http://a/").unwrap();
        }
        let limit = Prefixes::LIMIT;
        let refused = prefixes.set_within_limit("one-more", "u");
        assert_eq!(refused, Err(DecodeError::TooManyPrefixes { limit }));
        assert_eq!(prefixes.get("one-more"), None);
        // Declaring a known prefix again is still allowed, and the server's
        // own declarations are not bounded.
        prefixes.set_within_limit("p0", "http://b/").unwrap();
        assert_eq!(prefixes.get("p0"), Some("http://b/"));
        prefixes.set("server", "http://s/");
        assert_eq!(prefixes.len(), Prefixes::LIMIT + 1);
    }
}
