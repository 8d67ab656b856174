//! The classic protocol over real sockets: every message of the original,
//! in its order and shape, and every error.

mod common;

use common::{Server, exchange_move, started_game};
use serde_json::{Value, json};

#[tokio::test]
async fn joining_sends_the_originals_messages_in_its_order() {
    let server = Server::start(|_| {}).await;
    let mut alice = server.player().await;
    alice.create(json!({"player_name": "Alice", "game_public": true})).await;
    let joined = alice.expect("create_player_resp").await;
    assert_eq!(joined["message"], "You entered the game.");
    let data = &joined["data"];
    assert!(data["player_id"].is_string() && data["game_id"].is_string(), "{data}");
    assert_eq!(data["game_public"], true);
    assert_eq!(data["player_name"], "Alice");
    assert_eq!(data["symbol"], "X");
    assert_eq!(data["opponents"], json!([]));
    assert_eq!(data["is_my_turn"], false);
    let info = alice.expect("info_resp").await;
    assert_eq!(info["message"], "Player \"Alice\" joined the game.");
    assert!(info.get("data").is_none(), "info_resp has no data: {info}");

    let mut bob = server.player().await;
    bob.create(json!({"player_name": "Bob", "game_public": "true"})).await;
    let bob_joined = bob.expect("create_player_resp").await;
    assert_eq!(bob_joined["data"]["symbol"], "O");
    assert_eq!(bob_joined["data"]["opponents"], json!(["Alice"]));
    assert_eq!(bob_joined["data"]["game_id"], data["game_id"]);
    for player in [&mut alice, &mut bob] {
        let info = player.expect("info_resp").await;
        assert_eq!(info["message"], "Player \"Bob\" joined the game.");
    }
    for player in [&mut alice, &mut bob] {
        let start = player.expect("start_game_resp").await;
        assert_eq!(start["data"]["player_on_turn"], data["player_id"]);
        assert_eq!(start["data"]["board_size"], 20);
        assert_eq!(start["message"], "Game begins. It's \"Alice\"'s turn");
    }
}

#[tokio::test]
async fn a_move_reaches_both_players_with_integer_coordinates() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, o_joined) = started_game(&server).await;
    x.play(json!("4"), json!("7")).await;
    for player in [&mut x, &mut o] {
        let moved = player.expect("add_move_resp").await;
        assert_eq!(moved["data"]["coords"], json!({"x": 4, "y": 7}));
        assert_eq!(moved["data"]["symbol"], "X");
        assert_eq!(moved["data"]["player_on_turn"], o_joined["player_id"]);
        assert_eq!(moved["message"], "Player Alice put \"X\" to coordinates x4 : y7");
    }
    o.play(json!(5), json!(7)).await;
    let moved = x.expect("add_move_resp").await;
    assert_eq!(moved["data"]["player_on_turn"], x_joined["player_id"]);
    assert_eq!(moved["data"]["move_number"], 2);
    o.expect("add_move_resp").await;
}

#[tokio::test]
async fn every_illegal_move_is_answered_and_changes_nothing() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, _, _) = started_game(&server).await;
    // O before X.
    o.play(json!(0), json!(0)).await;
    assert_eq!(o.error().await, "Cannot add move. It is not your turn.");
    exchange_move(&mut x, &mut o, 4, 7).await;
    // X twice.
    x.play(json!(1), json!(1)).await;
    assert_eq!(x.error().await, "Cannot add move. It is not your turn.");
    // Occupied, off the board, not integers, missing.
    o.play(json!(4), json!("7")).await;
    assert_eq!(o.error().await, "Cannot add move to field \"4:7\". Field is not empty.");
    for (cx, cy) in [(json!(20), json!(0)), (json!(25), json!(-3)), (json!("-1"), json!(3))] {
        o.play(cx, cy).await;
        assert_eq!(o.error().await, "Cannot add move. Invalid move coordinates.");
    }
    for (cx, cy) in [(json!("3abc"), json!(1)), (json!(3.5), json!(1)), (json!(true), json!(1))] {
        o.play(cx, cy).await;
        assert_eq!(o.error().await, "Cannot add move. Invalid move coordinates.");
    }
    // What the original client sends after a click on a stone: no coordinates.
    o.send(json!({"type": "add_move", "data": {"coords": {}}})).await;
    assert_eq!(o.error().await, "Cannot add move. Invalid move coordinates.");
    // Nothing of that reached X, and O can still move.
    let moved = exchange_move(&mut o, &mut x, 5, 7).await;
    assert_eq!(moved["data"]["move_number"], 2);
}

