//! What clients send, read strictly but in the original's shapes: one JSON
//! object `{"type": …, "data": {…}}` per text frame. Anything else is a
//! [`RequestError`], answered with an `error` message; nothing here panics.

use serde_json::{Map, Value};

use crate::names::{NameError, PlayerName};

/// The longest `type` echoed back in an "invalid type" error.
const MAX_ECHOED_TYPE: usize = 32;

/// Who a new player wants to play against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opponent {
    /// A public game: matched with a waiting player (by rating).
    Public,
    /// A new private game, joined by its id.
    NewPrivate,
    /// The private (or any) game with this id.
    Join(String),
    /// The server's bot, at once.
    Bot,
}

/// A time control asked for by the game's creator, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AskedTime {
    /// Each player's time for the game.
    pub game_secs: u64,
    /// The limit per move.
    pub move_secs: u64,
}

/// `create_player`: sit down at a game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatePlayer {
    /// The name shown to the opponent.
    pub name: PlayerName,
    /// Which game.
    pub opponent: Opponent,
    /// The client's rating key (new clients keep it between visits).
    pub player_key: Option<String>,
    /// A time control for a new game.
    pub time: Option<AskedTime>,
}

/// A client's request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Join or create a game (classic).
    CreatePlayer(CreatePlayer),
    /// Put a stone at row `x`, column `y` (classic; any integers: the
    /// rules check the bounds).
    AddMove {
        /// The row.
        x: i64,
        /// The column.
        y: i64,
    },
    /// Leave the game (classic).
    DisconnectPlayer,
    /// Take a seat back after a lost connection.
    ResumeGame {
        /// The token `create_player_resp` gave.
        token: String,
    },
    /// Watch a game: its moves so far, then live.
    WatchGame {
        /// The game.
        game_id: String,
    },
    /// Stop watching.
    UnwatchGame,
    /// Ask for (or accept) a rematch with colours swapped.
    Rematch,
    /// Give the game up.
    Resign,
}

/// Why a request was refused; its `Display` is the text of the `error`
/// message (the original's wording where it had one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not JSON.
    NotJson,
    /// Not an object with a string `type` and an object `data`.
    NotEnvelope,
    /// A `type` the server does not know (echoed when short and plain).
    UnknownType(String),
    /// `player_name` missing or not a string.
    MissingName,
    /// `player_name` breaks the name rules.
    BadName(NameError),
    /// `game_public` missing or neither a boolean nor "true"/"false".
    MissingPublic,
    /// `game_id` is not a string.
    BadGameId,
    /// `coords.x`/`coords.y` missing or not integers.
    BadCoordinates,
    /// `token` missing or not a string.
    BadToken,
    /// `time_control` out of range or of the wrong shape.
    BadTimeControl,
    /// `player_key` is not a string of 16–64 letters and digits.
    BadPlayerKey,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::NotJson => f.write_str("Invalid message. Error: Syntax error"),
            RequestError::NotEnvelope => f.write_str(
                "Invalid message. Error: a message is an object with a string \"type\" and an object \"data\"",
            ),
            RequestError::UnknownType(kind) => write!(f, "Invalid message type: \"{kind}\""),
            RequestError::MissingName => f.write_str("Missing player name. Please fill your name."),
            RequestError::BadName(error) => write!(f, "Invalid player name: {error}"),
            RequestError::MissingPublic => {
                f.write_str("Please specify if you want to join public game or not.")
            }
            RequestError::BadGameId => f.write_str("Invalid game id: it must be a string."),
            RequestError::BadCoordinates => f.write_str("Cannot add move. Invalid move coordinates."),
            RequestError::BadToken => f.write_str("Invalid resume token: it must be a string."),
            RequestError::BadTimeControl => f.write_str(
                "Invalid time control: game_secs 30–7200 and move_secs 5–600, whole numbers.",
            ),
            RequestError::BadPlayerKey => {
                f.write_str("Invalid player key: 16–64 letters and digits.")
            }
        }
    }
}

