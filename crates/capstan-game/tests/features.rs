//! What the original lacked, over real sockets: resume, spectators,
//! clocks, rematch, resignation, the bot, ratings, matchmaking, stored
//! games and the JSON the web client reads.

mod common;

use capstan_game::rating::{Outcome, Rating};
use capstan_game::rules::Symbol;
use capstan_game::store::{GameEnd, GameStart, RatingChange, SeatRecord, Store};
use common::{Player, Server, exchange_move, started_game};
use serde_json::{Value, json};

fn token(joined: &Value) -> String {
    joined["resume_token"].as_str().expect("a resume token").to_owned()
}

#[tokio::test]
async fn a_dropped_player_resumes_with_the_board_and_the_opponent_is_told() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    exchange_move(&mut x, &mut o, 3, 4).await;
    exchange_move(&mut o, &mut x, 5, 6).await;
    drop(x);
    let away = o.expect("opponent_away").await;
    assert_eq!(away["data"]["player_id"], x_joined["player_id"]);
    assert_eq!(away["data"]["grace_ms"], 30_000);
    let mut back = server.player().await;
    back.send(json!({"type": "resume_game", "data": {"token": token(&x_joined)}})).await;
    let resumed = back.expect("resume_game_resp").await;
    let game = &resumed["data"];
    assert_eq!(game["state"], "playing");
    assert_eq!(
        game["moves"],
        json!([{"x": 3, "y": 4, "symbol": "X"}, {"x": 5, "y": 6, "symbol": "O"}])
    );
    assert_eq!(game["you"]["symbol"], "X");
    assert_eq!(game["player_on_turn"], x_joined["player_id"]);
    assert!(game["clocks"]["x_ms"].as_u64().is_some_and(|ms| ms <= 600_000));
    let returned = o.expect("opponent_back").await;
    assert_eq!(returned["data"]["player_id"], x_joined["player_id"]);
    exchange_move(&mut back, &mut o, 7, 8).await;
}

#[tokio::test]
async fn a_resume_from_a_second_connection_closes_the_first() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    let mut second = server.player().await;
    second.send(json!({"type": "resume_game", "data": {"token": token(&x_joined)}})).await;
    second.expect("resume_game_resp").await;
    let close = x.client.expect_close().await.expect("a close frame");
    assert_eq!(close.code.0, 1000);
    assert_eq!(close.reason, "the seat was taken back by another connection");
    // The seat was never away: the opponent is not told it came back.
    exchange_move(&mut second, &mut o, 1, 1).await;
    let mut stranger = server.player().await;
    stranger.send(json!({"type": "resume_game", "data": {"token": "0".repeat(64)}})).await;
    assert_eq!(stranger.error().await, "Cannot resume: the token is unknown or its game is over.");
}

#[tokio::test]
async fn past_the_grace_period_the_absent_player_forfeits() {
    let server = Server::start(|config| config.grace_secs = 1).await;
    let (x, mut o, _, o_joined) = started_game(&server).await;
    drop(x);
    o.expect("opponent_away").await;
    let end = o.expect("end_of_game_resp").await;
    assert_eq!(end["data"]["winner_id"], o_joined["player_id"]);
    assert_eq!(end["data"]["reason"], "forfeit");
    assert_eq!(end["message"], "Player Bob has won the game: the opponent left");
}

