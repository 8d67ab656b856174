//! One game's table: the rules' state machine, the two seats, the
//! spectators, and every message the game sends. All of it sits behind
//! one lock; messages are queued to connections while it is held, so every
//! receiver sees the same order of events.

pub mod seat;
pub mod views;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use capstan::{CloseCode, Conn, ConnId, Utf8Bytes};
use serde::Serialize;
use tokio::sync::Notify;

use crate::bot;
use crate::errors::GameError;
use crate::feed::WampFeed;
use crate::protocol::server::{self, CoordView, Joined, Moved, Started, TimeView};
use crate::rating::{self, Outcome};
use crate::rules::clock::TimeControl;
use crate::rules::game::{EndReason, Ending, Game, MoveError, Phase};
use crate::rules::{BOARD_SIZE, Symbol};
use crate::store::{GameEnd, GameStart, RatingChange, SeatRecord, Store};
use seat::{Link, Occupant, Place, Seat};

/// The close code sent to a connection whose seat was taken back by
/// another connection with the same resume token: 1000, so that in session
/// mode the session ends (docs/SESSIONS.md §7) rather than resuming and
/// taking the seat back in turn; the reason says why.
pub const REPLACED: CloseCode = CloseCode::NORMAL;

/// What tables are told by the server's settings.
#[derive(Clone, Copy, Debug)]
pub struct TableSettings {
    /// How long a player who lost their connection keeps the seat.
    pub grace: Duration,
    /// How long an ended table stays for a rematch or a resume.
    pub linger: Duration,
}

/// What a table does after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Afterwards {
    /// It goes on.
    Stays,
    /// It is over and should leave the lobby.
    Closes,
}

/// What [`Table::dropped`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The seat is not this connection's here (any more): it moved to
    /// another table, or another connection took it back.
    NotHere,
    /// The seat was the connection's; the table goes on or closes.
    Here(Afterwards),
}

/// One game and the people at it.
pub struct Table {
    id: String,
    public: bool,
    control: TimeControl,
    opened_at: Instant,
    state: Mutex<TableState>,
    wake: Notify,
    store: Store,
    feed: Option<WampFeed>,
    settings: TableSettings,
}

/// What the table's lock guards.
pub struct TableState {
    game: Game,
    seats: [Option<Seat>; 2],
    watchers: Vec<(Conn, Link)>,
    rematch: [bool; 2],
    ended_at: Option<Instant>,
    ratings_after: Option<[i64; 2]>,
    closed: bool,
}

impl TableState {
    /// The seat of `symbol`, if taken.
    pub fn seat(&self, symbol: Symbol) -> Option<&Seat> {
        self.seats[symbol.index()].as_ref()
    }

    /// The seat whose resume token is `token`.
    fn seat_holding(&self, token: &str) -> Option<Symbol> {
        [Symbol::X, Symbol::O]
            .into_iter()
            .find(|&symbol| self.seat(symbol).is_some_and(|seat| seat.token == token))
    }

    fn seat_mut(&mut self, symbol: Symbol) -> Option<&mut Seat> {
        self.seats[symbol.index()].as_mut()
    }

    /// Sends `text` to both players' connections and every spectator.
    fn send_all(&self, text: &Utf8Bytes) {
        let players = self.seats.iter().flatten().filter_map(Seat::conn);
        for conn in players.chain(self.watchers.iter().map(|(conn, _)| conn)) {
            // A connection that is closing or too slow drops it; the game
            // goes on.
            let _ = conn.send_text(text.clone());
        }
    }

    /// Sends `text` to everyone at the table but the seat `except`.
    fn send_others(&self, except: Symbol, text: &Utf8Bytes) {
        if let Some(conn) = self.seat(except.other()).and_then(Seat::conn) {
            let _ = conn.send_text(text.clone());
        }
        for (conn, _) in &self.watchers {
            let _ = conn.send_text(text.clone());
        }
    }

    fn humans_connected(&self) -> bool {
        self.seats.iter().flatten().any(Seat::is_connected)
    }
}

/// A player arriving at a table.
pub struct Newcomer {
    /// The seat's contents.
    pub seat: Seat,
    /// The message type of the answer: `create_player_resp`, or
    /// `rematch_resp` for a rematch.
    pub answer: &'static str,
}

