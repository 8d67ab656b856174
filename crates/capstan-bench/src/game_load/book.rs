//! The run's books, shared by every connection's reader and every game's
//! mover: when each move was sent, which move each connection saw last,
//! and the [`Tally`]. One lock (the load generator runs on one thread, so
//! it is never contended) and, per game, a wake-up for its mover.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::tally::{Role, Tally};

/// Who a connection is in its game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seat {
    /// The host, who plays X.
    X,
    /// The guest, who plays O.
    O,
    /// Spectator number `n` of the game.
    Spectator(usize),
}

impl Seat {
    /// The player who makes move `number` (1 for the first): X, then O.
    pub fn mover_of(number: u32) -> Seat {
        if number % 2 == 1 { Seat::X } else { Seat::O }
    }

    /// The symbol the server calls the seat by.
    pub fn symbol(self) -> &'static str {
        match self {
            Seat::X => "X",
            Seat::O => "O",
            Seat::Spectator(_) => "-",
        }
    }
}

/// One game's records.
#[derive(Debug, Clone)]
struct Game {
    /// When move n + 1 was sent.
    sent: Vec<Instant>,
    /// The last move number X, O and each spectator saw.
    seen_by_x: u32,
    seen_by_o: u32,
    seen_by_spectators: Vec<u32>,
    /// Something went wrong in this game: its mover stops.
    failed: bool,
}

impl Game {
    fn seen_mut(&mut self, seat: Seat) -> &mut u32 {
        match seat {
            Seat::X => &mut self.seen_by_x,
            Seat::O => &mut self.seen_by_o,
            Seat::Spectator(n) => &mut self.seen_by_spectators[n],
        }
    }
}

#[derive(Debug)]
struct Records {
    games: Vec<Game>,
    tally: Tally,
}

/// The books of a run.
#[derive(Debug)]
pub struct Book {
    records: Mutex<Records>,
    wake: Box<[Notify]>,
    /// The run is over: connections ending now are not failures.
    closing: AtomicBool,
}

impl Book {
    /// Books for `games` games of `spectators` spectators, each making up to `moves` moves.
    pub fn new(games: usize, spectators: usize, moves: usize) -> Self {
        let game = Game {
            sent: Vec::with_capacity(moves),
            seen_by_x: 0,
            seen_by_o: 0,
            seen_by_spectators: vec![0; spectators],
            failed: false,
        };
        Self {
            records: Mutex::new(Records { games: vec![game; games], tally: Tally::default() }),
            wake: (0..games).map(|_| Notify::new()).collect(),
            closing: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Move `number` of game `game` (1 for the first) is being sent now,
    /// `lag` after it was due.
    pub fn sending(&self, game: usize, number: u32, lag: Duration) {
        let mut records = self.lock();
        let sent = &mut records.games[game].sent;
        debug_assert_eq!(sent.len() + 1, number as usize);
        sent.push(Instant::now());
        records.tally.sent += 1;
        records.tally.send_lag_ns.record(lag.as_nanos() as u64);
    }

    /// `seat` of game `game` received `add_move_resp` number `number`, of
    /// `symbol`, at `at`.
    pub fn received(&self, game: usize, seat: Seat, number: u32, symbol: &str, at: Instant) {
        let mut records = self.lock();
        let Records { games, tally } = &mut *records;
        let record = &mut games[game];
        let seen = record.seen_mut(seat);
        let expected = *seen + 1;
        *seen = number;
        let mover = Seat::mover_of(number);
        let trouble = if number != expected {
            Some(format!("move {number} where move {expected} was due"))
        } else if symbol != mover.symbol() {
            Some(format!("move {number} of {symbol:?}, not {:?}", mover.symbol()))
        } else {
            None
        };
        let sent = (number as usize).checked_sub(1).and_then(|i| record.sent.get(i)).copied();
        match (trouble, sent) {
            (Some(why), _) => {
                record.failed = true;
                tally.fail(false, format!("game {game}, {seat:?}: {why}"));
            }
            (None, None) => {
                record.failed = true;
                tally.fail(false, format!("game {game}, {seat:?}: move {number}, never sent"));
            }
            (None, Some(sent)) => {
                let role = match seat {
                    Seat::Spectator(_) => Role::Spectator,
                    seat if seat == mover => Role::Mover,
                    _ => Role::Opponent,
                };
                tally.delivered(role, at.saturating_duration_since(sent));
            }
        }
        drop(records);
        self.wake[game].notify_one();
    }

    /// Something went wrong in game `game`: an `error` message from the
    /// server if `error`. Ignored once the run is closing.
    pub fn fail(&self, game: usize, error: bool, what: String) {
        if self.closing.load(Relaxed) {
            return;
        }
        let mut records = self.lock();
        records.games[game].failed = true;
        records.tally.fail(error, format!("game {game}: {what}"));
        drop(records);
        self.wake[game].notify_one();
    }

    /// Waits, `within` at most, until `seat` of game `game` has seen move
    /// `number` (0: nothing to wait for). Fails if the game failed.
    pub async fn wait_seen(
        &self,
        game: usize,
        seat: Seat,
        number: u32,
        within: Duration,
    ) -> Result<(), ()> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let woken = self.wake[game].notified();
            {
                let mut records = self.lock();
                let record = &mut records.games[game];
                if record.failed {
                    return Err(());
                }
                if *record.seen_mut(seat) >= number {
                    return Ok(());
                }
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                self.fail(game, false, format!("{seat:?} did not see move {number} in {within:?}"));
                return Err(());
            }
        }
    }

