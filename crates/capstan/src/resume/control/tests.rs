//! Controls written and read back, and each rule a malformed one breaks.

use super::*;
use crate::resume::id::SessionIdError;

fn sid() -> SessionId {
    SessionId::from_bytes(*b"0123456789abcdef")
}

fn client(json: &str) -> Result<ClientControl, ControlError> {
    ClientControl::parse(json)
}

fn server(json: &str) -> Result<ServerControl, ControlError> {
    ServerControl::parse(json)
}

fn wrong(field: &'static str, expected: &'static str) -> ControlError {
    ControlError::WrongType { field, expected }
}

#[test]
fn client_controls_round_trip() {
    for control in [
        ClientControl::Hello { version: 1 },
        ClientControl::Resume { sid: sid(), rx: 0 },
        ClientControl::Resume { sid: sid(), rx: MAX_NUMBER },
        ClientControl::Ack(57),
    ] {
        assert_eq!(client(&control.to_json()), Ok(control.clone()));
        let message = control.to_message();
        assert_eq!(message.as_text().unwrap(), format!("c{}", control.to_json()));
    }
    assert_eq!(ClientControl::Hello { version: 1 }.to_json(), r#"{"hello":{"v":1}}"#);
    assert_eq!(ClientControl::Ack(3).to_json(), r#"{"ack":3}"#);
}

#[test]
fn server_controls_round_trip() {
    let welcome =
        Welcome { sid: sid(), rx: 17, resumed: true, heartbeat_ms: 15_000, grace_ms: 30_000 };
    for control in [
        ServerControl::Welcome(welcome),
        ServerControl::Ack(0),
        ServerControl::Heartbeat(1234),
        ServerControl::Error {
            code: ErrorCode::UnknownSession,
            message: "no \"such\" session".into(),
        },
    ] {
        assert_eq!(server(&control.to_json()), Ok(control.clone()));
    }
    assert_eq!(ServerControl::Heartbeat(9).to_json(), r#"{"hb":9}"#);
}

#[test]
fn the_doc_examples_read() {
    assert_eq!(client(r#" {"hello": {"v": 1}} "#), Ok(ClientControl::Hello { version: 1 }));
    let resume = client(r#"{"resume":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":41}}"#).unwrap();
    let ClientControl::Resume { sid, rx: 41 } = resume else { panic!("{resume:?}") };
    assert_eq!(sid.encode(), "yW2Y9Qm8TtKJvV0dOqz1xA");
    let welcome = r#"{"welcome":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":17,"resumed":true,"heartbeat_ms":15000,"grace_ms":30000}}"#;
    assert!(matches!(server(welcome), Ok(ServerControl::Welcome(Welcome { rx: 17, .. }))));
    let error = r#"{"error":{"code":"unknown_session","message":"no such session"}}"#;
    assert!(matches!(
        server(error),
        Ok(ServerControl::Error { code: ErrorCode::UnknownSession, .. })
    ));
}

#[test]
fn not_json() {
    for text in ["", "{", "ack", "{\"ack\":1}x", "{'ack':1}"] {
        assert_eq!(client(text), Err(ControlError::NotJson), "{text}");
    }
    assert_eq!(server("{"), Err(ControlError::NotJson));
}

#[test]
fn not_an_object() {
    for text in ["1", "\"ack\"", "[\"ack\",1]", "null", "true"] {
        assert_eq!(client(text), Err(ControlError::NotAnObject), "{text}");
    }
    assert_eq!(server("[]"), Err(ControlError::NotAnObject));
}

#[test]
fn not_one_key() {
    assert_eq!(client("{}"), Err(ControlError::NotOneKey(0)));
    assert_eq!(client(r#"{"ack":1,"hello":{"v":1}}"#), Err(ControlError::NotOneKey(2)));
    assert_eq!(server(r#"{"ack":1,"hb":1}"#), Err(ControlError::NotOneKey(2)));
}

#[test]
fn unknown_control_on_each_side() {
    // Each side's controls are unknown coming from the other.
    for name in ["welcome", "hb", "error", "Ack", "bye"] {
        let text = format!("{{\"{name}\":1}}");
        assert_eq!(client(&text), Err(ControlError::UnknownControl(name.into())), "{name}");
    }
    for name in ["hello", "resume"] {
        let text = format!("{{\"{name}\":1}}");
        assert_eq!(server(&text), Err(ControlError::UnknownControl(name.into())), "{name}");
    }
}

#[test]
fn missing_field() {
    assert_eq!(client(r#"{"hello":{}}"#), Err(ControlError::MissingField("hello.v")));
    assert_eq!(client(r#"{"resume":{"rx":1}}"#), Err(ControlError::MissingField("resume.sid")));
    let no_rx = r#"{"resume":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA"}}"#;
    assert_eq!(client(no_rx), Err(ControlError::MissingField("resume.rx")));
    let no_grace =
        r#"{"welcome":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":0,"resumed":false,"heartbeat_ms":1}}"#;
    assert_eq!(server(no_grace), Err(ControlError::MissingField("welcome.grace_ms")));
    assert_eq!(
        server(r#"{"error":{"code":"replaced"}}"#),
        Err(ControlError::MissingField("error.message"))
    );
}

#[test]
fn unknown_field_from_a_client_but_not_from_the_server() {
    let extra = r#"{"hello":{"v":1,"token":"x"}}"#;
    let unknown = ControlError::UnknownField { control: "hello", field: "token".into() };
    assert_eq!(client(extra), Err(unknown));
    let extra = r#"{"resume":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":1,"tx":2}}"#;
    let unknown = ControlError::UnknownField { control: "resume", field: "tx".into() };
    assert_eq!(client(extra), Err(unknown));
    // A client ignores what a newer server adds to welcome and error.
    let welcome = r#"{"welcome":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":0,"resumed":false,"heartbeat_ms":1,"grace_ms":2,"node":"a"}}"#;
    assert!(server(welcome).is_ok());
    let error = r#"{"error":{"code":"replaced","message":"","retry_ms":5}}"#;
    assert!(server(error).is_ok());
}

#[test]
fn wrong_type() {
    assert_eq!(client(r#"{"hello":1}"#), Err(wrong("hello", "an object")));
    assert_eq!(client(r#"{"hello":{"v":"1"}}"#), Err(wrong("hello.v", A_NUMBER)));
    assert_eq!(client(r#"{"resume":{"sid":7,"rx":1}}"#), Err(wrong("resume.sid", "a string")));
    let sid = "yW2Y9Qm8TtKJvV0dOqz1xA";
    for rx in ["-1", "1.0", "1e3", "9007199254740992", "null", "\"3\""] {
        let text = format!(r#"{{"resume":{{"sid":"{sid}","rx":{rx}}}}}"#);
        assert_eq!(client(&text), Err(wrong("resume.rx", A_NUMBER)), "{rx}");
    }
    assert_eq!(client(r#"{"ack":9007199254740991}"#), Ok(ClientControl::Ack(MAX_NUMBER)));
    assert_eq!(client(r#"{"ack":9007199254740992}"#), Err(wrong("ack", A_NUMBER)));
    assert_eq!(client(r#"{"ack":{"n":1}}"#), Err(wrong("ack", A_NUMBER)));
    assert_eq!(server(r#"{"hb":-2}"#), Err(wrong("hb", A_NUMBER)));
    let resumed = r#"{"welcome":{"sid":"yW2Y9Qm8TtKJvV0dOqz1xA","rx":0,"resumed":1,"heartbeat_ms":1,"grace_ms":2}}"#;
    assert_eq!(server(resumed), Err(wrong("welcome.resumed", "a boolean")));
    assert_eq!(server(r#"{"error":[]}"#), Err(wrong("error", "an object")));
}

#[test]
fn malformed_session_id() {
    let text = r#"{"resume":{"sid":"short","rx":1}}"#;
    let error = ControlError::MalformedSessionId(SessionIdError::WrongLength(5));
    assert_eq!(client(text), Err(error));
    let text = r#"{"resume":{"sid":"yW2Y9Qm8TtKJvV0dOqz1x+","rx":1}}"#;
    assert_eq!(client(text), Err(ControlError::MalformedSessionId(SessionIdError::NotBase64Url)));
}

#[test]
fn unknown_error_code() {
    let text = r#"{"error":{"code":"teapot","message":""}}"#;
    assert_eq!(server(text), Err(ControlError::UnknownErrorCode("teapot".into())));
}

#[test]
fn errors_name_the_rule() {
    assert_eq!(
        wrong("resume.rx", A_NUMBER).to_string(),
        "resume.rx must be an integer from 0 to 2^53 - 1"
    );
    assert_eq!(ControlError::NotOneKey(2).to_string(), "control has 2 keys, not one");
}

/// The compact `ack` path reads what the JSON tree reads, and leaves
/// everything else (other spellings, malformed numbers) to it.
#[test]
fn the_compact_ack_path_agrees_with_the_json_tree() {
    let inputs = [
        r#"{"ack":0}"#,
        r#"{"ack":7}"#,
        r#"{"ack":1234567890}"#,
        r#"{"ack":9007199254740991}"#,
        r#"{"ack":9007199254740992}"#,
        r#"{"ack":99999999999999999999}"#,
        r#"{"ack":01}"#,
        r#"{"ack":-1}"#,
        r#"{"ack":1.0}"#,
        r#"{"ack":1e3}"#,
        r#"{"ack":}"#,
        r#"{"ack":1}x"#,
        r#"{"ack": 5}"#,
        r#"{ "ack":5}"#,
        r#"{"ack":"5"}"#,
        r#"{"ack":5,"ack":6}"#,
    ];
    for json in inputs {
        assert_eq!(ClientControl::parse(json), ClientControl::parse_tree(json), "{json}");
    }
    assert_eq!(compact_ack(r#"{"ack":42}"#), Some(42), "the compact path is taken");
    assert_eq!(compact_ack(r#"{"ack": 42}"#), None, "other spellings are not");
    for n in [0, 1, 31, 32, 1 << 20, MAX_NUMBER] {
        let json = ServerControl::Ack(n).to_json();
        assert_eq!(server(&json), Ok(ServerControl::Ack(n)), "{json}");
    }
}
