//! The tables open on this server: found by id, matched by rating, each
//! with a timer task that runs its clocks and grace periods and closes it
//! when it is over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::feed::WampFeed;
use crate::ids;
use crate::rules::clock::TimeControl;
use crate::store::Store;
use crate::table::{Afterwards, LobbyEntry, Table, TableSettings};

/// How far apart in rating two public players may be to be paired: `base`
/// at first, wider by `widen` for every 10 seconds the earlier one waited.
#[derive(Clone, Copy, Debug)]
pub struct MatchWindow {
    /// The difference accepted at once.
    pub base: f64,
    /// How much more is accepted per 10 s of waiting.
    pub widen: f64,
}

impl MatchWindow {
    /// The difference accepted after waiting `waited`.
    pub fn after(&self, waited: Duration) -> f64 {
        self.base + self.widen * waited.as_secs_f64() / 10.0
    }
}

/// How often waiting public players are looked at again for a pairing.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The open tables.
pub struct Lobby {
    tables: Mutex<HashMap<String, Listed>>,
    opened: AtomicU64,
    store: Store,
    settings: TableSettings,
    window: MatchWindow,
    feed: Option<WampFeed>,
}

/// A table and when it opened (matchmaking prefers the longest waiting).
struct Listed {
    table: Arc<Table>,
    opened: u64,
}

impl Lobby {
    /// An empty lobby whose tables store their games in `store`.
    /// Its sweep pairs waiting public players as their windows widen; it
    /// stops when the lobby is dropped.
    /// Games publish their events on `feed` when there is one.
    pub fn new(
        store: Store,
        settings: TableSettings,
        window: MatchWindow,
        feed: Option<WampFeed>,
    ) -> Arc<Lobby> {
        let lobby = Arc::new(Lobby {
            tables: Mutex::new(HashMap::new()),
            opened: AtomicU64::new(0),
            store,
            settings,
            window,
            feed,
        });
        tokio::spawn(sweep(Arc::downgrade(&lobby)));
        lobby
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Listed>> {
        // Inserts and removals are whole before anything can panic.
        self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a new table with a fresh random id and starts its timer.
    pub fn open(self: &Arc<Self>, public: bool, control: TimeControl) -> Arc<Table> {
        let table = Arc::new(Table::new(
            ids::game_id(),
            public,
            control,
            self.store.clone(),
            self.feed.clone(),
            self.settings,
        ));
        let opened = self.opened.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(table.id().to_owned(), Listed { table: table.clone(), opened });
        tokio::spawn(run_timer(self.clone(), table.clone()));
        table
    }

    /// The open table `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Table>> {
        self.lock().get(id).map(|listed| listed.table.clone())
    }

    /// Takes `table` off the list (it has closed).
    pub fn remove(&self, table: &Table) {
        self.lock().remove(table.id());
    }

    /// The public waiting tables with `control`, oldest first.
    fn waiting(&self, control: TimeControl) -> Vec<Arc<Table>> {
        let mut waiting: Vec<(u64, Arc<Table>)> = self
            .lock()
            .values()
            .filter(|listed| listed.table.is_public() && listed.table.control() == control)
            .map(|listed| (listed.opened, listed.table.clone()))
            .collect();
        waiting.sort_by_key(|(opened, _)| *opened);
        waiting.into_iter().map(|(_, table)| table).filter(|table| table.is_waiting()).collect()
    }

    /// The public table waiting for a player whose waiting player's rating
    /// is nearest `rating`, within the match window (the longest waiting
    /// among equals), if any.
    pub fn nearest_waiting(&self, rating: f64, control: TimeControl) -> Option<Arc<Table>> {
        let now = Instant::now();
        let mut best: Option<(f64, Arc<Table>)> = None;
        for table in self.waiting(control) {
            let distance = (table.waiting_rating() - rating).abs();
            let fits = distance <= self.window.after(table.open_for(now));
            if fits && best.as_ref().is_none_or(|(nearest, _)| distance < *nearest) {
                best = Some((distance, table));
            }
        }
        best.map(|(_, table)| table)
    }

    /// Pairs public players who wait at separate tables once their ratings
    /// are within the window of the longer waiter: the later one moves to
    /// the earlier one's table (it gets `create_player_resp` again, with the
    /// game it moved to; spectators of the table it left are told it
    /// closed). Returns how many were moved.
    pub fn pair_waiting(self: &Arc<Self>, control: TimeControl) -> usize {
        let now = Instant::now();
        let mut waiting = self.waiting(control);
        let mut moved = 0;
        let mut i = 0;
        while i < waiting.len() {
            let host = waiting[i].clone();
            let rating = host.waiting_rating();
            let window = self.window.after(host.open_for(now));
            let partner = waiting
                .iter()
                .enumerate()
                .skip(i + 1)
                .filter(|(_, other)| (other.waiting_rating() - rating).abs() <= window)
                .min_by(|(_, a), (_, b)| {
                    let distance = |t: &Arc<Table>| (t.waiting_rating() - rating).abs();
                    distance(a).total_cmp(&distance(b))
                })
                .map(|(j, _)| j);
            if let Some(j) = partner {
                let guest = waiting.remove(j);
                if guest.move_waiting_to(&host, now) {
                    self.remove(&guest);
                    moved += 1;
                }
            }
            i += 1;
        }
        moved
    }

    /// The table with a seat holding `token`.
    pub fn find_token(&self, token: &str) -> Option<Arc<Table>> {
        let tables: Vec<Arc<Table>> = self.lock().values().map(|l| l.table.clone()).collect();
        tables.into_iter().find(|table| table.seat_of_token(token).is_some())
    }

    /// The open public games, oldest first.
    pub fn entries(&self) -> Vec<LobbyEntry> {
        let mut tables: Vec<(u64, Arc<Table>)> = self
            .lock()
            .values()
            .filter(|listed| listed.table.is_public())
            .map(|listed| (listed.opened, listed.table.clone()))
            .collect();
        tables.sort_by_key(|(opened, _)| *opened);
        tables.into_iter().filter_map(|(_, table)| table.summary()).collect()
    }

    /// Ends every game (the server stops).
    pub fn shut_down(&self) {
        let tables: Vec<Arc<Table>> = self.lock().drain().map(|(_, l)| l.table).collect();
        let now = Instant::now();
        for table in tables {
            table.shut_down(now);
        }
    }
}

/// Every [`SWEEP_EVERY`], pairs the public players waiting apart, for as
/// long as the lobby exists.
async fn sweep(lobby: std::sync::Weak<Lobby>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(lobby) = lobby.upgrade() else { break };
        let controls: Vec<TimeControl> = {
            let tables = lobby.lock();
            let mut controls: Vec<TimeControl> = Vec::new();
            for listed in tables.values().filter(|listed| listed.table.is_public()) {
                if !controls.contains(&listed.table.control()) {
                    controls.push(listed.table.control());
                }
            }
            controls
        };
        for control in controls {
            lobby.pair_waiting(control);
        }
    }
}