#[tokio::test]
async fn five_in_a_row_wins_and_the_game_then_refuses_moves() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, x_joined, o_joined) = started_game(&server).await;
    for y in 0..4 {
        exchange_move(&mut x, &mut o, 9, y).await;
        exchange_move(&mut o, &mut x, 10, y).await;
    }
    x.play(json!(9), json!(4)).await;
    for player in [&mut x, &mut o] {
        let moved = player.expect("add_move_resp").await;
        // As the original: the turn passes even after the winning move.
        assert_eq!(moved["data"]["player_on_turn"], o_joined["player_id"]);
        let end = player.expect("end_of_game_resp").await;
        assert_eq!(end["data"]["winner_id"], x_joined["player_id"]);
        assert_eq!(end["message"], "Player Alice has won the game");
        assert_eq!(end["data"]["result"], "win");
        assert_eq!(end["data"]["reason"], "five");
        assert_eq!(end["data"]["line"].as_array().map(Vec::len), Some(5));
    }
    o.play(json!(0), json!(19)).await;
    assert_eq!(o.error().await, "Cannot add move. Game has already ended.");
}

#[tokio::test]
async fn a_full_board_is_a_draw() {
    // 400 moves as fast as the socket takes them: past the default rate.
    let server = Server::start(|config| {
        config.rate = 100_000;
        config.burst = 100_000;
    })
    .await;
    let (mut x, mut o, _, _) = started_game(&server).await;
    // X where (2x + y) mod 4 < 2: no line ever holds five of one symbol.
    let cells = |wanted: bool| {
        (0..20i64)
            .flat_map(|r| (0..20i64).map(move |c| (r, c)))
            .filter(move |&(r, c)| ((2 * r + c) % 4 < 2) == wanted)
            .collect::<Vec<_>>()
    };
    let moves: Vec<_> = cells(true).into_iter().zip(cells(false)).collect();
    let last = moves.len() - 1;
    for (i, ((xr, xc), (or, oc))) in moves.into_iter().enumerate() {
        exchange_move(&mut x, &mut o, xr, xc).await;
        o.play(json!(or), json!(oc)).await;
        o.expect("add_move_resp").await;
        x.expect("add_move_resp").await;
        if i == last {
            for player in [&mut x, &mut o] {
                let end = player.expect("end_of_game_resp").await;
                assert_eq!(end["data"]["winner_id"], Value::Null);
                assert_eq!(end["data"]["result"], "draw");
                assert_eq!(end["message"], "The board is full: the game is a draw.");
            }
        }
    }
}

#[tokio::test]
async fn moves_before_the_game_starts_or_without_a_seat_are_refused() {
    let server = Server::start(|_| {}).await;
    let mut stranger = server.player().await;
    stranger.play(json!(1), json!(1)).await;
    assert_eq!(stranger.error().await, "Cannot add move. Invalid player.");
    stranger.bare("disconnect_player").await;
    assert_eq!(stranger.error().await, "Unknown player disconnected.");
    let mut alone = server.player().await;
    alone.create_private("Alone").await;
    alone.play(json!(1), json!(1)).await;
    assert_eq!(alone.error().await, "Cannot add move. Game is not ready.");
}