impl Request {
    /// Reads one text frame.
    pub fn parse(text: &str) -> Result<Request, RequestError> {
        let value: Value = serde_json::from_str(text).map_err(|_| RequestError::NotJson)?;
        let Value::Object(mut envelope) = value else { return Err(RequestError::NotEnvelope) };
        let (Some(Value::String(kind)), Some(Value::Object(data))) =
            (envelope.remove("type"), envelope.remove("data"))
        else {
            return Err(RequestError::NotEnvelope);
        };
        match kind.as_str() {
            "create_player" => create_player(&data).map(Request::CreatePlayer),
            "add_move" => add_move(&data),
            "disconnect_player" => Ok(Request::DisconnectPlayer),
            "resume_game" => match data.get("token") {
                Some(Value::String(token)) => Ok(Request::ResumeGame { token: token.clone() }),
                _ => Err(RequestError::BadToken),
            },
            "watch_game" => match data.get("game_id") {
                Some(Value::String(id)) => Ok(Request::WatchGame { game_id: id.clone() }),
                _ => Err(RequestError::BadGameId),
            },
            "unwatch_game" => Ok(Request::UnwatchGame),
            "rematch" => Ok(Request::Rematch),
            "resign" => Ok(Request::Resign),
            _ => Err(RequestError::UnknownType(echoable(&kind))),
        }
    }
}

/// The unknown type as it may be echoed: short, letters, digits and `_`
/// only (the original client shows errors as HTML).
fn echoable(kind: &str) -> String {
    let plain = kind.len() <= MAX_ECHOED_TYPE
        && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { kind.to_owned() } else { "…".to_owned() }
}

fn create_player(data: &Map<String, Value>) -> Result<CreatePlayer, RequestError> {
    let name = match data.get("player_name") {
        // The original client sends the empty field as it is.
        Some(Value::String(name)) if name.trim_matches(' ').is_empty() => {
            return Err(RequestError::MissingName);
        }
        Some(Value::String(name)) => PlayerName::parse(name).map_err(RequestError::BadName)?,
        // The original took numbers as names too.
        Some(Value::Number(number)) => {
            PlayerName::parse(&number.to_string()).map_err(RequestError::BadName)?
        }
        _ => return Err(RequestError::MissingName),
    };
    let public = match data.get("game_public") {
        Some(Value::Bool(public)) => *public,
        Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => true,
        Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => false,
        _ => return Err(RequestError::MissingPublic),
    };
    let game_id = match data.get("game_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(RequestError::BadGameId),
    };
    let opponent = match (data.get("opponent").and_then(Value::as_str), public, game_id) {
        (Some("bot"), _, _) => Opponent::Bot,
        (_, true, _) => Opponent::Public,
        // An empty id makes a new private game, as in the original.
        (_, false, Some(id)) if !id.is_empty() => Opponent::Join(id),
        (_, false, _) => Opponent::NewPrivate,
    };
    let player_key = match data.get("player_key") {
        None | Some(Value::Null) => None,
        Some(Value::String(key))
            if (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            Some(key.clone())
        }
        Some(_) => return Err(RequestError::BadPlayerKey),
    };
    let time = match data.get("time_control") {
        None | Some(Value::Null) => None,
        Some(value) => Some(time_control(value)?),
    };
    Ok(CreatePlayer { name, opponent, player_key, time })
}

fn time_control(value: &Value) -> Result<AskedTime, RequestError> {
    let field = |name: &str, range: std::ops::RangeInclusive<u64>| {
        value.get(name).and_then(Value::as_u64).filter(|secs| range.contains(secs))
    };
    match (field("game_secs", 30..=7200), field("move_secs", 5..=600)) {
        (Some(game_secs), Some(move_secs)) => Ok(AskedTime { game_secs, move_secs }),
        _ => Err(RequestError::BadTimeControl),
    }
}

fn add_move(data: &Map<String, Value>) -> Result<Request, RequestError> {
    let coords = data.get("coords").ok_or(RequestError::BadCoordinates)?;
    let x = coords.get("x").and_then(integer).ok_or(RequestError::BadCoordinates)?;
    let y = coords.get("y").and_then(integer).ok_or(RequestError::BadCoordinates)?;
    Ok(Request::AddMove { x, y })
}

