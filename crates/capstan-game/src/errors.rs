//! Every refusal the game answers with an `error` message; the `Display`
//! text is what the player reads (the original's wording where it had one).

use std::fmt;

use crate::ids::is_plain_id;
use crate::protocol::client::RequestError;
use crate::rules::game::MoveError;

/// A request refused; nothing changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GameError {
    /// The message itself is malformed.
    Request(RequestError),
    /// A move the rules refuse.
    Move(MoveError),
    /// `add_move` (or `resign`, `rematch`) from a connection with no seat.
    NoSeat,
    /// `create_player` from a connection seated in a game still running.
    AlreadySeated,
    /// No game has this id (or it is over and gone).
    UnknownGame(String),
    /// Both seats are taken.
    GameFull,
    /// `disconnect_player` from a connection with no seat.
    UnknownPlayer,
    /// No seat holds this resume token (wrong, or the game is gone).
    UnknownToken,
    /// A rematch asked for before the game ended.
    RematchTooEarly,
    /// A rematch asked for after the opponent left.
    RematchNoOpponent,
    /// `unwatch_game` from a connection that watches nothing.
    NotWatching,
}

impl From<RequestError> for GameError {
    fn from(error: RequestError) -> Self {
        GameError::Request(error)
    }
}

impl From<MoveError> for GameError {
    fn from(error: MoveError) -> Self {
        GameError::Move(error)
    }
}

impl fmt::Display for GameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GameError::Request(error) => error.fmt(f),
            GameError::Move(MoveError::NotStarted) => {
                f.write_str("Cannot add move. Game is not ready.")
            }
            GameError::Move(MoveError::Ended) => {
                f.write_str("Cannot add move. Game has already ended.")
            }
            GameError::Move(MoveError::NotYourTurn) => {
                f.write_str("Cannot add move. It is not your turn.")
            }
            GameError::Move(MoveError::OffBoard) => {
                f.write_str("Cannot add move. Invalid move coordinates.")
            }
            GameError::Move(MoveError::Occupied(at)) => {
                write!(f, "Cannot add move to field \"{}:{}\". Field is not empty.", at.x, at.y)
            }
            GameError::NoSeat => f.write_str("Cannot add move. Invalid player."),
            GameError::AlreadySeated => f.write_str("Only one player per connection is allowed."),
            GameError::UnknownGame(id) => {
                let id = if is_plain_id(id) { id.as_str() } else { "…" };
                write!(f, "Trying to join non-existing game: {id}")
            }
            GameError::GameFull => f.write_str("Cannot add player, game is already full."),
            GameError::UnknownPlayer => f.write_str("Unknown player disconnected."),
            GameError::UnknownToken => {
                f.write_str("Cannot resume: the token is unknown or its game is over.")
            }
            GameError::RematchTooEarly => {
                f.write_str("Cannot ask for a rematch: the game is not over.")
            }
            GameError::RematchNoOpponent => {
                f.write_str("Cannot ask for a rematch: the opponent has left.")
            }
            GameError::NotWatching => f.write_str("Cannot stop watching: not watching a game."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Coord;

    #[test]
    fn texts_keep_the_originals_wording_and_echo_nothing_unsafe() {
        let occupied = GameError::Move(MoveError::Occupied(Coord::new(3, 17).unwrap()));
        assert_eq!(occupied.to_string(), "Cannot add move to field \"3:17\". Field is not empty.");
        let hostile = GameError::UnknownGame("<img src=x>".into());
        assert_eq!(hostile.to_string(), "Trying to join non-existing game: …");
        assert_eq!(
            GameError::UnknownGame("5960c2b1a3f4e".into()).to_string(),
            "Trying to join non-existing game: 5960c2b1a3f4e"
        );
    }
}
