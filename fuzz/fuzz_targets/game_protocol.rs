//! The game's protocol handler, sans I/O: `Request::parse` on each line of
//! arbitrary text, and every move that parses played on a live game (the
//! mover chosen by the line's first byte). Nothing may panic, and:
//! - a refusal's text is non-empty, carries no markup (`<`, `>`, `&`: the
//!   original client shows errors as HTML), and its `error` message is
//!   JSON with the text in `data.message`;
//! - a name that parses keeps the name rules and parses again to itself;
//! - a refused move changes nothing; an accepted one adds one stone; the
//!   board always holds as many stones as there were moves.
#![no_main]

use std::time::Instant;

use capstan_game::errors::GameError;
use capstan_game::names::{MAX_NAME_CHARS, PlayerName};
use capstan_game::protocol::client::Request;
use capstan_game::protocol::server;
use capstan_game::rules::Symbol;
use capstan_game::rules::clock::TimeControl;
use capstan_game::rules::game::{Game, Phase};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let now = Instant::now();
    let mut game = Game::new(TimeControl::default());
    game.start(now);
    for line in text.lines().take(64) {
        match Request::parse(line) {
            Err(refusal) => {
                let said = GameError::from(refusal).to_string();
                assert!(!said.is_empty());
                assert!(!said.contains(['<', '>', '&']), "markup in {said:?}");
                let sent: Value = serde_json::from_str(&server::error(&said)).expect("JSON");
                assert_eq!(sent["type"], "error");
                assert_eq!(sent["data"]["message"].as_str(), Some(said.as_str()));
            }
            Ok(Request::CreatePlayer(create)) => check_name(&create.name),
            Ok(Request::AddMove { x, y }) => {
                let mover = if line.as_bytes()[0] % 2 == 0 { Symbol::X } else { Symbol::O };
                let before = game.moves().len();
                match game.play(mover, x, y, now) {
                    Ok(played) => {
                        assert_eq!(game.moves().len(), before + 1);
                        assert_eq!(game.board().get(played.at), Some(mover));
                        if played.ending.is_some() {
                            assert!(matches!(game.phase(), Phase::Ended(_)));
                        }
                    }
                    Err(_) => assert_eq!(game.moves().len(), before),
                }
                assert_eq!(game.board().stones(), game.moves().len());
            }
            Ok(_) => {}
        }
    }
    if let Ok(name) = PlayerName::parse(&text) {
        check_name(&name);
    }
});

fn check_name(name: &PlayerName) {
    let raw = name.as_str();
    assert!(!raw.is_empty() && raw.chars().count() <= MAX_NAME_CHARS);
    assert_eq!(raw, raw.trim_matches(' '));
    assert!(raw.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')));
    assert_eq!(PlayerName::parse(raw).as_ref(), Ok(name));
}
