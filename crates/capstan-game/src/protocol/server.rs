//! What the server sends: `{"type": …, "message": …, "data": {…}}`, the
//! original's envelope (`message` is human-readable text; an `error`
//! carries its text in `data.message`). Every field the original sent is
//! here with its type; the fields after them are new, and the original
//! client ignores them.

use serde::Serialize;

use crate::rules::{Coord, Symbol};

/// One message to send, encoded.
pub type Outgoing = String;

#[derive(Serialize)]
struct Envelope<'a, D: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
}

/// Encodes a message of `kind` with its text and data.
pub fn encode(kind: &str, message: Option<&str>, data: Option<impl Serialize>) -> Outgoing {
    let envelope = Envelope { kind, message, data };
    // Plain structs of strings and numbers always serialize.
    serde_json::to_string(&envelope).unwrap_or_default()
}

/// `error`: the text in `data.message`, as the original client reads it.
pub fn error(text: &str) -> Outgoing {
    #[derive(Serialize)]
    struct ErrorData<'a> {
        message: &'a str,
    }
    encode("error", None, Some(ErrorData { message: text }))
}

/// A cell as the wire writes it: integers.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct CoordView {
    /// The row.
    pub x: u8,
    /// The column.
    pub y: u8,
}

impl From<Coord> for CoordView {
    fn from(at: Coord) -> Self {
        CoordView { x: at.x, y: at.y }
    }
}

/// A seat as others see it.
#[derive(Clone, Debug, Serialize)]
pub struct PlayerView {
    /// The player's id (public; not a credential).
    pub player_id: String,
    /// The name.
    pub player_name: String,
    /// `"X"` or `"O"`.
    pub symbol: &'static str,
    /// The rating, rounded, when the player has a rating key.
    pub rating: Option<i64>,
    /// The server's bot.
    pub bot: bool,
    /// Whether the player's connection is there (false while away).
    pub connected: bool,
}

/// The clocks at the moment of sending, in milliseconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ClockView {
    /// X's game time left.
    pub x_ms: u64,
    /// O's game time left.
    pub o_ms: u64,
    /// What the player on turn has left for this move.
    pub move_ms: Option<u64>,
    /// Whose clock runs.
    pub running: Option<&'static str>,
}

/// The time control of a game, in milliseconds.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TimeView {
    /// Each player's time for the game.
    pub game_ms: u64,
    /// The limit per move.
    pub move_ms: u64,
}

/// `create_player_resp` (and `rematch_resp`, its twin for a rematch).
#[derive(Clone, Debug, Serialize)]
pub struct Joined {
    /// The joiner's id.
    pub player_id: String,
    /// The game's id.
    pub game_id: String,
    /// Public or private.
    pub game_public: bool,
    /// The joiner's name as kept.
    pub player_name: String,
    /// `"X"` or `"O"`.
    pub symbol: &'static str,
    /// The names of the others already in the game.
    pub opponents: Vec<String>,
    /// Always false here: the game starts with `start_game_resp`.
    pub is_my_turn: bool,
    /// New: the secret that takes the seat back (`resume_game`).
    pub resume_token: String,
    /// New: the rating key, when the client sent one.
    pub player_key: Option<String>,
    /// New: the game's time control.
    pub time_control: TimeView,
}

/// `start_game_resp`.
#[derive(Clone, Debug, Serialize)]
pub struct Started {
    /// X's id: X moves first.
    pub player_on_turn: String,
    /// 20.
    pub board_size: usize,
    /// New: the game.
    pub game_id: String,
    /// New: both seats, X first.
    pub players: Vec<PlayerView>,
    /// New: the clocks.
    pub clocks: ClockView,
}

/// `add_move_resp`.
#[derive(Clone, Debug, Serialize)]
pub struct Moved {
    /// Where the stone went.
    pub coords: CoordView,
    /// `"X"` or `"O"`.
    pub symbol: &'static str,
    /// Who moves next (after a winning move: the loser, as the original).
    pub player_on_turn: String,
    /// New: 1 for the first move.
    pub move_number: usize,
    /// New: the clocks after the move.
    pub clocks: ClockView,
}

/// `end_of_game_resp`.
#[derive(Clone, Debug, Serialize)]
pub struct Ended {
    /// The winner's id; null for a draw or an aborted game (the original
    /// client then shows neither player as the winner).
    pub winner_id: Option<String>,
    /// New: `"win"`, `"draw"` or `"aborted"`.
    pub result: &'static str,
    /// New: `"five"`, `"draw"`, `"time"`, `"forfeit"`, `"resigned"`, `"aborted"`.
    pub reason: &'static str,
    /// New: the winning line, for a five.
    pub line: Vec<CoordView>,
    /// New: the ratings after the game (rated games only), X first.
    pub ratings: Option<[i64; 2]>,
    /// New: the clocks as the game ended (stopped).
    pub clocks: ClockView,
}

/// One move of a move list.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct MoveRecord {
    /// The row.
    pub x: u8,
    /// The column.
    pub y: u8,
    /// `"X"` or `"O"`.
    pub symbol: &'static str,
}

/// The moves of a game, with symbols alternating from X.
pub fn move_records(moves: &[Coord]) -> Vec<MoveRecord> {
    let symbols = [Symbol::X, Symbol::O].into_iter().cycle();
    moves
        .iter()
        .zip(symbols)
        .map(|(at, symbol)| MoveRecord { x: at.x, y: at.y, symbol: symbol.as_str() })
        .collect()
}

/// Who the receiver of a snapshot is at the table.
#[derive(Clone, Debug, Serialize)]
pub struct You {
    /// Their id.
    pub player_id: String,
    /// Their mark.
    pub symbol: &'static str,
    /// Their (unchanged) resume token.
    pub resume_token: String,
}

/// `resume_game_resp` and `watch_game_resp`: the whole game at once.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    /// The game.
    pub game_id: String,
    /// Public or private.
    pub game_public: bool,
    /// `"waiting"`, `"playing"` or `"ended"`.
    pub state: &'static str,
    /// 20.
    pub board_size: usize,
    /// The seats taken, X first.
    pub players: Vec<PlayerView>,
    /// Every move so far.
    pub moves: Vec<MoveRecord>,
    /// Whose move it is while playing.
    pub player_on_turn: Option<String>,
    /// The clocks.
    pub clocks: ClockView,
    /// How it ended, when it has.
    pub ending: Option<Ended>,
    /// The receiver's seat (resume only).
    pub you: Option<You>,
    /// How many are watching.
    pub spectators: usize,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn errors_carry_their_text_in_data() {
        let sent: Value = serde_json::from_str(&error("Cannot add move.")).unwrap();
        assert_eq!(sent, json!({"type": "error", "data": {"message": "Cannot add move."}}));
    }

    #[test]
    fn the_envelope_puts_type_first_and_omits_what_is_absent() {
        let info = encode("info_resp", Some("Player \"Bob\" joined the game."), None::<()>);
        assert_eq!(info, r#"{"type":"info_resp","message":"Player \"Bob\" joined the game."}"#);
    }

    #[test]
    fn moves_alternate_from_x() {
        let moves = [Coord::new(1, 2).unwrap(), Coord::new(3, 4).unwrap()];
        let sent = serde_json::to_value(move_records(&moves)).unwrap();
        assert_eq!(sent, json!([{"x": 1, "y": 2, "symbol": "X"}, {"x": 3, "y": 4, "symbol": "O"}]));
    }
}