#[tokio::test]
async fn spectators_get_the_game_so_far_then_every_event() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    exchange_move(&mut x, &mut o, 10, 10).await;
    let mut fan = server.player().await;
    fan.send(json!({"type": "watch_game", "data": {"game_id": x_joined["game_id"]}})).await;
    let snapshot = fan.expect("watch_game_resp").await;
    assert_eq!(snapshot["data"]["moves"], json!([{"x": 10, "y": 10, "symbol": "X"}]));
    assert_eq!(snapshot["data"]["players"][0]["player_name"], "Alice");
    assert_eq!(snapshot["data"]["players"][1]["player_name"], "Bob");
    assert_eq!(snapshot["data"]["spectators"], 1);
    assert!(snapshot["data"].get("you").is_none_or(Value::is_null));
    exchange_move(&mut o, &mut x, 11, 11).await;
    let live = fan.expect("add_move_resp").await;
    assert_eq!(live["data"]["coords"], json!({"x": 11, "y": 11}));
    // A spectator has no seat.
    fan.play(json!(0), json!(0)).await;
    assert_eq!(fan.error().await, "Cannot add move. Invalid player.");
    x.bare("resign").await;
    x.expect("end_of_game_resp").await;
    let end = fan.expect("end_of_game_resp").await;
    assert_eq!(end["data"]["reason"], "resigned");
    assert_eq!(end["data"]["clocks"]["running"], Value::Null, "the clocks stopped: {end}");
    // Stopping: with unwatch_game, or as a player leaves (disconnect_player).
    fan.bare("unwatch_game").await;
    let left = fan.expect("unwatch_game_resp").await;
    assert_eq!(left["data"]["game_id"], x_joined["game_id"]);
    fan.bare("unwatch_game").await;
    assert_eq!(fan.error().await, "Cannot stop watching: not watching a game.");
    fan.send(json!({"type": "watch_game", "data": {"game_id": x_joined["game_id"]}})).await;
    fan.expect("watch_game_resp").await;
    fan.bare("disconnect_player").await;
    fan.expect("unwatch_game_resp").await;
    o.bare("rematch").await;
    x.expect("rematch_offer").await;
    let mut lost = server.player().await;
    lost.send(json!({"type": "watch_game", "data": {"game_id": "ffff"}})).await;
    assert_eq!(lost.error().await, "Trying to join non-existing game: ffff");
}

#[tokio::test]
async fn the_flag_falls_for_the_player_who_does_not_move() {
    let server = Server::start(|config| config.move_secs = 1).await;
    let (mut x, mut o, _, o_joined) = started_game(&server).await;
    for player in [&mut x, &mut o] {
        let end = player.expect("end_of_game_resp").await;
        assert_eq!(end["data"]["winner_id"], o_joined["player_id"]);
        assert_eq!(end["data"]["reason"], "time");
        assert_eq!(end["message"], "Player Bob has won the game on time");
    }
    x.play(json!(0), json!(0)).await;
    assert_eq!(x.error().await, "Cannot add move. Game has already ended.");
}

#[tokio::test]
async fn the_clocks_travel_with_the_game() {
    let server = Server::start(|_| {}).await;
    let mut alice = server.player().await;
    let time = json!({"game_secs": 120, "move_secs": 20});
    alice.create(json!({"player_name": "A", "game_public": false, "time_control": time})).await;
    let joined = alice.expect("create_player_resp").await;
    assert_eq!(joined["data"]["time_control"], json!({"game_ms": 120_000, "move_ms": 20_000}));
    alice.expect("info_resp").await;
    let mut bob = server.player().await;
    let id = joined["data"]["game_id"].clone();
    bob.create(json!({"player_name": "B", "game_public": false, "game_id": id})).await;
    bob.expect("create_player_resp").await;
    bob.expect("info_resp").await;
    alice.expect("info_resp").await;
    let start = alice.expect("start_game_resp").await;
    let clocks = &start["data"]["clocks"];
    assert_eq!(clocks["running"], "X");
    assert_eq!(clocks["o_ms"], 120_000);
    assert!(clocks["move_ms"].as_u64().is_some_and(|ms| ms <= 20_000));
    bob.expect("start_game_resp").await;
    let moved = exchange_move(&mut alice, &mut bob, 0, 0).await;
    assert_eq!(moved["data"]["clocks"]["running"], "O");
}