/// Runs `table`'s deadlines until it closes, then takes it off the list.
async fn run_timer(lobby: Arc<Lobby>, table: Arc<Table>) {
    loop {
        match table.next_deadline() {
            Some(deadline) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline.into()) => {}
                    _ = table.woken() => {}
                }
            }
            None if table.is_closed() => break,
            None => table.woken().await,
        }
        if table.tick(Instant::now()) == Afterwards::Closes {
            break;
        }
    }
    lobby.remove(&table);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::table::Newcomer;
    use crate::table::seat::Seat;

    fn lobby(window: MatchWindow) -> Arc<Lobby> {
        let store = Store::open(std::path::Path::new(":memory:")).expect("a store");
        let settings =
            TableSettings { grace: Duration::from_secs(30), linger: Duration::from_secs(60) };
        Lobby::new(store, settings, window, None)
    }

    fn bot_player() -> Newcomer {
        Newcomer { seat: Seat::bot(), answer: "create_player_resp" }
    }

    #[tokio::test]
    async fn the_sweep_leaves_a_new_table_alone_until_its_creator_sits() {
        let lobby = lobby(MatchWindow { base: 1000.0, widen: 0.0 });
        let control = TimeControl::default();
        let waiting = lobby.open(true, control);
        waiting.sit(bot_player(), Instant::now()).map_err(|_| "seated").unwrap();
        // Listed, not yet sat at: the sweep must not take it for a waiter.
        let fresh = lobby.open(true, control);
        assert_eq!(lobby.pair_waiting(control), 0);
        assert!(!fresh.is_closed());
        fresh.sit(bot_player(), Instant::now()).map_err(|_| "seated").unwrap();
        // Now two wait, within the window: the later moves to the earlier.
        assert_eq!(lobby.pair_waiting(control), 1);
        assert!(fresh.is_closed());
        assert!(!waiting.is_waiting(), "the earlier table has both players");
    }

    #[tokio::test]
    async fn the_nearest_rating_within_the_window_is_chosen() {
        let lobby = lobby(MatchWindow { base: 200.0, widen: 0.0 });
        let control = TimeControl::default();
        let at = |rating: f64| {
            let table = lobby.open(true, control);
            let mut player = bot_player();
            player.seat.rating = Some(crate::rating::Rating { rating, ..Default::default() });
            table.sit(player, Instant::now()).map_err(|_| "seated").unwrap();
            table
        };
        let low = at(1300.0);
        let high = at(1800.0);
        let near = lobby.nearest_waiting(1650.0, control).expect("a table in the window");
        assert_eq!(near.id(), high.id());
        let near = lobby.nearest_waiting(1400.0, control).expect("a table in the window");
        assert_eq!(near.id(), low.id());
        assert!(lobby.nearest_waiting(1550.0, control).is_none(), "both 250 away");
    }
}
