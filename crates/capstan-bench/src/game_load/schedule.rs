//! When each game moves: every `period`, from an offset that spreads the
//! games evenly over one period, for `duration` after the first instant.

use std::time::Duration;

/// The moves' timetable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Games.
    pub games: usize,
    /// Between two moves of one game.
    pub period: Duration,
    /// How long moves are made for.
    pub duration: Duration,
}

impl Schedule {
    /// When game `game` makes its first move, after the start.
    pub fn offset(&self, game: usize) -> Duration {
        self.period.mul_f64(game as f64 / self.games.max(1) as f64)
    }

    /// When move `index` (0 first) of game `game` is due, after the start.
    pub fn due(&self, game: usize, index: usize) -> Duration {
        self.offset(game) + self.period * index as u32
    }

    /// Moves game `game` makes: those due before the duration is over.
    pub fn moves_of(&self, game: usize) -> usize {
        let left = self.duration.saturating_sub(self.offset(game));
        left.as_nanos().div_ceil(self.period.as_nanos()) as usize
    }

    /// Moves of every game.
    pub fn total_moves(&self) -> u64 {
        (0..self.games).map(|g| self.moves_of(g) as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn games_are_spread_over_the_period() {
        let s = Schedule {
            games: 4,
            period: Duration::from_millis(500),
            duration: Duration::from_secs(60),
        };
        assert_eq!(s.offset(0), Duration::ZERO);
        assert_eq!(s.offset(1), Duration::from_millis(125));
        assert_eq!(s.due(3, 2), Duration::from_millis(375 + 1000));
        // 0, 0.5, …, 59.5 s: 120 moves each.
        assert_eq!(s.moves_of(0), 120);
        assert_eq!(s.moves_of(3), 120);
        assert_eq!(s.total_moves(), 480);
        assert!((0..4).all(|g| s.due(g, s.moves_of(g) - 1) < s.duration));
        assert!((0..4).all(|g| s.due(g, s.moves_of(g)) >= s.duration));
        let short = Schedule { duration: Duration::from_millis(300), ..s };
        assert_eq!((short.moves_of(0), short.moves_of(2), short.moves_of(3)), (1, 1, 0));
    }
}