#[tokio::test]
async fn private_games_are_joined_by_id_only_and_hold_two() {
    let server = Server::start(|_| {}).await;
    let mut host = server.player().await;
    let hosted = host.create_private("Host").await;
    let id = hosted["game_id"].as_str().expect("an id").to_owned();
    assert_eq!(id.len(), 32, "128 random bits in hex: {id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(hosted["game_public"], false);
    // A public joiner does not land in it.
    let mut public = server.player().await;
    let elsewhere = public.join_public("Public").await;
    assert_ne!(elsewhere["game_id"], hosted["game_id"]);
    let mut guest = server.player().await;
    guest.create(json!({"player_name": "Guest", "game_public": false, "game_id": id})).await;
    let joined = guest.expect("create_player_resp").await;
    assert_eq!(joined["data"]["game_id"], hosted["game_id"]);
    assert_eq!(joined["data"]["opponents"], json!(["Host"]));
    guest.expect("info_resp").await;
    guest.expect("start_game_resp").await;
    let mut third = server.player().await;
    third.create(json!({"player_name": "Third", "game_public": false, "game_id": id})).await;
    assert_eq!(third.error().await, "Cannot add player, game is already full.");
    third
        .create(json!({"player_name": "Third", "game_public": false, "game_id": "5960c2b1a3f4e"}))
        .await;
    assert_eq!(third.error().await, "Trying to join non-existing game: 5960c2b1a3f4e");
    // The refused player can still join something.
    let joined = third.join_public("Third").await;
    assert_eq!(joined["opponents"], json!(["Public"]));
}

#[tokio::test]
async fn one_seat_per_connection() {
    let server = Server::start(|_| {}).await;
    let mut player = server.player().await;
    player.join_public("Once").await;
    player.create(json!({"player_name": "Twice", "game_public": true})).await;
    assert_eq!(player.error().await, "Only one player per connection is allowed.");
}

#[tokio::test]
async fn malformed_messages_get_an_error_and_other_games_go_on() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, _, _) = started_game(&server).await;
    let mut vandal = server.player().await;
    let cases: &[(&str, &str)] = &[
        ("{", "Invalid message. Error: Syntax error"),
        (
            "[]",
            "Invalid message. Error: a message is an object with a string \"type\" and an object \"data\"",
        ),
        (
            r#"{"type":"add_move","data":1}"#,
            "Invalid message. Error: a message is an object with a string \"type\" and an object \"data\"",
        ),
        (
            r#"{"type":["x"],"data":{}}"#,
            "Invalid message. Error: a message is an object with a string \"type\" and an object \"data\"",
        ),
        (
            r#"{"type":"add_move"}"#,
            "Invalid message. Error: a message is an object with a string \"type\" and an object \"data\"",
        ),
        (r#"{"type":"fly","data":{}}"#, "Invalid message type: \"fly\""),
        (r#"{"type":"<b>x</b>","data":{}}"#, "Invalid message type: \"…\""),
        (
            r#"{"type":"create_player","data":{"player_name":"A","game_public":false,"game_id":{"a":1}}}"#,
            "Invalid game id: it must be a string.",
        ),
        (
            r#"{"type":"create_player","data":{"game_public":true}}"#,
            "Missing player name. Please fill your name.",
        ),
        (
            r#"{"type":"create_player","data":{"player_name":"A"}}"#,
            "Please specify if you want to join public game or not.",
        ),
        (
            r#"{"type":"create_player","data":{"player_name":"<img src=x onerror=alert(1)>","game_public":true}}"#,
            "Invalid player name: letters, digits, spaces, - _ and . only.",
        ),
        (
            r#"{"type":"create_player","data":{"player_name":"aaaaaaaaaaaaaaaaaaaaaaaaa","game_public":true}}"#,
            "Invalid player name: at most 24 characters.",
        ),
        (r#"{"type":"watch_game","data":{"game_id":7}}"#, "Invalid game id: it must be a string."),
        (r#"{"type":"resume_game","data":{}}"#, "Invalid resume token: it must be a string."),
    ];
    for (sent, answer) in cases {
        vandal.send_text(sent).await;
        assert_eq!(vandal.error().await, *answer, "{sent}");
    }
    vandal.client.send_frame(capstan::ws::OpCode::Binary, true, b"\x00\x01").await;
    assert_eq!(vandal.error().await, "Invalid message. Error: text frames only");
    // The game next door never noticed.
    let moved = exchange_move(&mut x, &mut o, 3, 3).await;
    assert_eq!(moved["data"]["move_number"], 1);
}

#[tokio::test]
async fn leaving_on_purpose_tells_everyone_and_the_opponent_wins() {
    let server = Server::start(|_| {}).await;
    let (mut x, mut o, _, o_joined) = started_game(&server).await;
    exchange_move(&mut x, &mut o, 3, 3).await;
    x.bare("disconnect_player").await;
    for player in [&mut x, &mut o] {
        let left = player.expect("disconnect_player_resp").await;
        assert_eq!(left["message"], "Player \"Alice\" has left the game.");
        assert!(left.get("data").is_none());
    }
    let end = o.expect("end_of_game_resp").await;
    assert_eq!(end["data"]["winner_id"], o_joined["player_id"]);
    assert_eq!(end["data"]["reason"], "forfeit");
    // The leaver may join again on the same connection.
    x.join_public("Alice").await;
}

#[tokio::test]
async fn a_waiting_player_who_leaves_takes_the_game_away() {
    let server = Server::start(|_| {}).await;
    let mut host = server.player().await;
    let hosted = host.create_private("Host").await;
    host.bare("disconnect_player").await;
    host.expect("disconnect_player_resp").await;
    let mut late = server.player().await;
    let id = hosted["game_id"].as_str().unwrap();
    late.create(json!({"player_name": "Late", "game_public": false, "game_id": id})).await;
    assert_eq!(late.error().await, format!("Trying to join non-existing game: {id}"));
}

#[tokio::test]
async fn without_grace_a_dropped_connection_loses_at_once() {
    let server = Server::start(|config| config.grace_secs = 0).await;
    let (x, mut o, _, o_joined) = started_game(&server).await;
    drop(x);
    let left = o.expect("disconnect_player_resp").await;
    assert_eq!(left["message"], "Player \"Alice\" has left the game.");
    let end = o.expect("end_of_game_resp").await;
    assert_eq!(end["data"]["winner_id"], o_joined["player_id"]);
}

#[tokio::test]
async fn oversized_and_flooding_clients_are_closed_with_the_rfc_codes() {
    let server = Server::start(|config| {
        config.max_message_bytes = 512;
        config.rate = 1;
        config.burst = 3;
    })
    .await;
    let mut big = server.player().await;
    big.send_text(&format!(r#"{{"type":"x","data":{{"pad":"{}"}}}}"#, "a".repeat(600))).await;
    let close = big.client.expect_close().await.expect("a close frame");
    assert_eq!(close.code.0, 1009);
    let mut flood = server.player().await;
    for _ in 0..10 {
        flood.bare("rematch").await;
    }
    let mut code = None;
    while code.is_none() {
        match flood.client.next_event().await {
            Some(capstan::ws::Event::Close(frame)) => code = frame.map(|f| f.code.0),
            Some(_) => continue,
            None => panic!("closed without a close frame"),
        }
    }
    assert_eq!(code, Some(1008));
}
