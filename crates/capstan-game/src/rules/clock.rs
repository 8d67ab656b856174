//! Game clocks: each player has a time for the whole game and a limit
//! per move; the player on turn whose time runs out loses ("flag fall").
//! Pure: the caller passes the time, so tests need no waiting.

use std::time::{Duration, Instant};

use super::board::Symbol;

/// How much time a game gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeControl {
    /// Each player's time for all their moves together.
    pub per_game: Duration,
    /// The longest one move may take (within what is left of `per_game`).
    pub per_move: Duration,
}

impl Default for TimeControl {
    /// Ten minutes a side, at most one minute a move.
    fn default() -> Self {
        TimeControl { per_game: Duration::from_secs(600), per_move: Duration::from_secs(60) }
    }
}

/// Both players' clocks; at most one runs.
#[derive(Clone, Debug)]
pub struct Clocks {
    control: TimeControl,
    left: [Duration; 2],
    running: Option<(Symbol, Instant)>,
}

impl Clocks {
    /// Two full clocks, stopped.
    pub fn new(control: TimeControl) -> Clocks {
        Clocks { control, left: [control.per_game; 2], running: None }
    }

    /// The time control.
    pub fn control(&self) -> TimeControl {
        self.control
    }

    /// Starts `symbol`'s turn at `now` (stopping the other clock first).
    pub fn start(&mut self, symbol: Symbol, now: Instant) {
        self.stop(now);
        self.running = Some((symbol, now));
    }

    /// Stops the running clock at `now`, charging the time its player took
    /// — never past the flag's fall: a player who ran out of move time
    /// keeps the rest of their game time.
    pub fn stop(&mut self, now: Instant) {
        let deadline = self.deadline();
        if let Some((symbol, since)) = self.running.take() {
            let until = deadline.map_or(now, |(_, deadline)| now.min(deadline));
            let left = &mut self.left[symbol.index()];
            *left = left.saturating_sub(until.saturating_duration_since(since));
        }
    }

    /// Whose clock runs.
    pub fn running(&self) -> Option<Symbol> {
        self.running.map(|(symbol, _)| symbol)
    }

    /// When the running player's flag falls: at the end of their game time
    /// or of their move time, whichever comes first.
    pub fn deadline(&self) -> Option<(Symbol, Instant)> {
        let (symbol, since) = self.running?;
        let allowed = self.left[symbol.index()].min(self.control.per_move);
        Some((symbol, since + allowed))
    }

    /// The player whose flag has fallen by `now`, if any.
    pub fn flagged(&self, now: Instant) -> Option<Symbol> {
        self.deadline().filter(|&(_, deadline)| now >= deadline).map(|(symbol, _)| symbol)
    }

    /// Each player's game time left at `now`, X first.
    pub fn remaining(&self, now: Instant) -> [Duration; 2] {
        let mut left = self.left;
        if let Some((symbol, since)) = self.running {
            let left = &mut left[symbol.index()];
            *left = left.saturating_sub(now.saturating_duration_since(since));
        }
        left
    }

    /// What the running player has left for this move at `now`.
    pub fn move_left(&self, now: Instant) -> Option<Duration> {
        self.deadline().map(|(_, deadline)| deadline.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTROL: TimeControl =
        TimeControl { per_game: Duration::from_secs(100), per_move: Duration::from_secs(30) };

    #[test]
    fn the_running_clock_is_charged_when_stopped() {
        let t0 = Instant::now();
        let mut clocks = Clocks::new(CONTROL);
        clocks.start(Symbol::X, t0);
        clocks.start(Symbol::O, t0 + Duration::from_secs(12));
        assert_eq!(clocks.running(), Some(Symbol::O));
        let left = clocks.remaining(t0 + Duration::from_secs(20));
        assert_eq!(left, [Duration::from_secs(88), Duration::from_secs(92)]);
    }

    #[test]
    fn the_move_limit_makes_the_flag_fall() {
        let t0 = Instant::now();
        let mut clocks = Clocks::new(CONTROL);
        clocks.start(Symbol::X, t0);
        assert_eq!(clocks.flagged(t0 + Duration::from_secs(29)), None);
        assert_eq!(clocks.flagged(t0 + Duration::from_secs(30)), Some(Symbol::X));
        assert_eq!(clocks.move_left(t0 + Duration::from_secs(10)), Some(Duration::from_secs(20)));
    }

    #[test]
    fn the_game_time_makes_the_flag_fall_when_shorter_than_a_move() {
        let t0 = Instant::now();
        let mut clocks = Clocks::new(CONTROL);
        let mut now = t0;
        // X uses 25 s on each of four moves: 0 s... wait: 100 - 4 × 25 = 0.
        for _ in 0..3 {
            clocks.start(Symbol::X, now);
            now += Duration::from_secs(25);
            clocks.start(Symbol::O, now);
            now += Duration::from_secs(1);
        }
        clocks.start(Symbol::X, now);
        // 25 s left in the game for X, less than the 30 s move limit.
        assert_eq!(clocks.deadline(), Some((Symbol::X, now + Duration::from_secs(25))));
        assert_eq!(clocks.flagged(now + Duration::from_secs(25)), Some(Symbol::X));
    }

    #[test]
    fn a_late_stop_charges_no_more_than_the_move_allowed() {
        let t0 = Instant::now();
        let mut clocks = Clocks::new(CONTROL);
        clocks.start(Symbol::X, t0);
        clocks.stop(t0 + Duration::from_secs(45));
        assert_eq!(clocks.remaining(t0)[0], Duration::from_secs(70));
    }

    #[test]
    fn a_stopped_clock_never_flags() {
        let t0 = Instant::now();
        let mut clocks = Clocks::new(CONTROL);
        assert_eq!(clocks.flagged(t0 + Duration::from_secs(1000)), None);
        clocks.start(Symbol::X, t0);
        clocks.stop(t0 + Duration::from_secs(5));
        assert_eq!(clocks.flagged(t0 + Duration::from_secs(1000)), None);
        assert_eq!(clocks.remaining(t0)[0], Duration::from_secs(95));
    }
}
