//! The config file: the example `tests/clients/router-auth.json` read and
//! its principals admitted with answers computed by autobahn-python (the
//! same values as the auth tests, see `auth/tests.rs`), the default node,
//! and each refusal.

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};

use super::*;
use crate::auth::tests::{BOB_SIGNS, CAROL_SIGNS, DAVE, DAVE_SIGNS_07, SESSION, entropy, hello};
use crate::auth::{Action, AuthError, AuthMethod, Authenticator, Identity, Step};
use crate::id::Id;
use crate::value::{Dict, Value};

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/router-auth.json")
}

fn example() -> RouterConfig {
    RouterConfig::from_file(example_path()).unwrap()
}

/// The identity `authenticator` gives for HELLO `details` and the answer
/// `signature` to its challenge.
fn admit(
    authenticator: &Authenticator,
    details: &Dict,
    signature: &str,
) -> Result<Identity, AuthError> {
    let session = Id::new(SESSION).unwrap();
    match authenticator.hello_with(details, session, &mut entropy())? {
        Step::Welcome(identity) => Ok(identity),
        Step::Challenge { pending, .. } => pending.authenticate(signature, &Dict::new()),
    }
}

#[test]
fn the_example_file_has_the_test_realms_and_roles() {
    let config = example();
    assert_eq!(config.transport.address(), "127.0.0.1:8080");
    assert_eq!(config.transport.paths, ["/ws", "/"]);
    assert!(config.transport.tls.is_none());
    let names: Vec<&str> = config.realms.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["realm1", "authrealm"]);

    let realm1 = config.realm("realm1").unwrap();
    assert_eq!(realm1.authenticator.methods(), [AuthMethod::Anonymous]);
    for action in Action::ALL {
        assert!(realm1.authorizer.allows("anonymous", action, "any.uri.at.all"));
    }

    let authrealm = config.realm("authrealm").unwrap();
    assert_eq!(
        authrealm.authenticator.methods(),
        [AuthMethod::Ticket, AuthMethod::WampCra, AuthMethod::Cryptosign]
    );
    let authorizer = &authrealm.authorizer;
    for action in Action::ALL {
        assert!(authorizer.allows("user", action, "com.example.add2"), "{action}");
        assert!(!authorizer.allows("user", action, "org.example.add2"), "{action}");
    }
    assert!(authorizer.allows("restricted", Action::Subscribe, "com.example.news"));
    for action in [Action::Call, Action::Register, Action::Publish] {
        assert!(!authorizer.allows("restricted", action, "com.example.news"), "{action}");
    }
    assert!(!authorizer.allows("restricted", Action::Subscribe, "com.example.news.sports"));
    assert!(!authorizer.allows("anonymous", Action::Subscribe, "com.example.news"));
}

#[test]
fn the_example_files_principals_are_admitted_with_a_real_peers_answers() {
    let config = example();
    let authrealm = &config.realm("authrealm").unwrap().authenticator;
    let cases = [
        (hello(&["ticket"], Some("alice"), &[]), "secret-ticket", "alice", "user"),
        (hello(&["ticket"], Some("eve"), &[]), "eve-ticket", "eve", "restricted"),
        (hello(&["wampcra"], Some("bob"), &[]), BOB_SIGNS, "bob", "user"),
        (hello(&["wampcra"], Some("carol"), &[]), CAROL_SIGNS, "carol", "user"),
        (
            hello(&["cryptosign"], None, &[("pubkey", Value::from(DAVE))]),
            DAVE_SIGNS_07,
            "dave",
            "user",
        ),
    ];
    for (details, signature, authid, authrole) in cases {
        let identity = admit(authrealm, &details, signature).unwrap();
        assert_eq!((identity.authid.as_str(), identity.authrole.as_str()), (authid, authrole));
    }
    // Wrong answers, and anonymous, are refused.
    let wrong = admit(authrealm, &hello(&["ticket"], Some("alice"), &[]), "eve-ticket");
    assert_eq!(wrong.unwrap_err().uri(), "wamp.error.not_authorized");
    let anonymous = admit(authrealm, &Dict::new(), "");
    assert_eq!(anonymous.unwrap_err().uri(), "wamp.error.no_auth_method");
    let realm1 = &config.realm("realm1").unwrap().authenticator;
    assert_eq!(admit(realm1, &Dict::new(), "").unwrap().authrole, "anonymous");
}

