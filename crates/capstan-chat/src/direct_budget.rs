//! How many new direct conversations a user may start: a token bucket per
//! user (by owner: the session, or the token's user, so that neither a
//! rename nor a reconnect refills it). Writing to someone already written
//! to, or who wrote first, starts nothing new.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::rate::TokenBucket;

/// The peers remembered per user, most recent last; past it the oldest is
/// forgotten (writing to it again counts as new).
const PEERS_KEPT: usize = 256;
/// A user not heard of for this long, whose budget has refilled, is
/// forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(600);
/// Forgetting runs when this many users are tracked, and each time that
/// count doubles.
const PRUNE_FROM: usize = 1024;

#[derive(Debug)]
struct Starts {
    bucket: TokenBucket,
    /// Case keys of the peers written to or heard from.
    peers: VecDeque<String>,
    last: Instant,
}

impl Starts {
    fn knows(&self, peer: &str) -> bool {
        self.peers.iter().any(|p| p == peer)
    }

    fn remember(&mut self, peer: &str) {
        if let Some(at) = self.peers.iter().position(|p| p == peer) {
            self.peers.remove(at);
        } else if self.peers.len() >= PEERS_KEPT {
            self.peers.pop_front();
        }
        self.peers.push_back(peer.to_owned());
    }
}

#[derive(Debug, Default)]
struct Users {
    by_owner: HashMap<String, Starts>,
    prune_at: usize,
}

/// New direct conversations per user per minute.
#[derive(Debug)]
pub struct DirectBudget {
    per_minute: u32,
    users: Mutex<Users>,
}

impl DirectBudget {
    /// At most `per_minute` new conversations per user a minute, in bursts
    /// of as many (0: no limit).
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            users: Mutex::new(Users { by_owner: HashMap::new(), prune_at: PRUNE_FROM }),
        }
    }

    fn users(&self) -> MutexGuard<'_, Users> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `owner` may write to `peer` (a case key) now. A peer already
    /// known costs nothing; a new one takes from the budget.
    pub fn try_start(&self, owner: &str, peer: &str) -> bool {
        self.try_start_at(owner, peer, Instant::now())
    }

    /// [`DirectBudget::try_start`] at `now`.
    pub fn try_start_at(&self, owner: &str, peer: &str, now: Instant) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut users = self.users();
        self.prune(&mut users, now);
        let starts = self.starts(&mut users, owner, now);
        starts.last = now;
        if !starts.knows(peer) && !starts.bucket.try_take_at(now) {
            return false;
        }
        starts.remember(peer);
        true
    }

    /// `owner` received a direct message from `peer`: answering it starts
    /// nothing new.
    pub fn heard_from(&self, owner: &str, peer: &str) {
        if self.per_minute == 0 {
            return;
        }
        let now = Instant::now();
        let mut users = self.users();
        let starts = self.starts(&mut users, owner, now);
        starts.remember(peer);
    }

    /// How many users are tracked.
    pub fn len(&self) -> usize {
        self.users().by_owner.len()
    }

    /// Whether no user is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn starts<'a>(&self, users: &'a mut Users, owner: &str, now: Instant) -> &'a mut Starts {
        let per_minute = f64::from(self.per_minute);
        users.by_owner.entry(owner.to_owned()).or_insert_with(|| Starts {
            bucket: TokenBucket::new_at(per_minute / 60.0, per_minute, now),
            peers: VecDeque::new(),
            last: now,
        })
    }

    fn prune(&self, users: &mut Users, now: Instant) {
        if users.by_owner.len() < users.prune_at {
            return;
        }
        users.by_owner.retain(|_, s| {
            now.saturating_duration_since(s.last) < FORGET_AFTER || !s.bucket.is_full_at(now)
        });
        users.prune_at = (users.by_owner.len() * 2).max(PRUNE_FROM);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_peers_take_from_the_budget_known_ones_do_not() {
        let budget = DirectBudget::new(3);
        let t0 = Instant::now();
        for peer in ["a", "b", "c"] {
            assert!(budget.try_start_at("me", peer, t0), "{peer}");
        }
        assert!(!budget.try_start_at("me", "d", t0), "a fourth new one in the same minute");
        assert!(budget.try_start_at("me", "a", t0), "writing again to a is not new");
        assert!(budget.try_start_at("you", "d", t0), "another user has a budget of its own");
        // A minute refills 3; 20 s refills one.
        assert!(budget.try_start_at("me", "d", t0 + Duration::from_secs(20)));
        assert!(!budget.try_start_at("me", "e", t0 + Duration::from_secs(20)));
    }

    #[test]
    fn answering_someone_who_wrote_first_is_free() {
        let budget = DirectBudget::new(1);
        let t0 = Instant::now();
        assert!(budget.try_start_at("me", "a", t0));
        budget.heard_from("me", "b");
        assert!(budget.try_start_at("me", "b", t0));
        assert!(!budget.try_start_at("me", "c", t0));
    }

    #[test]
    fn zero_means_no_limit() {
        let budget = DirectBudget::new(0);
        let t0 = Instant::now();
        assert!((0..1000).all(|n| budget.try_start_at("me", &n.to_string(), t0)));
        assert!(budget.is_empty());
    }

    #[test]
    fn idle_users_with_a_full_budget_are_forgotten() {
        let budget = DirectBudget::new(10);
        let t0 = Instant::now();
        for n in 0..PRUNE_FROM {
            budget.try_start_at(&n.to_string(), "peer", t0);
        }
        assert_eq!(budget.len(), PRUNE_FROM);
        let later = t0 + FORGET_AFTER + Duration::from_secs(60);
        budget.try_start_at("newcomer", "peer", later);
        assert_eq!(budget.len(), 1, "only the newcomer is left");
    }
}
