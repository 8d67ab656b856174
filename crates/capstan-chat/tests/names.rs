//! User names in public (docs/chat-protocol.md, "User name"): invisible
//! and formatting characters are refused, names are kept in NFKC, and a
//! name that looks like a connected user's is taken. Real servers, real
//! clients.

mod common;

use common::{Server, TestDb};
use serde_json::json;

/// The `error` answering `add_user` with `name`, from a fresh client.
async fn refused(server: &Server, name: &str) -> serde_json::Value {
    let mut client = server.client().await;
    client.send("add_user", json!({ "username": name })).await;
    let error = client.expect_error().await;
    assert_eq!(error["type"], "add_user", "{error}");
    error
}

#[tokio::test]
async fn invisible_and_formatting_characters_are_refused_with_name_invalid() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    for (name, code_point) in [
        ("alice\u{200b}", "U+200B"), // zero-width space
        ("al\u{200d}ice", "U+200D"), // zero-width joiner
        ("\u{202e}ecila", "U+202E"), // right-to-left override
        ("bob\u{2066}", "U+2066"),   // left-to-right isolate
        ("\u{115f}carol", "U+115F"), // Hangul filler (a letter that draws nothing)
        ("dave\u{fe0f}", "U+FE0F"),  // variation selector
        ("e\u{e0041}ve", "U+E0041"), // tag character
        ("fr\u{ad}ank", "U+00AD"),   // soft hyphen
    ] {
        let error = refused(&server, name).await;
        assert_eq!(error["code"], "name_invalid", "{name:?}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(code_point), "{name:?}: {message}");
    }
    let error = refused(&server, &format!("z{}", "\u{301}".repeat(9))).await;
    assert_eq!(error["code"], "name_invalid", "{error}");
    server.stop().await;
}

#[tokio::test]
async fn names_are_kept_in_nfkc() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (_fullwidth, answer) = server.named("ａｌｉｃｅ").await;
    assert_eq!(answer["username"], "alice");
    let (_spaced, answer) = server.named("  Zoe\u{a0}\u{2003} Smith ").await;
    assert_eq!(answer["username"], "Zoe Smith");
    let (mut decomposed, answer) = server.named("Jose\u{301}").await;
    assert_eq!(answer["username"], "Jos\u{e9}");
    // What others see is the normal form.
    decomposed.send("message", json!({ "content": "hola" })).await;
    assert_eq!(decomposed.expect("message").await["author"], "Jos\u{e9}");
    server.stop().await;
}

#[tokio::test]
async fn a_name_that_looks_like_a_connected_users_is_taken() {
    let db = TestDb::new();
    let server = Server::start(&db.config()).await;
    let (alice, _) = server.named("alice").await;
    for name in ["ALICE", "аlice", "AIice", "a1ice", "ａlice"] {
        let error = refused(&server, name).await;
        assert_eq!(error["code"], "name_taken", "{name:?}: {error}");
    }
    let error = refused(&server, "аlice").await;
    assert!(error["message"].as_str().unwrap().contains("looks like alice"), "{error}");

    // A rename to a look-alike is taken too; to a name of one's own, fine.
    let (mut bob, _) = server.named("bob").await;
    bob.send("rename_user", json!({ "username": "aIice" })).await;
    let error = bob.expect_error().await;
    assert_eq!((&error["code"], &error["type"]), (&json!("name_taken"), &json!("rename_user")));
    assert_eq!(bob.ask("rename_user", json!({ "username": "B0B" })).await["username"], "B0B");

    // Once alice is gone (her name is given up before her leave is
    // announced), her look-alikes are free: names are held only while
    // connected.
    drop(alice);
    bob.expect_change("general", "alice", "leave").await;
    let (_later, answer) = server.named("аlice").await;
    assert_eq!(answer["username"], "аlice");
    server.stop().await;
}