#[test]
fn the_default_is_crossbars_default_node() {
    let config = RouterConfig::default();
    assert_eq!(config.transport.address(), "127.0.0.1:8080");
    assert_eq!(config.transport.paths, ["/ws", "/"]);
    assert_eq!(config.realms.len(), 1);
    let realm1 = config.realm("realm1").unwrap();
    assert_eq!(admit(&realm1.authenticator, &Dict::new(), "").unwrap().authrole, "anonymous");
    assert!(realm1.authorizer.allows("anonymous", Action::Register, "com.anything"));
}

/// A small valid config, to break one thing at a time.
fn valid() -> Json {
    json!({
        "realms": [{
            "name": "r",
            "roles": [{ "name": "user", "permissions": [
                { "uri": "com.example.", "match": "prefix", "call": true }
            ]}],
            "auth": {
                "ticket": { "principals": { "alice": { "ticket": "t", "role": "user" } } },
                "wampcra": { "principals": { "bob": { "secret": "s", "role": "user" } } },
                "cryptosign": { "principals": { "dave": { "authorized_keys": [DAVE], "role": "user" } } }
            }
        }]
    })
}

fn load(config: &Json) -> Result<RouterConfig, ConfigError> {
    RouterConfig::from_json(&serde_json::to_string_pretty(config).unwrap(), Path::new("."))
}

fn refused(config: &Json) -> ConfigError {
    load(config).expect_err("refused")
}

#[test]
fn the_valid_base_loads_with_defaults_filled_in() {
    let config = load(&valid()).unwrap();
    assert_eq!(config.transport.address(), "127.0.0.1:8080");
    let role = config.realms[0].authorizer.role("user").unwrap();
    assert_eq!(role.permissions()[0].policy(), crate::pattern::MatchPolicy::Prefix);
    assert!(role.allows(Action::Call, "com.example.x"));
    assert!(!role.allows(Action::Publish, "com.example.x"), "actions default to false");
}

#[test]
fn unknown_fields_are_named_with_their_line() {
    let text =
        "{\n  \"transport\": {\n    \"port\": 8080,\n    \"tlss\": {}\n  },\n  \"realms\": []\n}";
    let error = RouterConfig::from_json(text, Path::new(".")).unwrap_err();
    let ConfigError::UnknownField { path, field, expected, line, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((field.as_str(), *line), ("tlss", 4));
    assert_eq!(path, "transport.tlss");
    assert!(expected.contains("`tls`"), "{expected}");
    assert!(error.to_string().starts_with("line 4, column"), "{error}");

    // Deep in a principal, too (a crossbar-style "authid" field).
    let mut config = valid();
    config["realms"][0]["auth"]["ticket"]["principals"]["alice"]["authid"] = json!("alice");
    let ConfigError::UnknownField { path, field, .. } = refused(&config) else { panic!() };
    assert_eq!(field, "authid");
    assert_eq!(path, "realms[0].auth.ticket.principals.alice.authid");
}

#[test]
fn shape_errors_carry_the_path_and_line() {
    let mut config = valid();
    config["transport"] = json!({ "port": "8080" });
    let error = refused(&config);
    let ConfigError::Syntax { path, .. } = &error else { panic!("{error:?}") };
    assert_eq!(path, "transport.port");
    let mut config = valid();
    config["realms"][0].as_object_mut().unwrap().remove("auth");
    assert!(refused(&config).to_string().contains("missing field `auth`"));
    let error = RouterConfig::from_json("{\"realms\": []} x", Path::new(".")).unwrap_err();
    assert!(matches!(error, ConfigError::Syntax { .. }), "{error:?}");
    let error = RouterConfig::from_json("{ not json", Path::new(".")).unwrap_err();
    assert!(matches!(error, ConfigError::Syntax { line: 1, .. }), "{error:?}");
}

#[test]
fn a_principal_given_twice_is_refused() {
    let text = r#"{"realms": [{"name": "r", "roles": [{"name": "user"}], "auth": {"ticket": {"principals": {
        "alice": {"ticket": "a", "role": "user"},
        "alice": {"ticket": "b", "role": "user"}}}}}]}"#;
    let error = RouterConfig::from_json(text, Path::new(".")).unwrap_err();
    let ConfigError::Syntax { message, line, .. } = &error else { panic!("{error:?}") };
    assert!(message.contains("duplicate key \"alice\""), "{message}");
    assert_eq!(*line, 3);
}