#[tokio::test]
async fn a_rematch_swaps_the_colours() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, o_joined) = started_game(&server).await;
    o.bare("rematch").await;
    assert_eq!(o.error().await, "Cannot ask for a rematch: the game is not over.");
    x.bare("resign").await;
    x.expect("end_of_game_resp").await;
    o.expect("end_of_game_resp").await;
    x.bare("rematch").await;
    let offer = o.expect("rematch_offer").await;
    assert_eq!(offer["data"]["player_id"], x_joined["player_id"]);
    o.bare("rematch").await;
    let o_again = o.expect("rematch_resp").await;
    assert_eq!(o_again["data"]["symbol"], "X");
    assert_eq!(o_again["data"]["player_id"], o_joined["player_id"]);
    assert_ne!(o_again["data"]["game_id"], o_joined["game_id"]);
    let x_again = x.expect("rematch_resp").await;
    assert_eq!(x_again["data"]["symbol"], "O");
    assert_eq!(x_again["data"]["opponents"], json!(["Bob"]));
    for player in [&mut x, &mut o] {
        let start = loop {
            let message = player.recv().await;
            if message["type"] == "start_game_resp" {
                break message;
            }
            assert_eq!(message["type"], "info_resp", "{message}");
        };
        assert_eq!(start["data"]["player_on_turn"], o_joined["player_id"]);
    }
    exchange_move(&mut o, &mut x, 9, 9).await;
}

#[tokio::test]
async fn the_bot_answers_every_move_and_agrees_to_a_rematch() {
    let server = Server::start(|_| {}).await;
    let mut human = server.player().await;
    human.create(json!({"player_name": "Human", "game_public": true, "opponent": "bot"})).await;
    let joined = human.expect("create_player_resp").await;
    assert_eq!(joined["data"]["symbol"], "X");
    human.expect("info_resp").await;
    let bot_in = human.expect("info_resp").await;
    assert_eq!(bot_in["message"], "Player \"Capstan bot\" joined the game.");
    let start = human.expect("start_game_resp").await;
    assert_eq!(start["data"]["players"][1]["bot"], true);
    for y in 0..3 {
        human.play(json!(0), json!(y * 2)).await;
        let mine = human.expect("add_move_resp").await;
        assert_eq!(mine["data"]["symbol"], "X");
        let reply = human.expect("add_move_resp").await;
        assert_eq!(reply["data"]["symbol"], "O");
        assert_eq!(reply["data"]["player_on_turn"], joined["data"]["player_id"]);
    }
    human.bare("resign").await;
    human.expect("end_of_game_resp").await;
    human.bare("rematch").await;
    let again = human.expect("rematch_resp").await;
    assert_eq!(again["data"]["symbol"], "O");
    // The bot is X now and moves first, unasked.
    let mut first = human.recv().await;
    while first["type"] != "add_move_resp" {
        first = human.recv().await;
    }
    assert_eq!(first["data"]["symbol"], "X");
}

#[tokio::test]
async fn rated_games_move_ratings_and_fill_the_leaderboard() {
    let server = Server::start(|_| {}).await;
    let keys = ["alicealicealice1", "bobbobbobbobbob2"];
    let mut players = Vec::new();
    for (name, key) in ["Alice", "Bob"].into_iter().zip(keys) {
        let mut player = server.player().await;
        player.create(json!({"player_name": name, "game_public": true, "player_key": key})).await;
        let joined = player.expect("create_player_resp").await;
        assert_eq!(joined["data"]["player_key"], key);
        players.push(player);
    }
    let [mut x, mut o]: [Player; 2] = players.try_into().unwrap_or_else(|_| unreachable!());
    loop {
        if x.recv().await["type"] == "start_game_resp" {
            break;
        }
    }
    let start = loop {
        let message = o.recv().await;
        if message["type"] == "start_game_resp" {
            break message;
        }
    };
    assert_eq!(start["data"]["players"][0]["rating"], 1500);
    for y in 0..4 {
        exchange_move(&mut x, &mut o, 0, y).await;
        exchange_move(&mut o, &mut x, 1, y).await;
    }
    x.play(json!(0), json!(4)).await;
    x.expect("add_move_resp").await;
    let end = x.expect("end_of_game_resp").await;
    let ratings = end["data"]["ratings"].as_array().expect("a rated game").clone();
    assert!(ratings[0].as_i64() > Some(1500) && ratings[1].as_i64() < Some(1500), "{end}");
    let board = server.get_json("/api/leaderboard").await;
    assert_eq!(board[0]["name"], "Alice");
    assert_eq!(board[0]["wins"], 1);
    assert_eq!(board[1]["name"], "Bob");
    assert_eq!(board[1]["losses"], 1);
    assert_eq!(board[0]["rating"], ratings[0]);
}

