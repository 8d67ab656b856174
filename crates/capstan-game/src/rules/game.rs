//! One game's state machine: waiting → playing → ended (won, drawn or
//! aborted). Every rule the original left to the client is checked here:
//! whose turn it is, the board's bounds, occupied cells, the clocks.

use std::time::Instant;

use super::board::{Board, Coord, PlaceError, Symbol};
use super::clock::{Clocks, TimeControl};

/// Why a game ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// Five or more in a row.
    Five,
    /// The board filled up with no five: a draw.
    FullBoard,
    /// The loser's clock ran out.
    Time,
    /// The loser left and did not come back within the grace period.
    Forfeit,
    /// The loser resigned.
    Resigned,
    /// It ended before it began (the waiting player left).
    Aborted,
}

impl EndReason {
    /// The name the protocol uses (`reason` in `end_of_game_resp`).
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Five => "five",
            EndReason::FullBoard => "draw",
            EndReason::Time => "time",
            EndReason::Forfeit => "forfeit",
            EndReason::Resigned => "resigned",
            EndReason::Aborted => "aborted",
        }
    }
}

/// How a game ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ending {
    /// The winner; none for a draw or an aborted game.
    pub winner: Option<Symbol>,
    /// Why.
    pub reason: EndReason,
    /// The winning line (five or more cells) when won by a five.
    pub line: Vec<Coord>,
}

impl Ending {
    /// The result's name (`result` in `end_of_game_resp` and the store):
    /// `"win"`, `"draw"` or `"aborted"`.
    pub fn result(&self) -> &'static str {
        match (self.winner, self.reason) {
            (Some(_), _) => "win",
            (None, EndReason::Aborted) => "aborted",
            (None, _) => "draw",
        }
    }
}

/// Where a game stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// One player is in; the other has not come yet.
    Waiting,
    /// Both are in; moves are accepted from the player on turn.
    Playing,
    /// Over; no move is accepted.
    Ended(Ending),
}

impl Phase {
    /// The phase's name (`state` in snapshots and the lobby's list).
    pub fn as_str(&self) -> &'static str {
        match self {
            Phase::Waiting => "waiting",
            Phase::Playing => "playing",
            Phase::Ended(_) => "ended",
        }
    }
}

/// A move the rules refuse; nothing changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveError {
    /// The game has not started: the second player is not in yet.
    NotStarted,
    /// The game is over.
    Ended,
    /// The mover is not the player on turn.
    NotYourTurn,
    /// The cell is not on the board.
    OffBoard,
    /// The cell holds a stone already.
    Occupied(Coord),
}

/// An accepted move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Played {
    /// Where it went.
    pub at: Coord,
    /// Whose stone it is.
    pub symbol: Symbol,
    /// Set when the move ended the game (a five, or a full board).
    pub ending: Option<Ending>,
}

/// One game of Connect-5.
#[derive(Clone, Debug)]
pub struct Game {
    board: Board,
    moves: Vec<Coord>,
    phase: Phase,
    turn: Symbol,
    clocks: Clocks,
}

impl Game {
    /// A game waiting for its second player, with `control` on the clocks.
    pub fn new(control: TimeControl) -> Game {
        Game {
            board: Board::new(),
            moves: Vec::new(),
            phase: Phase::Waiting,
            turn: Symbol::X,
            clocks: Clocks::new(control),
        }
    }

    /// The second player is in: X is on turn and X's clock starts. Does
    /// nothing unless the game is waiting.
    pub fn start(&mut self, now: Instant) {
        if self.phase == Phase::Waiting {
            self.phase = Phase::Playing;
            self.clocks.start(Symbol::X, now);
        }
    }