#[test]
fn roles_used_must_be_defined() {
    let mut config = valid();
    config["realms"][0]["auth"]["wampcra"]["principals"]["bob"]["role"] = json!("admin");
    let error = refused(&config);
    let ConfigError::UnknownRole { role, used_by, .. } = &error else { panic!("{error:?}") };
    assert_eq!((role.as_str(), used_by.as_str()), ("admin", "auth.wampcra.principals.bob"));
    let mut config = valid();
    config["realms"][0]["auth"]["anonymous"] = json!({ "role": "anonymous" });
    assert!(matches!(refused(&config), ConfigError::UnknownRole { .. }));
}

#[test]
fn keys_must_be_32_bytes_of_hex_on_the_curve() {
    let cases = [
        ("not hex at all, not hex at all, not hex at all, not hex at all!!", "not hex"),
        ("abcd", "2 bytes"),
        (&DAVE[2..], "31 bytes"),
    ];
    for (key, says) in cases {
        let mut config = valid();
        config["realms"][0]["auth"]["cryptosign"]["principals"]["dave"]["authorized_keys"] =
            json!([key]);
        let error = refused(&config);
        assert!(matches!(error, ConfigError::InvalidPublicKey { .. }), "{error:?}");
        assert!(error.to_string().contains(says), "{error}");
    }
    let mut config = valid();
    config["realms"][0]["auth"]["cryptosign"]["principals"]["dave"]["authorized_keys"] = json!([]);
    assert!(matches!(refused(&config), ConfigError::NoAuthorizedKeys { .. }));
    let mut config = valid();
    config["realms"][0]["auth"]["cryptosign"]["principals"]["dave2"] =
        json!({ "authorized_keys": [DAVE], "role": "user" });
    assert!(matches!(refused(&config), ConfigError::SharedPublicKey { .. }));
}

#[test]
fn salt_iterations_and_keylen_go_together() {
    let mut config = valid();
    config["realms"][0]["auth"]["wampcra"]["principals"]["bob"]["salt"] = json!("salt123");
    let error = refused(&config);
    let ConfigError::IncompleteSalt { missing, .. } = &error else { panic!("{error:?}") };
    assert_eq!(missing, &["iterations", "keylen"]);
    for (iterations, keylen) in [(0, 32), (1000, 0), (1000, 4096)] {
        let mut config = valid();
        config["realms"][0]["auth"]["wampcra"]["principals"]["bob"] = json!({ "secret": "s", "role": "user", "salt": "x", "iterations": iterations, "keylen": keylen });
        assert!(
            matches!(refused(&config), ConfigError::InvalidSalt { .. }),
            "{iterations} {keylen}"
        );
    }
}