/// A coordinate: a JSON integer, or a string of one (the original client
/// sends `"4"`). `"4abc"`, `4.5` and `true` are not integers.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            let plain = !digits.is_empty() && digits.len() <= 18;
            (plain && digits.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Request, RequestError> {
        Request::parse(text)
    }

    #[test]
    fn the_original_clients_messages() {
        let join =
            parse(r#"{"type":"create_player","data":{"player_name":"Bob","game_public":true}}"#)
                .unwrap();
        let Request::CreatePlayer(join) = join else { panic!("create_player") };
        assert_eq!(join.name.as_str(), "Bob");
        assert_eq!(join.opponent, Opponent::Public);
        let private = r#"{"type":"create_player","data":{"player_name":"Al","game_public":false,"game_id":"ab12"}}"#;
        let Ok(Request::CreatePlayer(private)) = parse(private) else { panic!() };
        assert_eq!(private.opponent, Opponent::Join("ab12".into()));
        let new = r#"{"type":"create_player","data":{"player_name":"Al","game_public":"false","game_id":""}}"#;
        let Ok(Request::CreatePlayer(new)) = parse(new) else { panic!() };
        assert_eq!(new.opponent, Opponent::NewPrivate);
        let moved = parse(r#"{"type":"add_move","data":{"coords":{"x":"4","y":"17"}}}"#);
        assert_eq!(moved, Ok(Request::AddMove { x: 4, y: 17 }));
        let moved = parse(r#"{"type":"add_move","data":{"coords":{"x":4,"y":-2}}}"#);
        assert_eq!(moved, Ok(Request::AddMove { x: 4, y: -2 }));
        let left = parse(r#"{"type":"disconnect_player","data":{}}"#);
        assert_eq!(left, Ok(Request::DisconnectPlayer));
    }

    #[test]
    fn malformed_envelopes() {
        assert_eq!(parse("{"), Err(RequestError::NotJson));
        assert_eq!(parse("[1]"), Err(RequestError::NotEnvelope));
        assert_eq!(parse(r#"{"type":"add_move"}"#), Err(RequestError::NotEnvelope));
        assert_eq!(parse(r#"{"type":"add_move","data":1}"#), Err(RequestError::NotEnvelope));
        assert_eq!(parse(r#"{"type":["x"],"data":{}}"#), Err(RequestError::NotEnvelope));
        assert_eq!(
            parse(r#"{"type":"fly","data":{}}"#),
            Err(RequestError::UnknownType("fly".into()))
        );
        let hostile = parse(r#"{"type":"<img src=x onerror=alert(1)>","data":{}}"#);
        assert_eq!(hostile, Err(RequestError::UnknownType("…".into())));
    }

    #[test]
    fn coordinates_must_be_integers() {
        for coords in [
            r#"{}"#,
            r#"{"x":"3abc","y":1}"#,
            r#"{"x":3.5,"y":1}"#,
            r#"{"x":true,"y":1}"#,
            r#"{"x":"","y":1}"#,
            r#"{"x":"-","y":1}"#,
            r#"{"x":1,"y":null}"#,
            r#"{"x":"99999999999999999999999","y":1}"#,
        ] {
            let text = format!(r#"{{"type":"add_move","data":{{"coords":{coords}}}}}"#);
            assert_eq!(parse(&text), Err(RequestError::BadCoordinates), "{coords}");
        }
    }

    #[test]
    fn create_player_fields_are_checked() {
        let with = |data: &str| parse(&format!(r#"{{"type":"create_player","data":{data}}}"#));
        assert_eq!(with(r#"{"game_public":true}"#), Err(RequestError::MissingName));
        assert_eq!(
            with(r#"{"player_name":" ","game_public":true}"#),
            Err(RequestError::MissingName)
        );
        assert_eq!(with(r#"{"player_name":"A"}"#), Err(RequestError::MissingPublic));
        assert_eq!(
            with(r#"{"player_name":"A","game_public":"maybe"}"#),
            Err(RequestError::MissingPublic)
        );
        assert_eq!(
            with(r#"{"player_name":"A","game_public":false,"game_id":[1]}"#),
            Err(RequestError::BadGameId)
        );
        assert!(matches!(
            with(r#"{"player_name":"<b>","game_public":true}"#),
            Err(RequestError::BadName(_))
        ));
        assert_eq!(
            with(r#"{"player_name":"A","game_public":true,"time_control":{"game_secs":1}}"#),
            Err(RequestError::BadTimeControl)
        );
        assert_eq!(
            with(r#"{"player_name":"A","game_public":true,"player_key":"short"}"#),
            Err(RequestError::BadPlayerKey)
        );
        let Ok(Request::CreatePlayer(bot)) =
            with(r#"{"player_name":7,"game_public":true,"opponent":"bot"}"#)
        else {
            panic!("a bot game")
        };
        assert_eq!(bot.opponent, Opponent::Bot);
        assert_eq!(bot.name.as_str(), "7");
    }
}
