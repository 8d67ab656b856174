//! A table's state as the wire shows it, and the original's message texts.

use std::time::Instant;

use super::TableState;
use super::seat::Seat;
use crate::protocol::server::{
    ClockView, CoordView, Ended, PlayerView, Snapshot, You, move_records,
};
use crate::rules::game::{EndReason, Ending, Phase};
use crate::rules::{BOARD_SIZE, Symbol};

/// The clocks at `now`.
pub fn clocks(state: &TableState, now: Instant) -> ClockView {
    let clocks = state.game.clocks();
    let [x, o] = clocks.remaining(now);
    ClockView {
        x_ms: x.as_millis() as u64,
        o_ms: o.as_millis() as u64,
        move_ms: clocks.move_left(now).map(|left| left.as_millis() as u64),
        running: clocks.running().map(Symbol::as_str),
    }
}

/// A seat as others see it.
pub fn player(seat: &Seat, symbol: Symbol) -> PlayerView {
    PlayerView {
        player_id: seat.player_id.clone(),
        player_name: seat.name.to_string(),
        symbol: symbol.as_str(),
        rating: seat.shown_rating(),
        bot: seat.is_bot(),
        connected: seat.is_bot() || seat.is_connected(),
    }
}

/// The seats taken, X first.
pub fn players(state: &TableState) -> Vec<PlayerView> {
    [Symbol::X, Symbol::O]
        .into_iter()
        .filter_map(|symbol| state.seat(symbol).map(|seat| player(seat, symbol)))
        .collect()
}

/// The id of the seat `symbol`, or "" when empty.
pub fn id_of(state: &TableState, symbol: Symbol) -> String {
    state.seat(symbol).map(|seat| seat.player_id.clone()).unwrap_or_default()
}

/// The name at `symbol`, or "?" when empty.
pub fn name_of(state: &TableState, symbol: Symbol) -> String {
    state.seat(symbol).map(|seat| seat.name.to_string()).unwrap_or_else(|| "?".to_owned())
}

/// `end_of_game_resp`'s data.
pub fn ended(
    state: &TableState,
    ending: &Ending,
    ratings: Option<[i64; 2]>,
    now: Instant,
) -> Ended {
    Ended {
        winner_id: ending.winner.map(|symbol| id_of(state, symbol)),
        result: ending.result(),
        reason: ending.reason.as_str(),
        line: ending.line.iter().copied().map(CoordView::from).collect(),
        ratings,
        clocks: clocks(state, now),
    }
}

/// `end_of_game_resp`'s text.
pub fn end_text(state: &TableState, ending: &Ending) -> String {
    let Some(winner) = ending.winner else {
        return match ending.reason {
            EndReason::Aborted => "The server is shutting down.".to_owned(),
            _ => "The board is full: the game is a draw.".to_owned(),
        };
    };
    let how = match ending.reason {
        EndReason::Time => " on time",
        EndReason::Forfeit => ": the opponent left",
        EndReason::Resigned => ": the opponent resigned",
        _ => "",
    };
    format!("Player {} has won the game{how}", name_of(state, winner))
}

/// The whole game for a spectator, or for the player at `you` resuming.
pub fn snapshot(
    state: &TableState,
    game_id: &str,
    public: bool,
    now: Instant,
    you: Option<Symbol>,
) -> Snapshot {
    let (on_turn, ending) = match state.game.phase() {
        Phase::Waiting => (None, None),
        Phase::Playing => (Some(id_of(state, state.game.turn())), None),
        Phase::Ended(ending) => (None, Some(ended(state, ending, state.ratings_after, now))),
    };
    let you = you.and_then(|symbol| {
        state.seat(symbol).map(|seat| You {
            player_id: seat.player_id.clone(),
            symbol: symbol.as_str(),
            resume_token: seat.token.clone(),
        })
    });
    Snapshot {
        game_id: game_id.to_owned(),
        game_public: public,
        state: state.game.phase().as_str(),
        board_size: BOARD_SIZE,
        players: players(state),
        moves: move_records(state.game.moves()),
        player_on_turn: on_turn,
        clocks: clocks(state, now),
        ending,
        you,
        spectators: state.watchers.len(),
    }
}