    /// The tally so far.
    pub fn tally(&self) -> Tally {
        self.lock().tally.clone()
    }

    /// Counts so far: moves sent, acknowledged, and failures.
    pub fn progress(&self) -> (u64, u64, u64) {
        let records = self.lock();
        (records.tally.sent, records.tally.acked, records.tally.failures())
    }

    /// Whether every move sent has reached everyone, with `spectators` per game.
    pub fn complete(&self, spectators: usize) -> bool {
        self.lock().tally.complete(spectators)
    }

    /// From now on, connections that end are not failures.
    pub fn close(&self) {
        self.closing.store(true, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn moves_are_timed_per_receiver_and_checked_in_order() {
        let book = Book::new(2, 1, 4);
        book.sending(0, 1, Duration::ZERO);
        let now = Instant::now();
        book.received(0, Seat::X, 1, "X", now);
        book.received(0, Seat::O, 1, "X", now);
        book.received(0, Seat::Spectator(0), 1, "X", now);
        assert!(book.complete(1));
        book.wait_seen(0, Seat::O, 1, Duration::from_millis(10)).await.unwrap();
        let t = book.tally();
        assert_eq!((t.sent, t.acked, t.to_opponents, t.to_spectators), (1, 1, 1, 1));
        assert_eq!(t.failures(), 0);
        // Waiting for a move nobody sent times out and fails the game.
        assert!(book.wait_seen(0, Seat::X, 2, Duration::from_millis(10)).await.is_err());
        assert_eq!(book.tally().other_failures, 1);
        // Out of order, or never sent: failures of game 1.
        book.received(1, Seat::O, 2, "O", now);
        assert_eq!(book.tally().other_failures, 2);
        book.received(1, Seat::X, 1, "X", now);
        assert_eq!(book.tally().other_failures, 3);
        assert!(book.wait_seen(1, Seat::O, 0, Duration::from_millis(10)).await.is_err());
        book.close();
        book.fail(1, true, "ignored".into());
        assert_eq!(book.tally().errors, 0);
    }

    #[test]
    fn movers_alternate() {
        assert_eq!(Seat::mover_of(1), Seat::X);
        assert_eq!(Seat::mover_of(2), Seat::O);
        assert_eq!(Seat::O.symbol(), "O");
    }
}
