//! Who receives a publication (Advanced Profile, "Publisher Exclusion" and
//! "Subscriber Black- and Whitelisting"): PUBLISH.Options read once, then
//! asked of every subscriber. A subscriber receives the event when it is
//! not excluded by session, authid or authrole, and, where an eligible list
//! is given, is on it (every given list must admit it).

use std::collections::BTreeSet;

use super::member::Member;
use crate::id::Id;
use crate::value::{Dict, Value};

/// PUBLISH.Options, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublishOptions {
    /// Answer with PUBLISHED (or ERROR).
    pub acknowledge: bool,
    /// Leave the publisher out, even if subscribed (default true).
    pub exclude_me: bool,
    /// Name the publisher in EVENT.Details.
    pub disclose_me: bool,
    /// Sessions left out.
    pub exclude: BTreeSet<Id>,
    /// Authids left out.
    pub exclude_authid: BTreeSet<String>,
    /// Authroles left out.
    pub exclude_authrole: BTreeSet<String>,
    /// Only these sessions, if given.
    pub eligible: Option<BTreeSet<Id>>,
    /// Only these authids, if given.
    pub eligible_authid: Option<BTreeSet<String>>,
    /// Only these authroles, if given.
    pub eligible_authrole: Option<BTreeSet<String>>,
}

/// A PUBLISH option of the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPublishOption {
    /// The option.
    pub option: &'static str,
    /// What it must be.
    pub expected: &'static str,
}

impl std::fmt::Display for BadPublishOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PUBLISH.Options.{} must be {}", self.option, self.expected)
    }
}

impl PublishOptions {
    /// Reads `options`; a known option of the wrong type is refused.
    pub fn read(options: &Dict) -> Result<Self, BadPublishOption> {
        let flag = |option: &'static str, default: bool| match options.get(option) {
            None => Ok(default),
            Some(value) => {
                value.as_bool().ok_or(BadPublishOption { option, expected: "a boolean" })
            }
        };
        let ids = |option: &'static str| -> Result<Option<BTreeSet<Id>>, BadPublishOption> {
            let bad = BadPublishOption { option, expected: "a list of session IDs" };
            let Some(value) = options.get(option) else { return Ok(None) };
            let list = value.as_list().ok_or_else(|| bad.clone())?;
            list.iter()
                .map(|v| v.as_u64().and_then(Id::new).ok_or_else(|| bad.clone()))
                .collect::<Result<_, _>>()
                .map(Some)
        };
        let names = |option: &'static str| -> Result<Option<BTreeSet<String>>, BadPublishOption> {
            let bad = BadPublishOption { option, expected: "a list of strings" };
            let Some(value) = options.get(option) else { return Ok(None) };
            let list = value.as_list().ok_or_else(|| bad.clone())?;
            list.iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| bad.clone()))
                .collect::<Result<_, _>>()
                .map(Some)
        };
        Ok(Self {
            acknowledge: flag("acknowledge", false)?,
            exclude_me: flag("exclude_me", true)?,
            disclose_me: flag("disclose_me", false)?,
            exclude: ids("exclude")?.unwrap_or_default(),
            exclude_authid: names("exclude_authid")?.unwrap_or_default(),
            exclude_authrole: names("exclude_authrole")?.unwrap_or_default(),
            eligible: ids("eligible")?,
            eligible_authid: names("eligible_authid")?,
            eligible_authrole: names("eligible_authrole")?,
        })
    }

    /// Whether `subscriber` receives what `publisher` published.
    pub fn admits(&self, publisher: Option<Id>, subscriber: &Member) -> bool {
        let listed = |list: &Option<BTreeSet<String>>, name: &String| {
            list.as_ref().is_none_or(|list| list.contains(name))
        };
        let excluded = (self.exclude_me && publisher == Some(subscriber.session))
            || self.exclude.contains(&subscriber.session)
            || self.exclude_authid.contains(&subscriber.authid)
            || self.exclude_authrole.contains(&subscriber.authrole);
        let eligible = self.eligible.as_ref().is_none_or(|list| list.contains(&subscriber.session))
            && listed(&self.eligible_authid, &subscriber.authid)
            && listed(&self.eligible_authrole, &subscriber.authrole);
        !excluded && eligible
    }
}