#[tokio::test]
async fn stored_games_replay_with_their_moves() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    let lobby = server.get_json("/api/lobby").await;
    assert_eq!(lobby[0]["game_id"], x_joined["game_id"]);
    assert_eq!(lobby[0]["state"], "playing");
    exchange_move(&mut x, &mut o, 2, 3).await;
    exchange_move(&mut o, &mut x, 4, 5).await;
    x.bare("resign").await;
    x.expect("end_of_game_resp").await;
    let id = x_joined["game_id"].as_str().unwrap();
    // The store writes behind the game: wait for the end to land.
    let game = loop {
        let game = server.get_json(&format!("/api/games/{id}")).await;
        if game["result"].is_string() {
            break game;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(game["x_name"], "Alice");
    assert_eq!(game["reason"], "resigned");
    assert_eq!(game["winner"], "O");
    let moves: Vec<(i64, i64)> = game["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["x"].as_i64().unwrap(), m["y"].as_i64().unwrap()))
        .collect();
    assert_eq!(moves, [(2, 3), (4, 5)]);
    let recent = server.get_json("/api/games").await;
    assert_eq!(recent[0]["game_id"], id);
    assert_eq!(server.get("/api/games/nope").await.status(), 404);
}

/// Gives `key` a stored rating of `rating`, as if it had played once.
fn rate(store: &Store, key: &str, name: &str, rating: f64) {
    let id = format!("seed-{key}");
    let seat =
        |who: &str| SeatRecord { player_id: who.into(), name: who.into(), key: None, bot: false };
    store.game_started(GameStart {
        game_id: id.clone(),
        public: false,
        x: seat("a"),
        o: seat("b"),
        game_ms: 1,
        move_ms: 1,
        started_at_ms: 1,
    });
    let after = Rating { rating, deviation: 60.0, volatility: 0.06 };
    let change = RatingChange { key: key.into(), name: name.into(), after, outcome: Outcome::Win };
    store.game_ended(GameEnd {
        game_id: id,
        result: "win",
        reason: "five",
        winner: Some(Symbol::X),
        ended_at_ms: 2,
        ratings: vec![change],
    });
}

async fn seeded(ratings: &[(&str, &str, f64)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(&dir.path().join("game.db")).expect("the store opens");
    for (key, name, rating) in ratings {
        rate(&store, key, name, *rating);
    }
    store.flush().await;
    dir
}

async fn join_rated(server: &Server, name: &str, key: &str) -> (Player, Value) {
    let mut player = server.player().await;
    player.create(json!({"player_name": name, "game_public": true, "player_key": key})).await;
    let joined = player.expect("create_player_resp").await;
    player.expect("info_resp").await;
    (player, joined["data"].clone())
}

#[tokio::test]
async fn public_players_are_paired_with_the_nearest_rating_within_the_window() {
    let dir = seeded(&[
        ("strongstrongstrong", "Strong", 1900.0),
        ("weakweakweakweakwk", "Weak", 1100.0),
        ("nearstrongnearstrg", "Near", 1850.0),
    ])
    .await;
    let server = Server::start_in(dir, |config| config.match_widen = 0.0).await;
    let (mut strong, strong_joined) = join_rated(&server, "Strong", "strongstrongstrong").await;
    let (_weak, weak_joined) = join_rated(&server, "Weak", "weakweakweakweakwk").await;
    // 800 apart, beyond the 200 window: two tables wait.
    assert_ne!(weak_joined["game_id"], strong_joined["game_id"]);
    assert_eq!(server.get_json("/api/lobby").await.as_array().map(Vec::len), Some(2));
    let (_near, near_joined) = join_rated(&server, "Near", "nearstrongnearstrg").await;
    assert_eq!(near_joined["game_id"], strong_joined["game_id"]);
    assert_eq!(near_joined["opponents"], json!(["Strong"]));
    strong.expect("info_resp").await;
    strong.expect("start_game_resp").await;
}

#[tokio::test]
async fn a_widening_window_pairs_players_who_waited() {
    let dir =
        seeded(&[("strongstrongstrong", "Strong", 1900.0), ("weakweakweakweakwk", "Weak", 1100.0)])
            .await;
    // No difference accepted at first; 10,000 more for every 10 s waited.
    let server = Server::start_in(dir, |config| {
        config.match_window = 0.0;
        config.match_widen = 10_000.0;
    })
    .await;
    let (mut strong, strong_joined) = join_rated(&server, "Strong", "strongstrongstrong").await;
    let (mut weak, weak_joined) = join_rated(&server, "Weak", "weakweakweakweakwk").await;
    assert_ne!(weak_joined["game_id"], strong_joined["game_id"]);
    // The sweep moves the later player to the earlier one's table.
    let moved = weak.expect("create_player_resp").await;
    assert_eq!(moved["data"]["game_id"], strong_joined["game_id"]);
    assert_eq!(moved["data"]["symbol"], "O");
    assert_eq!(moved["data"]["player_id"], weak_joined["player_id"]);
    weak.expect("info_resp").await;
    weak.expect("start_game_resp").await;
    strong.expect("info_resp").await;
    strong.expect("start_game_resp").await;
}

#[tokio::test]
async fn the_web_client_is_served_with_a_content_security_policy() {
    let server = Server::start(|_| {}).await;
    for path in ["/", "/app.js", "/style.css", "/capstan.js"] {
        let page = server.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.header("content-security-policy").is_some(), "{path}");
    }
    assert_eq!(server.get("/nothing").await.status(), 404);
    assert_eq!(server.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn one_key_on_both_seats_is_not_rated() {
    let server = Server::start(|_| {}).await;
    let key = "samesamesamesame";
    let mut x = server.player().await;
    x.create(json!({"player_name": "A", "game_public": false, "player_key": key})).await;
    let joined = x.expect("create_player_resp").await;
    x.expect("info_resp").await;
    let mut o = server.player().await;
    let id = joined["data"]["game_id"].clone();
    o.create(json!({"player_name": "B", "game_public": false, "game_id": id, "player_key": key}))
        .await;
    o.expect("create_player_resp").await;
    x.bare("resign").await;
    let end = loop {
        let message = o.recv().await;
        if message["type"] == "end_of_game_resp" {
            break message;
        }
    };
    assert_eq!(end["data"]["ratings"], Value::Null, "{end}");
    assert_eq!(server.get_json("/api/leaderboard").await, json!([]));
}

#[tokio::test]
async fn the_games_end_before_the_connections_when_the_server_stops() {
    let server = Server::start(|config| config.grace_secs = 0).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    exchange_move(&mut x, &mut o, 1, 1).await;
    let db = server.db.clone();
    let id = x_joined["game_id"].as_str().unwrap().to_owned();
    let stopping = tokio::spawn(server.stop());
    for player in [&mut x, &mut o] {
        let end = player.expect("end_of_game_resp").await;
        assert_eq!(end["data"]["result"], "aborted", "{end}");
        assert_eq!(end["message"], "The server is shutting down.");
        let close = player.client.expect_close().await.expect("a close frame");
        assert_eq!(close.code.0, 1001);
    }
    let _dir = stopping.await.expect("the server stopped");
    let store = Store::open(&db).expect("the database");
    let game = store.game(&id).await.expect("stored");
    assert_eq!(game.summary.result.as_deref(), Some("aborted"));
    assert_eq!(store.leaderboard(10).await, []);
}

#[tokio::test]
async fn a_rematch_racing_the_opponents_close_never_leaves_a_ghost() {
    let server = Server::start(|config| config.grace_secs = 1).await;
    for _ in 0..20 {
        let mut x = server.player().await;
        let hosted = x.create_private("X").await;
        let mut o = server.player().await;
        o.create(json!({"player_name": "O", "game_public": false, "game_id": hosted["game_id"]}))
            .await;
        o.expect("create_player_resp").await;
        o.expect("info_resp").await;
        o.expect("start_game_resp").await;
        x.expect("info_resp").await;
        x.expect("start_game_resp").await;
        x.bare("rematch").await;
        assert_eq!(x.error().await, "Cannot ask for a rematch: the game is not over.");
        o.bare("resign").await;
        o.expect("end_of_game_resp").await;
        x.expect("end_of_game_resp").await;
        x.bare("rematch").await;
        o.expect("rematch_offer").await;
        // O accepts while X's connection goes away.
        o.bare("rematch").await;
        drop(x);
        // Whichever came first, O learns that X is gone, and never waits
        // for a ghost: a refusal, X leaving, or X away in the new game
        // (then its forfeit).
        loop {
            let message = o.recv().await;
            match message["type"].as_str() {
                Some("error" | "disconnect_player_resp") => break,
                Some("opponent_away") => {
                    let end = loop {
                        let next = o.recv().await;
                        if next["type"] == "end_of_game_resp" {
                            break next;
                        }
                    };
                    assert_eq!(end["data"]["reason"], "forfeit");
                    break;
                }
                _ => {}
            }
        }
    }
}

#[tokio::test]
async fn a_refused_request_leaves_the_connection_where_it_was() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    x.bare("resign").await;
    x.expect("end_of_game_resp").await;
    o.expect("end_of_game_resp").await;
    // X asks for a game that does not exist: refused, and X stays at the
    // ended table, where a rematch is still possible.
    x.send(json!({"type": "watch_game", "data": {"game_id": "abc"}})).await;
    assert_eq!(x.error().await, "Trying to join non-existing game: abc");
    x.send(json!({"type": "resume_game", "data": {"token": "f".repeat(64)}})).await;
    assert_eq!(x.error().await, "Cannot resume: the token is unknown or its game is over.");
    o.bare("rematch").await;
    x.expect("rematch_offer").await;
    // A spectator refused a seat keeps watching.
    let (mut a, mut b, a_joined, _) = started_game(&server).await;
    let mut fan = server.player().await;
    fan.send(json!({"type": "watch_game", "data": {"game_id": a_joined["game_id"]}})).await;
    fan.expect("watch_game_resp").await;
    let id = a_joined["game_id"].clone();
    fan.create(json!({"player_name": "Fan", "game_public": false, "game_id": id})).await;
    assert_eq!(fan.error().await, "Cannot add player, game is already full.");
    exchange_move(&mut a, &mut b, 4, 4).await;
    fan.expect("add_move_resp").await;
    let _ = x_joined;
}

#[tokio::test]
async fn spectators_are_told_when_a_table_closes() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, _) = started_game(&server).await;
    let mut fan = server.player().await;
    fan.send(json!({"type": "watch_game", "data": {"game_id": x_joined["game_id"]}})).await;
    fan.expect("watch_game_resp").await;
    x.bare("resign").await;
    fan.expect("end_of_game_resp").await;
    for player in [&mut x, &mut o] {
        player.bare("disconnect_player").await;
    }
    let closed = loop {
        let message = fan.recv().await;
        if message["type"] == "unwatch_game_resp" {
            break message;
        }
        assert_eq!(message["type"], "disconnect_player_resp", "{message}");
    };
    assert_eq!(closed["data"]["game_id"], x_joined["game_id"]);
    fan.bare("unwatch_game").await;
    assert_eq!(fan.error().await, "Cannot stop watching: not watching a game.");
}
