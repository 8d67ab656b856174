//! Whole exchanges, HELLO → CHALLENGE → AUTHENTICATE, against the test
//! principals of `tests/clients/router-auth.json` (built here in code; the
//! config's tests load the file itself). Every answer a client sends below
//! was computed by autobahn-python 26.11.1 for the exact challenge this
//! router makes from the fixed randomness (07 × n) and time
//! (2014-06-22T16:36:25.448Z) of [`FixedEntropy`]:
//!
//! - WAMP-CRA: `autobahn.wamp.auth.compute_wcs(key, challenge)`, with
//!   `key = secret` or `key = autobahn.wamp.auth.derive_key(secret, salt,
//!   iterations, keylen)`;
//! - cryptosign: `CryptosignKey.from_bytes(seed).sign_challenge(Challenge(
//!   "cryptosign", extra))` (PyNaCl 1.6.2).

use std::time::{Duration, UNIX_EPOCH};

pub(crate) use super::cryptosign::tests::{DAVE, DAVE_SIGNS_07, OTHER, OTHER_SIGNS_07};
use super::entropy::FixedEntropy;
use super::*;
use crate::id::Id;
use crate::value::{Dict, Value};

/// The session ID the challenges name.
pub(crate) const SESSION: u64 = 3_251_278_072_152_162;

/// `compute_wcs("bob-secret", <bob's challenge>)`.
pub(crate) const BOB_SIGNS: &str = "sIt9iQX8vpUuHq5XAP8rh/0oZNwU+RpWi9x+IiF3YKI=";
/// `compute_wcs("wrong-secret", <bob's challenge>)`.
pub(crate) const BOB_WRONG: &str = "kPsA2h3cvUk9HQWVx98dhz+V9VoQJOBW/AkjNDX8IxM=";
/// `compute_wcs(derive_key("carol-secret", "salt123", 1000, 32), <carol's challenge>)`.
pub(crate) const CAROL_SIGNS: &str = "WwNwOWtl/tpmaNit0ut0HuaGEHoXKRPOa8ICFJ+lZAk=";
/// `compute_wcs(derive_key("wrong-secret", "salt123", 1000, 32), <carol's challenge>)`.
pub(crate) const CAROL_WRONG: &str = "svtEjuBwRh7DrKWOks/FzY4sFUTt+ajuckb0giqOyXM=";

pub(crate) fn entropy() -> FixedEntropy {
    let now = UNIX_EPOCH + Duration::from_millis(1_403_454_985_448);
    FixedEntropy { bytes: vec![7], now, broken: false }
}

fn authrealm() -> Authenticator {
    let carol_salt = Salt { salt: "salt123".into(), iterations: 1000, keylen: 32 };
    Authenticator::new("authrealm")
        .with_ticket("alice", "secret-ticket", "user")
        .with_ticket("eve", "eve-ticket", "restricted")
        .with_wampcra("bob", "bob-secret", "user", None)
        .with_wampcra("carol", "carol-secret", "user", Some(carol_salt))
        .with_cryptosign("dave", [PublicKey::from_hex(DAVE).unwrap()], "user")
}

/// HELLO.Details offering `methods` as `authid` (if any), with `authextra`.
pub(crate) fn hello(methods: &[&str], authid: Option<&str>, authextra: &[(&str, Value)]) -> Dict {
    let mut details = Dict::from([(
        "authmethods".to_owned(),
        Value::List(methods.iter().map(|m| Value::from(*m)).collect()),
    )]);
    if let Some(authid) = authid {
        details.insert("authid".to_owned(), Value::from(authid));
    }
    if !authextra.is_empty() {
        let extra = authextra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        details.insert("authextra".to_owned(), Value::Dict(extra));
    }
    details
}

fn step(authenticator: &Authenticator, details: &Dict) -> Result<Step, AuthError> {
    authenticator.hello_with(details, Id::new(SESSION).unwrap(), &mut entropy())
}

/// The challenge a HELLO gets (panics on anything else).
fn challenged(authenticator: &Authenticator, details: &Dict) -> (AuthMethod, Dict, PendingAuth) {
    match step(authenticator, details) {
        Ok(Step::Challenge { authmethod, extra, pending }) => (authmethod, extra, pending),
        other => panic!("no challenge: {other:?}"),
    }
}

fn refusal(authenticator: &Authenticator, details: &Dict) -> AuthError {
    match step(authenticator, details) {
        Err(error) => error,
        Ok(step) => panic!("admitted: {step:?}"),
    }
}