/// EVENT.Details naming the publisher (`disclose_me`).
pub fn publisher_details(publisher: &Member) -> Dict {
    Dict::from([
        ("publisher".to_owned(), Value::from(publisher.session)),
        ("publisher_authid".to_owned(), Value::from(publisher.authid.as_str())),
        ("publisher_authrole".to_owned(), Value::from(publisher.authrole.as_str())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::member::ClientFeatures;

    fn member(session: u64, authid: &str, authrole: &str) -> Member {
        Member {
            session: Id::new(session).unwrap(),
            authid: authid.into(),
            authrole: authrole.into(),
            authmethod: "anonymous".into(),
            authprovider: "static".into(),
            features: ClientFeatures::default(),
            authextra: Dict::new(),
        }
    }

    fn read(pairs: &[(&str, Value)]) -> PublishOptions {
        let options = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        PublishOptions::read(&options).unwrap()
    }

    fn list(items: &[Value]) -> Value {
        Value::List(items.to_vec())
    }

    #[test]
    fn the_publisher_is_left_out_unless_it_asks_otherwise() {
        let me = member(1, "a", "user");
        let publisher = Some(me.session);
        assert!(!read(&[]).admits(publisher, &me));
        assert!(read(&[("exclude_me", false.into())]).admits(publisher, &me));
        assert!(read(&[]).admits(None, &me), "the router publishes to everyone");
    }

    #[test]
    fn exclusion_and_eligibility_by_session_authid_and_authrole_combine() {
        let (alice, bob, carol) =
            (member(2, "alice", "user"), member(3, "bob", "admin"), member(4, "carol", "user"));
        let who = |options: &PublishOptions| -> Vec<u64> {
            [&alice, &bob, &carol]
                .into_iter()
                .filter(|m| options.admits(Some(Id::new(1).unwrap()), m))
                .map(|m| m.session.get())
                .collect()
        };
        assert_eq!(who(&read(&[("exclude", list(&[Value::Int(3)]))])), [2, 4]);
        assert_eq!(who(&read(&[("exclude_authid", list(&["alice".into()]))])), [3, 4]);
        assert_eq!(who(&read(&[("exclude_authrole", list(&["user".into()]))])), [3]);
        assert_eq!(who(&read(&[("eligible", list(&[Value::Int(2), Value::Int(3)]))])), [2, 3]);
        assert_eq!(who(&read(&[("eligible_authid", list(&["carol".into()]))])), [4]);
        assert_eq!(who(&read(&[("eligible_authrole", list(&["admin".into()]))])), [3]);
        // Both: eligible and not excluded.
        let both = read(&[
            ("eligible_authrole", list(&["user".into()])),
            ("exclude", list(&[Value::Int(4)])),
        ]);
        assert_eq!(who(&both), [2]);
        assert_eq!(who(&read(&[("eligible", list(&[]))])), Vec::<u64>::new());
    }

    #[test]
    fn options_of_the_wrong_type_are_refused_by_name() {
        let refused = |key: &str, value: Value| {
            PublishOptions::read(&Dict::from([(key.to_owned(), value)])).unwrap_err().option
        };
        assert_eq!(refused("exclude", Value::Int(3)), "exclude");
        assert_eq!(refused("eligible", list(&["x".into()])), "eligible");
        assert_eq!(refused("exclude_authid", list(&[Value::Int(1)])), "exclude_authid");
        assert_eq!(refused("acknowledge", "yes".into()), "acknowledge");
        assert_eq!(refused("eligible", list(&[Value::Int(0)])), "eligible", "0 is no session ID");
    }
}