    /// `by` puts a stone at row `x`, column `y` at `now`. The checks, in
    /// order: the game is running, the mover is on turn, the cell is on the
    /// board and empty. A flag that has fallen by `now` ends the game first
    /// (the move then finds it ended): the caller should have asked
    /// [`Game::flag_fall`] before.
    pub fn play(&mut self, by: Symbol, x: i64, y: i64, now: Instant) -> Result<Played, MoveError> {
        self.flag_fall(now);
        match self.phase {
            Phase::Waiting => return Err(MoveError::NotStarted),
            Phase::Ended(_) => return Err(MoveError::Ended),
            Phase::Playing => {}
        }
        if by != self.turn {
            return Err(MoveError::NotYourTurn);
        }
        let at = Coord::new(x, y).ok_or(MoveError::OffBoard)?;
        self.board.place(at, by).map_err(|PlaceError::Occupied| MoveError::Occupied(at))?;
        self.moves.push(at);
        let ending = if let Some(line) = self.board.winning_line(at) {
            Some(Ending { winner: Some(by), reason: EndReason::Five, line })
        } else if self.board.is_full() {
            Some(Ending { winner: None, reason: EndReason::FullBoard, line: Vec::new() })
        } else {
            None
        };
        match &ending {
            Some(ending) => self.finish(ending.clone(), now),
            None => {
                self.turn = by.other();
                self.clocks.start(self.turn, now);
            }
        }
        Ok(Played { at, symbol: by, ending })
    }

    /// Ends the game by time if the player on turn has run out by `now`;
    /// returns the ending when it does so now.
    pub fn flag_fall(&mut self, now: Instant) -> Option<Ending> {
        if self.phase != Phase::Playing {
            return None;
        }
        let loser = self.clocks.flagged(now)?;
        let ending =
            Ending { winner: Some(loser.other()), reason: EndReason::Time, line: Vec::new() };
        self.finish(ending.clone(), now);
        Some(ending)
    }

    /// `loser` gives the game up (resigned, or left for good). A waiting
    /// game is aborted instead, with no winner; a flag that has fallen by
    /// `now` ends it by time first. Returns the ending, or `None` when the
    /// game was over already.
    pub fn concede(&mut self, loser: Symbol, reason: EndReason, now: Instant) -> Option<Ending> {
        // A flag that fell before the concession decides the game.
        if let Some(ending) = self.flag_fall(now) {
            return Some(ending);
        }
        let ending = match self.phase {
            Phase::Ended(_) => return None,
            Phase::Waiting => Ending { winner: None, reason: EndReason::Aborted, line: Vec::new() },
            Phase::Playing => Ending { winner: Some(loser.other()), reason, line: Vec::new() },
        };
        self.finish(ending.clone(), now);
        Some(ending)
    }

    /// Ends the game with no winner (the server stops). Returns the
    /// ending, or `None` when the game was over already.
    pub fn abort(&mut self, now: Instant) -> Option<Ending> {
        if matches!(self.phase, Phase::Ended(_)) {
            return None;
        }
        let ending = Ending { winner: None, reason: EndReason::Aborted, line: Vec::new() };
        self.finish(ending.clone(), now);
        Some(ending)
    }

    fn finish(&mut self, ending: Ending, now: Instant) {
        self.clocks.stop(now);
        self.phase = Phase::Ended(ending);
    }

    /// Where the game stands.
    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    /// Whose move it is (while playing; the last mover's opponent after).
    pub fn turn(&self) -> Symbol {
        self.turn
    }

    /// The board.
    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The moves so far, X's first; the symbols alternate from X.
    pub fn moves(&self) -> &[Coord] {
        &self.moves
    }