#[test]
fn anonymous_is_welcomed_where_the_realm_allows_it() {
    let realm1 = Authenticator::open("realm1", "anonymous");
    for details in [Dict::new(), hello(&["anonymous"], None, &[])] {
        let Ok(Step::Welcome(identity)) = step(&realm1, &details) else { panic!("{details:?}") };
        assert_eq!(identity.authrole, "anonymous");
        assert_eq!(identity.authmethod, AuthMethod::Anonymous);
        assert_eq!(identity.authid, SESSION.to_string());
    }
}

#[test]
fn anonymous_is_refused_where_the_realm_does_not_allow_it() {
    for details in [Dict::new(), hello(&["anonymous"], Some("alice"), &[])] {
        let error = refusal(&authrealm(), &details);
        assert_eq!(error.uri(), "wamp.error.no_auth_method");
        let AuthError::NoAcceptableMethod { realm, offered, served } = error else { panic!() };
        assert_eq!((realm.as_str(), offered), ("authrealm", vec!["anonymous".to_owned()]));
        assert_eq!(served, [AuthMethod::Ticket, AuthMethod::WampCra, AuthMethod::Cryptosign]);
    }
}

#[test]
fn no_acceptable_method_is_no_auth_method() {
    let error = refusal(&authrealm(), &hello(&["scram", "tls", "cookie"], Some("alice"), &[]));
    assert!(matches!(error, AuthError::NoAcceptableMethod { .. }), "{error:?}");
    assert_eq!(error.abort().code().name(), "ABORT");
    // A realm serving ticket only refuses a WAMP-CRA client the same way.
    let tickets = Authenticator::new("t").with_ticket("alice", "secret-ticket", "user");
    let error = refusal(&tickets, &hello(&["wampcra"], Some("bob"), &[]));
    assert_eq!(error.uri(), "wamp.error.no_auth_method");
}

#[test]
fn ticket_right_is_welcomed_with_the_principals_role() {
    let (method, extra, pending) =
        challenged(&authrealm(), &hello(&["ticket"], Some("alice"), &[]));
    assert_eq!((method, extra), (AuthMethod::Ticket, Dict::new()));
    let identity = pending.authenticate("secret-ticket", &Dict::new()).unwrap();
    assert_eq!(
        identity,
        Identity {
            authid: "alice".into(),
            authrole: "user".into(),
            authmethod: AuthMethod::Ticket,
            authprovider: "static".into(),
            authextra: Dict::new(),
        }
    );
    let (_, _, eve) = challenged(&authrealm(), &hello(&["ticket"], Some("eve"), &[]));
    assert_eq!(eve.authenticate("eve-ticket", &Dict::new()).unwrap().authrole, "restricted");
}

#[test]
fn ticket_wrong_is_not_authorized() {
    let (_, _, pending) = challenged(&authrealm(), &hello(&["ticket"], Some("alice"), &[]));
    let error = pending.authenticate("eve-ticket", &Dict::new()).unwrap_err();
    assert_eq!(error, AuthError::WrongTicket { authid: "alice".into() });
    assert_eq!(error.uri(), "wamp.error.not_authorized");
    assert!(!error.message().contains("ticket\""), "no ticket in the message: {error}");
}

#[test]
fn ticket_needs_a_known_authid() {
    let error = refusal(&authrealm(), &hello(&["ticket"], None, &[]));
    assert_eq!(error, AuthError::AuthidRequired { method: AuthMethod::Ticket });
    let error = refusal(&authrealm(), &hello(&["ticket"], Some("mallory"), &[]));
    assert_eq!(
        error,
        AuthError::UnknownPrincipal { method: AuthMethod::Ticket, authid: "mallory".into() }
    );
    assert_eq!(error.uri(), "wamp.error.not_authorized");
}

#[test]
fn wampcra_unsalted_right_and_wrong() {
    let (method, extra, pending) = challenged(&authrealm(), &hello(&["wampcra"], Some("bob"), &[]));
    assert_eq!(method, AuthMethod::WampCra);
    assert_eq!(
        extra["challenge"].as_str().unwrap(),
        r#"{"authid":"bob","authrole":"user","authmethod":"wampcra","authprovider":"static","nonce":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH","timestamp":"2014-06-22T16:36:25.448Z","session":3251278072152162}"#
    );
    assert!(!extra.contains_key("salt"));
    let identity = pending.clone().authenticate(BOB_SIGNS, &Dict::new()).unwrap();
    assert_eq!((identity.authid.as_str(), identity.authrole.as_str()), ("bob", "user"));
    assert_eq!(identity.authmethod, AuthMethod::WampCra);
    assert_eq!(
        pending.authenticate(BOB_WRONG, &Dict::new()),
        Err(AuthError::WrongSignature { method: AuthMethod::WampCra, authid: "bob".into() })
    );
}