/// A seat refused: why, and the newcomer back (to try another table).
pub struct SeatRefused {
    /// Why.
    pub error: GameError,
    /// Who was refused.
    pub newcomer: Newcomer,
}

impl From<Box<SeatRefused>> for GameError {
    fn from(refused: Box<SeatRefused>) -> Self {
        refused.error
    }
}

/// The time since the Unix epoch in milliseconds (stored games).
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64)
}

fn text(kind: &str, message: Option<&str>, data: Option<impl Serialize>) -> Utf8Bytes {
    Utf8Bytes::from(server::encode(kind, message, data))
}

impl Table {
    /// A new table, waiting for its players.
    pub fn new(
        id: String,
        public: bool,
        control: TimeControl,
        store: Store,
        feed: Option<WampFeed>,
        settings: TableSettings,
    ) -> Table {
        let state = TableState {
            game: Game::new(control),
            seats: [None, None],
            watchers: Vec::new(),
            rematch: [false; 2],
            ended_at: None,
            ratings_after: None,
            closed: false,
        };
        Table {
            id,
            public,
            control,
            opened_at: Instant::now(),
            state: Mutex::new(state),
            wake: Notify::new(),
            store,
            feed,
            settings,
        }
    }

    /// Sends `text` to everyone at the table and publishes it on the
    /// game's WAMP topic.
    fn broadcast(&self, state: &TableState, text: &Utf8Bytes) {
        state.send_all(text);
        self.publish(text);
    }

    /// Sends `text` to everyone but the seat `except`, and publishes it.
    fn broadcast_others(&self, state: &TableState, except: Symbol, text: &Utf8Bytes) {
        state.send_others(except, text);
        self.publish(text);
    }

    /// Public games only: a private game's id is its only secret, and a
    /// WAMP pattern subscription would show it.
    fn publish(&self, text: &Utf8Bytes) {
        if !self.public {
            return;
        }
        if let Some(feed) = &self.feed {
            feed.publish(&self.id, text);
        }
    }

    fn lock(&self) -> MutexGuard<'_, TableState> {
        // Every change below is made whole before anything can panic.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The game's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the game is public.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// The game's time control.
    pub fn control(&self) -> TimeControl {
        self.control
    }

    /// Wakes the table's timer (a deadline moved, or the table closed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits for [`Table::wake`].
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Whether the game is waiting or being played (not over, not closed).
    pub fn is_running(&self) -> bool {
        let state = self.lock();
        !state.closed && !matches!(state.game.phase(), Phase::Ended(_))
    }

    /// Whether the table waits for a second player (matchmaking).
    pub fn is_waiting(&self) -> bool {
        let state = self.lock();
        let one_seated = matches!(state.seats, [Some(_), None]);
        !state.closed && *state.game.phase() == Phase::Waiting && one_seated
    }

    /// The rating of the waiting player (for matchmaking by rating).
    pub fn waiting_rating(&self) -> f64 {
        let state = self.lock();
        let rating = state.seat(Symbol::X).and_then(|seat| seat.rating);
        rating.unwrap_or_default().rating
    }