#[test]
fn realms_roles_and_permissions_are_checked() {
    let mut config = valid();
    config["realms"][0]["name"] = json!("my realm");
    assert!(matches!(refused(&config), ConfigError::InvalidRealmName { .. }));
    let mut config = valid();
    let realm = config["realms"][0].clone();
    config["realms"] = json!([realm.clone(), realm]);
    assert!(matches!(refused(&config), ConfigError::DuplicateRealm { .. }));
    assert!(matches!(refused(&json!({ "realms": [] })), ConfigError::NoRealm));
    let mut config = valid();
    config["realms"][0]["auth"] = json!({});
    assert!(matches!(refused(&config), ConfigError::NoAuthMethod { .. }));
    let mut config = valid();
    config["realms"][0]["roles"] = json!([{ "name": "user" }, { "name": "user" }]);
    assert!(matches!(refused(&config), ConfigError::DuplicateRole { .. }));
    let mut config = valid();
    config["realms"][0]["roles"][0]["permissions"] = json!([{ "uri": "com..x", "match": "exact" }]);
    assert!(matches!(refused(&config), ConfigError::InvalidPermission { .. }));
    let mut config = valid();
    config["realms"][0]["roles"][0]["permissions"] =
        json!([{ "uri": "a", "call": true }, { "uri": "a", "match": "exact" }]);
    assert!(matches!(refused(&config), ConfigError::DuplicatePermission { .. }));
    let mut config = valid();
    config["realms"][0]["roles"][0]["permissions"][0]["match"] = json!("regex");
    assert!(matches!(refused(&config), ConfigError::Syntax { .. }));
    let mut config = valid();
    config["realms"][0]["auth"]["ticket"]["principals"]["alice"]["ticket"] = json!("");
    assert!(matches!(refused(&config), ConfigError::EmptySecret { .. }));
}

#[test]
fn tls_files_are_loaded_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
    let mut config = valid();
    config["transport"] = json!({ "port": 0, "tls": { "cert": "cert.pem", "key": "key.pem" } });
    let file = dir.path().join("router.json");
    std::fs::write(&file, serde_json::to_string(&config).unwrap()).unwrap();
    let loaded = RouterConfig::from_file(&file).unwrap();
    let tls = loaded.transport.tls.expect("TLS");
    assert_eq!(tls.cert, dir.path().join("cert.pem"));

    // A key that is not one.
    std::fs::write(dir.path().join("key.pem"), "not a key").unwrap();
    let error = RouterConfig::from_file(&file).unwrap_err();
    assert!(matches!(error, ConfigError::Tls { .. }), "{error:?}");
}

#[test]
fn a_missing_file_is_named() {
    let error = RouterConfig::from_file("/nonexistent/router.json").unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    assert!(error.to_string().contains("/nonexistent/router.json"), "{error}");
}

#[test]
fn a_broker_names_one_engine_and_its_url() {
    assert_eq!(load(&valid()).unwrap().broker, None, "left out: this process only");
    assert_eq!(RouterConfig::default().broker, None);
    for (key, expected) in [
        ("redis", BrokerConfig::Redis("redis://db:6379".into())),
        ("nats", BrokerConfig::Nats("nats://db:6379".into())),
    ] {
        let mut config = valid();
        config["broker"] = json!({ key: format!("{key}://db:6379") });
        assert_eq!(load(&config).unwrap().broker, Some(expected));
    }
    let mut config = valid();
    config["broker"] = Json::Null;
    assert_eq!(load(&config).unwrap().broker, None);
}

#[test]
fn a_broker_with_both_engines_none_an_empty_url_or_an_unknown_key_is_refused() {
    let with = |broker: Json| {
        let mut config = valid();
        config["broker"] = broker;
        refused(&config)
    };
    let both = with(json!({ "redis": "redis://a:6379", "nats": "nats://b:4222" }));
    assert!(matches!(both, ConfigError::TwoBrokers), "{both:?}");
    assert!(both.to_string().starts_with("broker: redis and nats"), "{both}");
    let none = with(json!({}));
    assert!(matches!(none, ConfigError::NoBroker), "{none:?}");
    let empty = with(json!({ "nats": " " }));
    assert_eq!(empty.to_string(), "broker.nats: the URL is empty");
    let ConfigError::UnknownField { path, field, expected, .. } =
        with(json!({ "kafka": "kafka://k:9092" }))
    else {
        panic!()
    };
    assert_eq!((path.as_str(), field.as_str()), ("broker.kafka", "kafka"));
    assert_eq!(expected, "`redis` or `nats`");
    let ConfigError::Syntax { path, .. } = with(json!({ "redis": 6379 })) else { panic!() };
    assert_eq!(path, "broker.redis");
    let ConfigError::Syntax { path, .. } = with(json!("redis://a:6379")) else { panic!() };
    assert_eq!(path, "broker");
}