#[test]
fn wampcra_salted_right_and_wrong() {
    let (_, extra, pending) = challenged(&authrealm(), &hello(&["wampcra"], Some("carol"), &[]));
    assert!(extra["challenge"].as_str().unwrap().starts_with(r#"{"authid":"carol","#));
    assert_eq!(extra["salt"], Value::from("salt123"));
    assert_eq!(extra["iterations"], Value::Int(1000));
    assert_eq!(extra["keylen"], Value::Int(32));
    assert_eq!(pending.clone().authenticate(CAROL_SIGNS, &Dict::new()).unwrap().authid, "carol");
    let error = pending.clone().authenticate(CAROL_WRONG, &Dict::new()).unwrap_err();
    assert_eq!(error.uri(), "wamp.error.not_authorized");
    // The unsalted HMAC of the right secret is not enough.
    let challenge = extra["challenge"].as_str().unwrap();
    let unsalted = wampcra_signature(b"carol-secret", challenge);
    assert!(pending.authenticate(&unsalted, &Dict::new()).is_err());
}

#[test]
fn cryptosign_right_by_key_alone_or_with_authid() {
    let pubkey = [("pubkey", Value::from(DAVE))];
    for authid in [None, Some("dave")] {
        let (method, extra, pending) =
            challenged(&authrealm(), &hello(&["cryptosign"], authid, &pubkey));
        assert_eq!(method, AuthMethod::Cryptosign);
        assert_eq!(extra["challenge"], Value::from("07".repeat(32)));
        assert_eq!(extra["channel_binding"], Value::Null);
        let identity = pending.authenticate(DAVE_SIGNS_07, &Dict::new()).unwrap();
        assert_eq!((identity.authid.as_str(), identity.authrole.as_str()), ("dave", "user"));
        assert_eq!(identity.authextra["pubkey"], Value::from(DAVE));
    }
}

#[test]
fn cryptosign_wrong_signature_is_not_authorized() {
    // The other key's signature, sent for dave's key.
    let (_, _, pending) =
        challenged(&authrealm(), &hello(&["cryptosign"], None, &[("pubkey", Value::from(DAVE))]));
    let error = pending.authenticate(OTHER_SIGNS_07, &Dict::new()).unwrap_err();
    assert_eq!(
        error,
        AuthError::WrongSignature { method: AuthMethod::Cryptosign, authid: "dave".into() }
    );
    assert_eq!(error.uri(), "wamp.error.not_authorized");
}

#[test]
fn cryptosign_wrong_or_unknown_key_is_refused_before_any_challenge() {
    // A key no principal holds.
    let other = [("pubkey", Value::from(OTHER))];
    let error = refusal(&authrealm(), &hello(&["cryptosign"], None, &other));
    assert_eq!(error, AuthError::UnknownPubkey { pubkey: OTHER.into() });
    // Dave named, with a key that is not his.
    let error = refusal(&authrealm(), &hello(&["cryptosign"], Some("dave"), &other));
    assert_eq!(error, AuthError::KeyNotAuthorized { authid: "dave".into(), pubkey: OTHER.into() });
    // A principal that does not exist.
    let dave = [("pubkey", Value::from(DAVE))];
    let error = refusal(&authrealm(), &hello(&["cryptosign"], Some("mallory"), &dave));
    assert!(matches!(error, AuthError::UnknownPrincipal { .. }), "{error:?}");
    // No key, or not a key.
    assert_eq!(
        refusal(&authrealm(), &hello(&["cryptosign"], None, &[])),
        AuthError::PubkeyRequired
    );
    let error = refusal(&authrealm(), &hello(&["cryptosign"], None, &[("pubkey", "abc".into())]));
    assert!(matches!(error, AuthError::MalformedPubkey { .. }), "{error:?}");
    for error in [error, AuthError::PubkeyRequired] {
        assert_eq!(error.uri(), "wamp.error.not_authorized");
    }
}

#[test]
fn cryptosign_key_held_by_two_principals_needs_an_authid() {
    let key = PublicKey::from_hex(DAVE).unwrap();
    let shared = Authenticator::new("r").with_cryptosign("dave", [key], "user").with_cryptosign(
        "dave2",
        [key],
        "user",
    );
    let dave = [("pubkey", Value::from(DAVE))];
    let error = refusal(&shared, &hello(&["cryptosign"], None, &dave));
    assert_eq!(error, AuthError::AmbiguousPubkey { pubkey: DAVE.into() });
    let (_, _, pending) = challenged(&shared, &hello(&["cryptosign"], Some("dave2"), &dave));
    assert_eq!(pending.authid(), "dave2");
}

#[test]
fn cryptosign_channel_binding_and_router_authentication_are_refused_clearly() {
    let asked = [("pubkey", Value::from(DAVE)), ("channel_binding", Value::from("tls-unique"))];
    let error = refusal(&authrealm(), &hello(&["cryptosign"], None, &asked));
    assert_eq!(error, AuthError::ChannelBindingUnsupported { requested: "tls-unique".into() });
    assert!(error.message().contains("tls-unique"), "{error}");
    let asked = [("pubkey", Value::from(DAVE)), ("challenge", Value::from("ab".repeat(32)))];
    let error = refusal(&authrealm(), &hello(&["cryptosign"], None, &asked));
    assert_eq!(error, AuthError::RouterAuthenticationUnsupported);
    // autobahn's default: channel_binding null, as if absent.
    let default = [("pubkey", Value::from(DAVE)), ("channel_binding", Value::Null)];
    challenged(&authrealm(), &hello(&["cryptosign"], None, &default));
}

#[test]
fn methods_are_tried_in_the_clients_order_skipping_those_that_cannot_take_it() {
    // bob has no ticket: WAMP-CRA takes him.
    let (method, _, _) = challenged(&authrealm(), &hello(&["ticket", "wampcra"], Some("bob"), &[]));
    assert_eq!(method, AuthMethod::WampCra);
    // alice has a ticket only: offered second, ticket still takes her.
    let (method, _, _) =
        challenged(&authrealm(), &hello(&["wampcra", "ticket"], Some("alice"), &[]));
    assert_eq!(method, AuthMethod::Ticket);
    // Unknown names are skipped.
    let (method, _, _) = challenged(&authrealm(), &hello(&["scram", "ticket"], Some("alice"), &[]));
    assert_eq!(method, AuthMethod::Ticket);
    // Nobody takes mallory: the first refusal is the answer.
    let error = refusal(&authrealm(), &hello(&["wampcra", "ticket"], Some("mallory"), &[]));
    assert_eq!(
        error,
        AuthError::UnknownPrincipal { method: AuthMethod::WampCra, authid: "mallory".into() }
    );
    // A realm with anonymous as a fallback admits a client that offers it.
    let both = authrealm().with_anonymous("anonymous");
    let Ok(Step::Welcome(identity)) = step(&both, &hello(&["ticket", "anonymous"], Some("x"), &[]))
    else {
        panic!("not welcomed")
    };
    assert_eq!(identity.authmethod, AuthMethod::Anonymous);
}

#[test]
fn a_method_served_without_principals_refuses_rather_than_skips() {
    let empty = Authenticator::new("r").serving(AuthMethod::Ticket);
    assert_eq!(empty.methods(), [AuthMethod::Ticket]);
    let error = refusal(&empty, &hello(&["ticket"], Some("alice"), &[]));
    assert!(matches!(error, AuthError::UnknownPrincipal { .. }), "{error:?}");
}

#[test]
fn a_broken_random_source_fails_the_authentication() {
    let mut broken = entropy();
    broken.broken = true;
    let session = Id::new(SESSION).unwrap();
    let details = hello(&["wampcra", "ticket"], Some("bob"), &[]);
    let error = authrealm().hello_with(&details, session, &mut broken).unwrap_err();
    assert_eq!(error.uri(), "wamp.error.authentication_failed");
}

#[test]
fn malformed_hello_details_are_a_protocol_violation() {
    let details = Dict::from([("authmethods".to_owned(), Value::from("ticket"))]);
    assert_eq!(refusal(&authrealm(), &details).uri(), "wamp.error.protocol_violation");
}

#[test]
fn the_os_randomness_makes_a_fresh_challenge_each_time() {
    let details = hello(&["cryptosign"], None, &[("pubkey", Value::from(DAVE))]);
    let challenge = || match authrealm().hello(&details, Id::new(1).unwrap()) {
        Ok(Step::Challenge { extra, .. }) => extra["challenge"].clone(),
        other => panic!("{other:?}"),
    };
    assert_ne!(challenge(), challenge());
}

#[test]
fn roles_and_methods_are_listed_and_debug_shows_no_secret() {
    let authrealm = authrealm();
    assert_eq!(authrealm.realm(), "authrealm");
    assert_eq!(authrealm.roles().into_iter().collect::<Vec<_>>(), ["restricted", "user"]);
    let shown = format!("{authrealm:?}");
    assert!(shown.contains("alice") && !shown.contains("secret-ticket"), "{shown}");
    assert!(!shown.contains("bob-secret"), "{shown}");
    let (_, _, pending) = challenged(&authrealm, &hello(&["ticket"], Some("alice"), &[]));
    assert_eq!(format!("{pending:?}"), "PendingAuth { authmethod: Ticket, authid: \"alice\", .. }");
}