    /// The clocks.
    pub fn clocks(&self) -> &Clocks {
        &self.clocks
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn started() -> (Game, Instant) {
        let now = Instant::now();
        let mut game = Game::new(TimeControl::default());
        game.start(now);
        (game, now)
    }

    #[test]
    fn no_move_before_the_second_player() {
        let mut game = Game::new(TimeControl::default());
        assert_eq!(game.play(Symbol::X, 0, 0, Instant::now()), Err(MoveError::NotStarted));
    }

    #[test]
    fn turns_alternate_and_out_of_turn_moves_are_refused() {
        let (mut game, now) = started();
        assert_eq!(game.play(Symbol::O, 0, 0, now), Err(MoveError::NotYourTurn));
        game.play(Symbol::X, 0, 0, now).unwrap();
        assert_eq!(game.play(Symbol::X, 0, 1, now), Err(MoveError::NotYourTurn));
        game.play(Symbol::O, 0, 1, now).unwrap();
        assert_eq!(game.moves().len(), 2);
    }

    #[test]
    fn off_board_and_occupied_cells_are_refused_and_the_turn_stays() {
        let (mut game, now) = started();
        assert_eq!(game.play(Symbol::X, 20, 0, now), Err(MoveError::OffBoard));
        assert_eq!(game.play(Symbol::X, 25, -3, now), Err(MoveError::OffBoard));
        game.play(Symbol::X, 4, 7, now).unwrap();
        let at = Coord::new(4, 7).unwrap();
        assert_eq!(game.play(Symbol::O, 4, 7, now), Err(MoveError::Occupied(at)));
        assert_eq!(game.turn(), Symbol::O);
        assert_eq!(game.board().stones(), 1);
    }

    #[test]
    fn five_wins_and_ends_the_game() {
        let (mut game, now) = started();
        for y in 0..4 {
            game.play(Symbol::X, 0, y, now).unwrap();
            game.play(Symbol::O, 1, y, now).unwrap();
        }
        let played = game.play(Symbol::X, 0, 4, now).unwrap();
        let ending = played.ending.expect("won");
        assert_eq!(ending.winner, Some(Symbol::X));
        assert_eq!(ending.reason, EndReason::Five);
        assert_eq!(ending.line.len(), 5);
        assert_eq!(game.play(Symbol::O, 5, 5, now), Err(MoveError::Ended));
    }

    #[test]
    fn a_full_board_without_five_is_a_draw() {
        let (mut game, now) = started();
        // X where (2x + y) mod 4 < 2: every line repeats XXOO or XO at
        // most, so no five ever forms, and each side has 200 cells.
        let symbol_at = |x: i64, y: i64| if (2 * x + y) % 4 < 2 { Symbol::X } else { Symbol::O };
        let mut xs: Vec<(i64, i64)> = Vec::new();
        let mut os: Vec<(i64, i64)> = Vec::new();
        for x in 0..20 {
            for y in 0..20 {
                if symbol_at(x, y) == Symbol::X { xs.push((x, y)) } else { os.push((x, y)) }
            }
        }
        assert_eq!(xs.len(), os.len());
        let mut last = None;
        for (x, o) in xs.into_iter().zip(os) {
            assert!(game.play(Symbol::X, x.0, x.1, now).unwrap().ending.is_none());
            last = Some(game.play(Symbol::O, o.0, o.1, now).unwrap());
        }
        let ending = last.unwrap().ending.expect("the last stone ends it");
        assert_eq!(ending.reason, EndReason::FullBoard);
        assert_eq!(ending.winner, None);
    }

    #[test]
    fn the_flag_falls_for_the_player_on_turn() {
        let (mut game, now) = started();
        game.play(Symbol::X, 3, 3, now).unwrap();
        let late = now + Duration::from_secs(61);
        assert_eq!(game.play(Symbol::O, 4, 4, late), Err(MoveError::Ended));
        let Phase::Ended(ending) = game.phase() else { panic!("ended") };
        assert_eq!(ending.winner, Some(Symbol::X));
        assert_eq!(ending.reason, EndReason::Time);
    }

    #[test]
    fn a_fallen_flag_decides_before_a_concession() {
        let (mut game, now) = started();
        game.play(Symbol::X, 3, 3, now).unwrap();
        // O's minute ran out; X resigns a moment later, before any tick.
        let ending = game.concede(Symbol::X, EndReason::Resigned, now + Duration::from_secs(61));
        let ending = ending.expect("ended");
        assert_eq!((ending.winner, ending.reason), (Some(Symbol::X), EndReason::Time));
    }

    #[test]
    fn conceding_a_waiting_game_aborts_it() {
        let mut game = Game::new(TimeControl::default());
        let ending = game.concede(Symbol::X, EndReason::Forfeit, Instant::now()).unwrap();
        assert_eq!(ending, Ending { winner: None, reason: EndReason::Aborted, line: vec![] });
        let (mut game, now) = started();
        let ending = game.concede(Symbol::O, EndReason::Resigned, now).unwrap();
        assert_eq!(ending.winner, Some(Symbol::X));
        assert_eq!(game.concede(Symbol::X, EndReason::Resigned, now), None);
    }
}
