//! What the run counted: moves sent and delivered, latencies by who
//! received the move, and every failure.

use std::time::Duration;

use crate::histogram::Histogram;

/// Who received a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The player who made it: its `add_move_resp` is the acknowledgement.
    Mover,
    /// The other player.
    Opponent,
    /// A spectator.
    Spectator,
}

/// Failures quoted in the report, at most.
const QUOTED: usize = 10;

/// The run's counts.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// `add_move` messages sent.
    pub sent: u64,
    /// Of them, acknowledged: the mover's `add_move_resp`.
    pub acked: u64,
    /// `add_move_resp` received by the opponents.
    pub to_opponents: u64,
    /// `add_move_resp` received by the spectators.
    pub to_spectators: u64,
    /// From send to the mover's `add_move_resp`, ns.
    pub to_mover_ns: Histogram,
    /// From send to the opponent's, ns.
    pub to_opponent_ns: Histogram,
    /// From send to each spectator's, ns.
    pub to_spectator_ns: Histogram,
    /// From when a move was due to when it was sent, ns: how well the
    /// load generator kept its timetable.
    pub send_lag_ns: Histogram,
    /// `error` messages from the server.
    pub errors: u64,
    /// Everything else that went wrong: connections dropped, messages
    /// unexpected, out of order or missing, waits that timed out.
    pub other_failures: u64,
    /// The first failures, described.
    pub quoted: Vec<String>,
}

impl Tally {
    /// Counts a move's arrival at `role`, `latency` after it was sent.
    pub fn delivered(&mut self, role: Role, latency: Duration) {
        let ns = latency.as_nanos() as u64;
        match role {
            Role::Mover => {
                self.acked += 1;
                self.to_mover_ns.record(ns);
            }
            Role::Opponent => {
                self.to_opponents += 1;
                self.to_opponent_ns.record(ns);
            }
            Role::Spectator => {
                self.to_spectators += 1;
                self.to_spectator_ns.record(ns);
            }
        }
    }

    /// Counts a failure: an `error` message from the server if `error`.
    pub fn fail(&mut self, error: bool, what: String) {
        if error {
            self.errors += 1;
        } else {
            self.other_failures += 1;
        }
        if self.quoted.len() < QUOTED {
            self.quoted.push(what);
        }
    }

    /// Failures of either kind.
    pub fn failures(&self) -> u64 {
        self.errors + self.other_failures
    }

    /// Whether every move sent reached everyone once: acknowledged, and
    /// delivered to the opponent and to each of `spectators` per game.
    pub fn complete(&self, spectators: usize) -> bool {
        self.acked == self.sent
            && self.to_opponents == self.sent
            && self.to_spectators == self.sent * spectators as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_role_and_quotes_the_first_failures() {
        let mut t = Tally { sent: 2, ..Tally::default() };
        assert!(!t.complete(1));
        for role in [Role::Mover, Role::Opponent, Role::Spectator] {
            t.delivered(role, Duration::from_micros(300));
            t.delivered(role, Duration::from_micros(900));
        }
        assert!(t.complete(1));
        assert!(!t.complete(2));
        assert_eq!(t.to_spectator_ns.count(), 2);
        for i in 0..12 {
            t.fail(i % 2 == 0, format!("failure {i}"));
        }
        assert_eq!((t.errors, t.other_failures, t.failures()), (6, 6, 12));
        assert_eq!(t.quoted.len(), QUOTED);
        assert_eq!(t.quoted[0], "failure 0");
    }
}
