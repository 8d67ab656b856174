//! What HELLO.Details says about authentication: the methods the client
//! offers, in its order of preference, the authid it asks for, and
//! `authextra`. `authrole` is not read: a static principal's role is the
//! one configured (as crossbar does).

use super::error::AuthError;
use crate::value::{Dict, Value};

/// The authentication fields of HELLO.Details.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HelloAuth<'a> {
    /// `authmethods`; `["anonymous"]` when absent or empty (as crossbar).
    pub methods: Vec<&'a str>,
    /// `authid`, if given (and not null).
    pub authid: Option<&'a str>,
    /// `authextra`, if given (and not null).
    pub authextra: Option<&'a Dict>,
}

impl<'a> HelloAuth<'a> {
    /// Reads them from HELLO.Details.
    pub fn read(details: &'a Dict) -> Result<Self, AuthError> {
        let present = |key: &str| details.get(key).filter(|v| **v != Value::Null);
        let methods = match present("authmethods") {
            None => Vec::new(),
            Some(value) => strings(value).ok_or(AuthError::MalformedHello {
                field: "authmethods",
                expected: "a list of strings",
            })?,
        };
        let methods = if methods.is_empty() { vec!["anonymous"] } else { methods };
        let authid = match present("authid") {
            None => None,
            Some(value) => Some(
                value
                    .as_str()
                    .ok_or(AuthError::MalformedHello { field: "authid", expected: "a string" })?,
            ),
        };
        let authextra = match present("authextra") {
            None => None,
            Some(value) => Some(value.as_dict().ok_or(AuthError::MalformedHello {
                field: "authextra",
                expected: "a dictionary",
            })?),
        };
        Ok(Self { methods, authid, authextra })
    }

    /// `authextra[key]`, if given and not null.
    pub fn extra(&self, key: &str) -> Option<&'a Value> {
        self.authextra.and_then(|extra| extra.get(key)).filter(|v| **v != Value::Null)
    }
}

/// The value as a list of strings, if it is one.
fn strings(value: &Value) -> Option<Vec<&str>> {
    value.as_list()?.iter().map(Value::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(pairs: &[(&str, Value)]) -> Dict {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn no_methods_means_anonymous_and_order_is_kept() {
        let none = Dict::new();
        assert_eq!(HelloAuth::read(&none).unwrap().methods, ["anonymous"]);
        let empty = details(&[("authmethods", Value::List(vec![]))]);
        assert_eq!(HelloAuth::read(&empty).unwrap().methods, ["anonymous"]);
        let two = details(&[(
            "authmethods",
            Value::List(vec![Value::from("wampcra"), Value::from("ticket")]),
        )]);
        assert_eq!(HelloAuth::read(&two).unwrap().methods, ["wampcra", "ticket"]);
    }

    #[test]
    fn authid_and_authextra_are_read_and_null_is_absent() {
        let extra = Dict::from([
            ("pubkey".to_owned(), Value::from("ab")),
            ("channel_binding".to_owned(), Value::Null),
        ]);
        let given = details(&[("authid", Value::from("bob")), ("authextra", Value::Dict(extra))]);
        let hello = HelloAuth::read(&given).unwrap();
        assert_eq!(hello.authid, Some("bob"));
        assert_eq!(hello.extra("pubkey"), Some(&Value::from("ab")));
        assert_eq!(hello.extra("channel_binding"), None);
        let nulls = details(&[("authid", Value::Null), ("authextra", Value::Null)]);
        let hello = HelloAuth::read(&nulls).unwrap();
        assert_eq!((hello.authid, hello.authextra), (None, None));
    }

    #[test]
    fn fields_of_the_wrong_type_are_named() {
        let cases = [
            ("authmethods", Value::from("ticket"), "authmethods"),
            ("authmethods", Value::List(vec![Value::Int(1)]), "authmethods"),
            ("authid", Value::Int(7), "authid"),
            ("authextra", Value::List(vec![]), "authextra"),
        ];
        for (key, value, field) in cases {
            let bad = details(&[(key, value)]);
            match HelloAuth::read(&bad) {
                Err(AuthError::MalformedHello { field: named, .. }) => assert_eq!(named, field),
                other => panic!("{key}: {other:?}"),
            }
        }
    }
}