    /// How long the table has been open at `now`.
    pub fn open_for(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.opened_at)
    }

    /// Moves this table's waiting player to `host` (matchmaking), in one
    /// step under this table's lock, so that the player's connection
    /// cannot close unseen in between; this table then closes. `false`,
    /// and nothing changes, when either table is no longer waiting.
    pub fn move_waiting_to(&self, host: &Arc<Table>, now: Instant) -> bool {
        let mut state = self.lock();
        let waiting = !state.closed && *state.game.phase() == Phase::Waiting;
        if !waiting || !matches!(state.seats, [Some(_), None]) {
            return false;
        }
        let Some(seat) = state.seats[0].take() else { return false };
        match host.sit(Newcomer { seat, answer: "create_player_resp" }, now) {
            Ok(_) => {
                self.close(&mut state);
                true
            }
            Err(refused) => {
                // The host filled up meanwhile: the player waits on here.
                state.seats[0] = Some(refused.newcomer.seat);
                false
            }
        }
    }

    /// Whose seat holds `token`.
    pub fn seat_of_token(&self, token: &str) -> Option<Symbol> {
        self.lock().seat_holding(token)
    }

    /// A one-line summary for the lobby's list of open games.
    pub fn summary(&self) -> Option<LobbyEntry> {
        let state = self.lock();
        if state.closed {
            return None;
        }
        if matches!(state.game.phase(), Phase::Ended(_)) {
            return None;
        }
        Some(LobbyEntry {
            game_id: self.id.clone(),
            state: state.game.phase().as_str(),
            players: views::players(&state),
            moves: state.game.moves().len(),
            spectators: state.watchers.len(),
        })
    }

    /// Seats `newcomer` in the first free seat (X first). The joiner gets
    /// the answer, everyone `info_resp`, and once both seats are taken
    /// `start_game_resp`.
    pub fn sit(
        self: &Arc<Self>,
        newcomer: Newcomer,
        now: Instant,
    ) -> Result<Symbol, Box<SeatRefused>> {
        let mut state = self.lock();
        let free = match &state.seats {
            [None, _] => Some(Symbol::X),
            [Some(_), None] => Some(Symbol::O),
            [Some(_), Some(_)] => None,
        };
        let symbol = match free {
            Some(symbol) if !state.closed && *state.game.phase() == Phase::Waiting => symbol,
            _ => return Err(Box::new(SeatRefused { error: GameError::GameFull, newcomer })),
        };
        let Newcomer { seat, answer } = newcomer;
        if let Occupant::Human { link, .. } = &seat.occupant {
            link.set(Place::Seated(self.clone(), symbol));
        }
        let joined = Joined {
            player_id: seat.player_id.clone(),
            game_id: self.id.clone(),
            game_public: self.public,
            player_name: seat.name.to_string(),
            symbol: symbol.as_str(),
            opponents: state.seat(symbol.other()).map(|s| s.name.to_string()).into_iter().collect(),
            is_my_turn: false,
            resume_token: seat.token.clone(),
            player_key: seat.key.clone(),
            time_control: TimeView {
                game_ms: self.control.per_game.as_millis() as u64,
                move_ms: self.control.per_move.as_millis() as u64,
            },
        };
        let info = format!("Player \"{}\" joined the game.", seat.name);
        if let Some(conn) = seat.conn() {
            let _ = conn.send_text(text(answer, Some("You entered the game."), Some(joined)));
        }
        state.seats[symbol.index()] = Some(seat);
        self.broadcast(&state, &text("info_resp", Some(&info), None::<()>));
        if state.seats.iter().all(Option::is_some) {
            self.start(&mut state, now);
        }
        drop(state);
        self.wake();
        Ok(symbol)
    }

    fn start(self: &Arc<Self>, state: &mut TableState, now: Instant) {
        state.game.start(now);
        let record = |symbol: Symbol| {
            let seat = state.seat(symbol);
            SeatRecord {
                player_id: seat.map(|s| s.player_id.clone()).unwrap_or_default(),
                name: seat.map(|s| s.name.to_string()).unwrap_or_default(),
                key: seat.and_then(|s| s.key.clone()),
                bot: seat.is_some_and(Seat::is_bot),
            }
        };
        self.store.game_started(GameStart {
            game_id: self.id.clone(),
            public: self.public,
            x: record(Symbol::X),
            o: record(Symbol::O),
            game_ms: self.control.per_game.as_millis() as u64,
            move_ms: self.control.per_move.as_millis() as u64,
            started_at_ms: unix_ms(),
        });
        let started = Started {
            player_on_turn: views::id_of(state, Symbol::X),
            board_size: BOARD_SIZE,
            game_id: self.id.clone(),
            players: views::players(state),
            clocks: views::clocks(state, now),
        };
        let message = format!("Game begins. It's \"{}\"'s turn", views::name_of(state, Symbol::X));
        self.broadcast(state, &text("start_game_resp", Some(&message), Some(started)));
        self.bot_turn(state);
    }

    /// The player at `symbol` puts a stone at (`x`, `y`).
    pub fn play(
        self: &Arc<Self>,
        symbol: Symbol,
        x: i64,
        y: i64,
        now: Instant,
    ) -> Result<(), GameError> {
        let mut state = self.lock();
        if let Some(ending) = state.game.flag_fall(now) {
            self.announce_end(&mut state, &ending, now);
            return Err(MoveError::Ended.into());
        }
        let played = state.game.play(symbol, x, y, now)?;
        let number = state.game.moves().len();
        self.store.moved(&self.id, number as u32, played.at.x, played.at.y, symbol, unix_ms());
        let moved = Moved {
            coords: CoordView::from(played.at),
            symbol: symbol.as_str(),
            // As the original: the other player, even after a winning move.
            player_on_turn: views::id_of(&state, symbol.other()),
            move_number: number,
            clocks: views::clocks(&state, now),
        };
        let message = format!(
            "Player {} put \"{symbol}\" to coordinates x{} : y{}",
            views::name_of(&state, symbol),
            played.at.x,
            played.at.y
        );
        self.broadcast(&state, &text("add_move_resp", Some(&message), Some(moved)));
        match &played.ending {
            Some(ending) => self.announce_end(&mut state, ending, now),
            None => self.bot_turn(&state),
        }
        drop(state);
        self.wake();
        Ok(())
    }

    /// If the bot is on turn, it thinks on a blocking thread and plays.
    fn bot_turn(self: &Arc<Self>, state: &TableState) {
        let turn = state.game.turn();
        let bot_on_turn = state.seat(turn).is_some_and(Seat::is_bot);
        if *state.game.phase() != Phase::Playing || !bot_on_turn {
            return;
        }
        let board = state.game.board().clone();
        let table = self.clone();
        tokio::spawn(async move {
            let chosen = tokio::task::spawn_blocking(move || bot::choose_move(&board, turn)).await;
            if let Ok(Some(at)) = chosen {
                // The game may have ended meanwhile (time, a resignation).
                let _ = table.play(turn, i64::from(at.x), i64::from(at.y), Instant::now());
            }
        });
    }

    /// Tells everyone how the game ended, rates it, and stores it.
    fn announce_end(&self, state: &mut TableState, ending: &Ending, now: Instant) {
        state.ended_at = Some(now);
        let ratings = self.rate(state, ending);
        state.ratings_after = ratings.as_ref().map(|changes| {
            [changes[0].after.rating.round() as i64, changes[1].after.rating.round() as i64]
        });
        self.store.game_ended(GameEnd {
            game_id: self.id.clone(),
            result: ending.result(),
            reason: ending.reason.as_str(),
            winner: ending.winner,
            ended_at_ms: unix_ms(),
            ratings: ratings.map(Vec::from).unwrap_or_default(),
        });
        let data = views::ended(state, ending, state.ratings_after, now);
        let message = views::end_text(state, ending);
        self.broadcast(state, &text("end_of_game_resp", Some(&message), Some(data)));
    }

    /// The rating changes of a rated game (two people with rating keys,
    /// and a game that was played), X first; the seats take them on.
    fn rate(&self, state: &mut TableState, ending: &Ending) -> Option<[RatingChange; 2]> {
        if ending.reason == EndReason::Aborted {
            return None;
        }
        let rated = |seat: Option<&Seat>| {
            let seat = seat?;
            Some((seat.key.clone()?, seat.name.to_string(), seat.rating?))
        };
        let (x_key, x_name, x_rating) = rated(state.seat(Symbol::X))?;
        let (o_key, o_name, o_rating) = rated(state.seat(Symbol::O))?;
        // One key on both seats would rate a player against themself.
        if x_key == o_key {
            return None;
        }
        let x_outcome = match ending.winner {
            Some(Symbol::X) => Outcome::Win,
            Some(Symbol::O) => Outcome::Loss,
            None => Outcome::Draw,
        };
        let (x_after, o_after) = rating::update_pair(x_rating, o_rating, x_outcome);
        for (symbol, after) in [(Symbol::X, x_after), (Symbol::O, o_after)] {
            if let Some(seat) = state.seat_mut(symbol) {
                seat.rating = Some(after);
            }
        }
        Some([
            RatingChange { key: x_key, name: x_name, after: x_after, outcome: x_outcome },
            RatingChange {
                key: o_key,
                name: o_name,
                after: o_after,
                outcome: x_outcome.reversed(),
            },
        ])
    }

    /// The player at `symbol` leaves on purpose (`disconnect_player`): a
    /// running game is lost, a waiting one aborted. Everyone at the table,
    /// the leaver included, gets `disconnect_player_resp`, as in the
    /// original.
    pub fn leave(&self, symbol: Symbol, now: Instant) -> Afterwards {
        let mut state = self.lock();
        let Some(seat) = state.seat(symbol) else { return Afterwards::Stays };
        let message = format!("Player \"{}\" has left the game.", seat.name);
        self.broadcast(&state, &text("disconnect_player_resp", Some(&message), None::<()>));
        if let Some(seat) = state.seat_mut(symbol) {
            seat.vacate();
        }
        self.after_leaving(&mut state, symbol, now)
    }

    /// The connection `conn` of the seat `symbol` is gone. A running game
    /// keeps the seat for the grace period (the opponent is told); after
    /// that, or at once when there is no grace, the game is lost.
    pub fn dropped(&self, symbol: Symbol, conn: ConnId, now: Instant) -> Dropped {
        let mut state = self.lock();
        // A seat taken back by another connection, or moved to another
        // table (a rematch, matchmaking), is not this one's.
        if !state.seat(symbol).is_some_and(|seat| seat.is_conn(conn)) {
            return Dropped::NotHere;
        }
        let playing = *state.game.phase() == Phase::Playing;
        if playing && !self.settings.grace.is_zero() {
            let Some(seat) = state.seat_mut(symbol) else { return Dropped::NotHere };
            if let Occupant::Human { conn, link, away_since } = &mut seat.occupant {
                *conn = None;
                *away_since = Some(now);
                link.set(Place::Nowhere);
            }
            #[derive(Serialize)]
            struct Away {
                player_id: String,
                grace_ms: u64,
            }
            let away = Away {
                player_id: seat.player_id.clone(),
                grace_ms: self.settings.grace.as_millis() as u64,
            };
            let message = format!("Player \"{}\" lost the connection.", seat.name);
            self.broadcast_others(
                &state,
                symbol,
                &text("opponent_away", Some(&message), Some(away)),
            );
            drop(state);
            self.wake();
            return Dropped::Here(Afterwards::Stays);
        }
        if let Some(seat) = state.seat_mut(symbol) {
            seat.vacate();
        }
        if let Some(seat) = state.seat(symbol) {
            let message = format!("Player \"{}\" has left the game.", seat.name);
            self.broadcast_others(
                &state,
                symbol,
                &text("disconnect_player_resp", Some(&message), None::<()>),
            );
        }
        Dropped::Here(self.after_leaving(&mut state, symbol, now))
    }

    fn after_leaving(&self, state: &mut TableState, symbol: Symbol, now: Instant) -> Afterwards {
        if let Some(ending) = state.game.concede(symbol, EndReason::Forfeit, now) {
            if ending.reason == EndReason::Aborted {
                // Nobody played: nothing to announce or keep.
                self.close(state);
                return Afterwards::Closes;
            }
            self.announce_end(state, &ending, now);
        }
        state.rematch = [false; 2];
        if state.humans_connected() {
            Afterwards::Stays
        } else {
            self.close(state);
            Afterwards::Closes
        }
    }

    /// The player at `symbol` resigns.
    pub fn resign(&self, symbol: Symbol, now: Instant) -> Result<(), GameError> {
        let mut state = self.lock();
        if *state.game.phase() == Phase::Waiting {
            return Err(MoveError::NotStarted.into());
        }
        let ending =
            state.game.concede(symbol, EndReason::Resigned, now).ok_or(MoveError::Ended)?;
        self.announce_end(&mut state, &ending, now);
        drop(state);
        self.wake();
        Ok(())
    }

    /// `conn` takes back the seat holding `token`: it gets the whole game
    /// (`resume_game_resp`), the others `opponent_back`. A connection that
    /// still held the seat is closed (4001).
    pub fn resume(
        self: &Arc<Self>,
        token: &str,
        conn: &Conn,
        link: &Link,
        now: Instant,
    ) -> Result<Symbol, GameError> {
        let mut state = self.lock();
        if state.closed {
            return Err(GameError::UnknownToken);
        }
        let symbol = state.seat_holding(token).ok_or(GameError::UnknownToken)?;
        let Some(seat) = state.seat_mut(symbol) else { return Err(GameError::UnknownToken) };
        let Occupant::Human { conn: held, link: held_link, away_since } = &mut seat.occupant else {
            return Err(GameError::UnknownToken);
        };
        if let Some(old) = held.take().filter(|old| old.id() != conn.id()) {
            held_link.set(Place::Nowhere);
            old.close(REPLACED, "the seat was taken back by another connection");
        }
        *held = Some(conn.clone());
        *held_link = link.clone();
        let was_away = away_since.take().is_some();
        link.set(Place::Seated(self.clone(), symbol));
        let snapshot = views::snapshot(&state, &self.id, self.public, now, Some(symbol));
        let _ = conn.send_text(text("resume_game_resp", None, Some(snapshot)));
        #[derive(Serialize)]
        struct Back {
            player_id: String,
        }
        if let Some(seat) = state.seat(symbol).filter(|_| was_away) {
            let back = Back { player_id: seat.player_id.clone() };
            let message = format!("Player \"{}\" is back.", seat.name);
            let back = text("opponent_back", Some(&message), Some(back));
            self.broadcast_others(&state, symbol, &back);
        }
        drop(state);
        self.wake();
        Ok(symbol)
    }

    /// `conn` watches: the whole game now, every event after.
    pub fn watch(
        self: &Arc<Self>,
        conn: &Conn,
        link: &Link,
        now: Instant,
    ) -> Result<(), GameError> {
        let mut state = self.lock();
        if state.closed {
            return Err(GameError::UnknownGame(self.id.clone()));
        }
        link.set(Place::Watching(self.clone()));
        state.watchers.push((conn.clone(), link.clone()));
        let snapshot = views::snapshot(&state, &self.id, self.public, now, None);
        let _ = conn.send_text(text("watch_game_resp", None, Some(snapshot)));
        Ok(())
    }

    /// `conn` stops watching.
    pub fn unwatch(&self, conn: ConnId) {
        self.lock().watchers.retain(|(watcher, _)| watcher.id() != conn);
    }

    /// The player at `symbol` asks for a rematch. When the opponent asked
    /// too (the bot always agrees), both seats move, colours swapped, to
    /// the new private table `open` makes, in one step under this table's
    /// lock (a connection closing meanwhile finds its seat at the new
    /// table); this table closes and `true` comes back. Otherwise the
    /// opponent alone gets `rematch_offer`.
    pub fn rematch(
        &self,
        symbol: Symbol,
        open: impl FnOnce(TimeControl) -> Arc<Table>,
        now: Instant,
    ) -> Result<bool, GameError> {
        let mut state = self.lock();
        if !matches!(state.game.phase(), Phase::Ended(_)) || state.closed {
            return Err(GameError::RematchTooEarly);
        }
        let other = state.seat(symbol.other()).ok_or(GameError::RematchNoOpponent)?;
        let bot = other.is_bot();
        if !bot && !other.is_connected() {
            return Err(GameError::RematchNoOpponent);
        }
        state.rematch[symbol.index()] = true;
        if !bot && !state.rematch[symbol.other().index()] {
            #[derive(Serialize)]
            struct Offer {
                player_id: String,
            }
            let Some(seat) = state.seat(symbol) else { return Ok(false) };
            let offer = Offer { player_id: seat.player_id.clone() };
            let message = format!("Player \"{}\" wants a rematch.", seat.name);
            let offer = text("rematch_offer", Some(&message), Some(offer));
            if let Some(conn) = state.seat(symbol.other()).and_then(Seat::conn) {
                let _ = conn.send_text(offer);
            }
            return Ok(false);
        }
        let (Some(x), Some(o)) = (state.seats[0].take(), state.seats[1].take()) else {
            return Err(GameError::RematchNoOpponent);
        };
        let table = open(self.control);
        for seat in [o, x] {
            // A new table has both seats free.
            let _ = table.sit(Newcomer { seat, answer: "rematch_resp" }, now);
        }
        self.close(&mut state);
        Ok(true)
    }

    /// Runs the clock and the grace periods at `now`: a fallen flag or an
    /// expired grace ends the game; an ended table with nobody left (or
    /// past its linger time) closes.
    pub fn tick(&self, now: Instant) -> Afterwards {
        let mut state = self.lock();
        if state.closed {
            return Afterwards::Closes;
        }
        if let Some(ending) = state.game.flag_fall(now) {
            self.announce_end(&mut state, &ending, now);
        }
        let grace = self.settings.grace;
        for symbol in [Symbol::X, Symbol::O] {
            let expired = state.seat(symbol).is_some_and(|seat| match seat.occupant {
                Occupant::Human { away_since: Some(since), .. } => now >= since + grace,
                _ => false,
            });
            if expired {
                if let Some(Occupant::Human { away_since, .. }) =
                    state.seat_mut(symbol).map(|seat| &mut seat.occupant)
                {
                    *away_since = None;
                }
                if let Some(ending) = state.game.concede(symbol, EndReason::Forfeit, now) {
                    self.announce_end(&mut state, &ending, now);
                }
            }
        }
        let ended = matches!(state.game.phase(), Phase::Ended(_));
        let lingered = state.ended_at.is_some_and(|at| now >= at + self.settings.linger);
        if ended && (!state.humans_connected() || lingered) {
            self.close(&mut state);
            return Afterwards::Closes;
        }
        Afterwards::Stays
    }

    /// The next moment [`Table::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let state = self.lock();
        if state.closed {
            return None;
        }
        let clock = state.game.clocks().deadline().map(|(_, at)| at);
        let graces = state.seats.iter().flatten().filter_map(|seat| match seat.occupant {
            Occupant::Human { away_since: Some(since), .. } => Some(since + self.settings.grace),
            _ => None,
        });
        let linger = state.ended_at.map(|at| at + self.settings.linger);
        clock.into_iter().chain(graces).chain(linger).min()
    }

    /// Whether the table has closed.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Closes the table: the seats and spectators let go of it (breaking
    /// the link between connections and the table).
    fn close(&self, state: &mut TableState) {
        state.closed = true;
        for seat in state.seats.iter_mut().flatten() {
            if let Occupant::Human { link, .. } = &seat.occupant
                && matches!(link.place(), Place::Seated(ref table, _) if table.id == self.id)
            {
                link.set(Place::Nowhere);
            }
        }
        state.seats = [None, None];
        #[derive(Serialize)]
        struct Closed<'a> {
            game_id: &'a str,
        }
        let closed = text(
            "unwatch_game_resp",
            Some("The game's table has closed."),
            Some(Closed { game_id: &self.id }),
        );
        for (conn, link) in state.watchers.drain(..) {
            if matches!(link.place(), Place::Watching(ref table) if table.id == self.id) {
                link.set(Place::Nowhere);
            }
            let _ = conn.send_text(closed.clone());
        }
        self.wake();
    }

    /// Ends the game because the server stops: no winner, not rated; a
    /// started game is stored as aborted.
    pub fn shut_down(&self, now: Instant) {
        let mut state = self.lock();
        let started = *state.game.phase() == Phase::Playing;
        if let Some(ending) = state.game.abort(now) {
            if started {
                self.announce_end(&mut state, &ending, now);
            } else {
                let data = views::ended(&state, &ending, None, now);
                let message = views::end_text(&state, &ending);
                self.broadcast(&state, &text("end_of_game_resp", Some(&message), Some(data)));
            }
        }
        self.close(&mut state);
    }
}

/// An open game in the lobby's list.
#[derive(Clone, Debug, Serialize)]
pub struct LobbyEntry {
    /// The game.
    pub game_id: String,
    /// `"waiting"` or `"playing"`.
    pub state: &'static str,
    /// The seats taken.
    pub players: Vec<server::PlayerView>,
    /// Moves so far.
    pub moves: usize,
    /// Spectators.
    pub spectators: usize,
}
