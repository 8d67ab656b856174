//! The game as a Capstan application: the four callbacks. Each message is
//! parsed, checked and handed to its table; every refusal is answered
//! with an `error` message to its sender, and nothing else changes.

use std::sync::Arc;
use std::time::Instant;

use capstan::{CloseInfo, Conn, Message, StatefulComponent};

use crate::errors::GameError;
use crate::ids;
use crate::lobby::Lobby;
use crate::protocol::client::{AskedTime, CreatePlayer, Opponent, Request};
use crate::protocol::server;
use crate::rating::Rating;
use crate::rules::Symbol;
use crate::rules::clock::TimeControl;
use crate::store::Store;
use crate::table::seat::{Link, Occupant, Place, Seat};
use crate::table::{Afterwards, Dropped, Newcomer, Table};

/// How many times a public join retries when the table it picked filled
/// up under it.
const MATCH_ATTEMPTS: usize = 4;

/// The game server's application: the lobby and the store.
pub struct Arcade {
    lobby: Arc<Lobby>,
    store: Store,
    default_time: TimeControl,
}

/// What each connection keeps: where it is.
pub struct Visitor {
    link: Link,
}

impl Arcade {
    /// The application over `lobby`, with `default_time` on public games.
    pub fn new(lobby: Arc<Lobby>, store: Store, default_time: TimeControl) -> Arcade {
        Arcade { lobby, store, default_time }
    }

    async fn handle(&self, conn: &Conn, link: &Link, request: Request) -> Result<(), GameError> {
        let now = Instant::now();
        match request {
            Request::CreatePlayer(create) => self.create_player(conn, link, create).await,
            Request::AddMove { x, y } => {
                let (table, symbol) = seated(link).ok_or(GameError::NoSeat)?;
                table.play(symbol, x, y, now)
            }
            Request::DisconnectPlayer if matches!(link.place(), Place::Watching(_)) => {
                stop_watching(conn, link)
            }
            Request::UnwatchGame => stop_watching(conn, link),
            Request::DisconnectPlayer => {
                let (table, symbol) = seated(link).ok_or(GameError::UnknownPlayer)?;
                self.close_if(&table, table.leave(symbol, now));
                link.set(Place::Nowhere);
                Ok(())
            }
            Request::Resign => {
                let (table, symbol) = seated(link).ok_or(GameError::NoSeat)?;
                table.resign(symbol, now)
            }
            // Each request that moves the connection finds its target
            // first: a refused one leaves the connection where it was.
            Request::ResumeGame { token } => {
                must_be_free(link)?;
                let table = self.lobby.find_token(&token).ok_or(GameError::UnknownToken)?;
                if !is_at(link, &table) {
                    self.leave_finished(conn, link, now);
                }
                table.resume(&token, conn, link, now).map(drop)
            }
            Request::WatchGame { game_id } => {
                must_be_free(link)?;
                let table = self.lobby.get(&game_id).ok_or(GameError::UnknownGame(game_id))?;
                self.leave_finished(conn, link, now);
                table.watch(conn, link, now)
            }
            Request::Rematch => {
                let (table, symbol) = seated(link).ok_or(GameError::NoSeat)?;
                let open = |control| self.lobby.open(false, control);
                if table.rematch(symbol, open, now)? {
                    self.lobby.remove(&table);
                }
                Ok(())
            }
        }
    }

    async fn create_player(
        &self,
        conn: &Conn,
        link: &Link,
        create: CreatePlayer,
    ) -> Result<(), GameError> {
        must_be_free(link)?;
        let joining = match &create.opponent {
            Opponent::Join(id) => {
                let table = self.lobby.get(id).ok_or_else(|| GameError::UnknownGame(id.clone()))?;
                if !table.is_waiting() {
                    return Err(GameError::GameFull);
                }
                Some(table)
            }
            _ => None,
        };
        let rating = match &create.player_key {
            Some(key) => Some(self.store.rating(key).await.unwrap_or_default()),
            None => None,
        };
        // After the store answered: the clock must not start in the past.
        let now = Instant::now();
        self.leave_finished(conn, link, now);
        let human = Seat {
            player_id: ids::player_id(),
            name: create.name,
            token: ids::resume_token(),
            key: create.player_key,
            rating,
            occupant: Occupant::Human {
                conn: Some(conn.clone()),
                link: link.clone(),
                away_since: None,
            },
        };
        let newcomer = Newcomer { seat: human, answer: "create_player_resp" };
        let control = create.time.map_or(self.default_time, asked_control);
        match create.opponent {
            Opponent::Join(id) => {
                let table = joining.ok_or(GameError::UnknownGame(id))?;
                table.sit(newcomer, now)?;
                Ok(())
            }
            Opponent::NewPrivate => {
                self.lobby.open(false, control).sit(newcomer, now)?;
                Ok(())
            }
            Opponent::Bot => {
                let table = self.lobby.open(false, control);
                table.sit(newcomer, now)?;
                table.sit(Newcomer { seat: Seat::bot(), answer: "create_player_resp" }, now)?;
                Ok(())
            }
            Opponent::Public => self.join_public(newcomer, rating.unwrap_or_default(), now),
        }
    }

    /// Seats a public player at the waiting table nearest their rating, or
    /// at a new table to wait there.
    fn join_public(
        &self,
        mut newcomer: Newcomer,
        rating: Rating,
        now: Instant,
    ) -> Result<(), GameError> {
        for _ in 0..MATCH_ATTEMPTS {
            let Some(table) = self.lobby.nearest_waiting(rating.rating, self.default_time) else {
                break;
            };
            match table.sit(newcomer, now) {
                Ok(_) => return Ok(()),
                // Someone else took the seat first: try again.
                Err(refused) if refused.error == GameError::GameFull => {
                    newcomer = refused.newcomer;
                }
                Err(refused) => return Err(refused.error),
            }
        }
        self.lobby.open(true, self.default_time).sit(newcomer, now)?;
        Ok(())
    }

    /// Before taking another seat or game: a connection seated in a game
    /// that is over leaves it (one still playing was refused by
    /// [`must_be_free`]); a spectator stops watching.
    fn leave_finished(&self, conn: &Conn, link: &Link, now: Instant) {
        match link.place() {
            Place::Nowhere => {}
            Place::Watching(_) => {
                let _ = stop_watching(conn, link);
            }
            Place::Seated(table, symbol) => {
                self.close_if(&table, table.leave(symbol, now));
                link.set(Place::Nowhere);
            }
        }
    }

    /// The connection of a seat closed. A rematch or matchmaking may have
    /// moved the seat to another table after the link was read: the move
    /// updates the link before it lets the old table go, so the link, read
    /// again, names where the seat went.
    fn dropped(&self, conn: &Conn, link: &Link, mut table: Arc<Table>, mut symbol: Symbol) {
        loop {
            match table.dropped(symbol, conn.id(), Instant::now()) {
                Dropped::Here(afterwards) => return self.close_if(&table, afterwards),
                Dropped::NotHere => match link.place() {
                    Place::Seated(moved, at) if moved.id() != table.id() => {
                        (table, symbol) = (moved, at);
                    }
                    _ => return,
                },
            }
        }
    }

    fn close_if(&self, table: &Table, afterwards: Afterwards) {
        if afterwards == Afterwards::Closes {
            self.lobby.remove(table);
        }
    }
}

/// A spectator stops watching: `unwatch_game_resp` with the game's id.
fn stop_watching(conn: &Conn, link: &Link) -> Result<(), GameError> {
    let Place::Watching(table) = link.place() else { return Err(GameError::NotWatching) };
    table.unwatch(conn.id());
    link.set(Place::Nowhere);
    #[derive(serde::Serialize)]
    struct Unwatched<'a> {
        game_id: &'a str,
    }
    let answer = server::encode("unwatch_game_resp", None, Some(Unwatched { game_id: table.id() }));
    let _ = conn.send_text(answer);
    Ok(())
}

/// One seat per connection: refused while the connection's game runs.
fn must_be_free(link: &Link) -> Result<(), GameError> {
    match link.place() {
        Place::Seated(table, _) if table.is_running() => Err(GameError::AlreadySeated),
        _ => Ok(()),
    }
}

/// Whether `link` is seated at `table`.
fn is_at(link: &Link, table: &Table) -> bool {
    matches!(link.place(), Place::Seated(ref at, _) if at.id() == table.id())
}

/// The table and seat `link` holds.
fn seated(link: &Link) -> Option<(Arc<Table>, Symbol)> {
    match link.place() {
        Place::Seated(table, symbol) => Some((table, symbol)),
        _ => None,
    }
}

fn asked_control(asked: AskedTime) -> TimeControl {
    TimeControl {
        per_game: std::time::Duration::from_secs(asked.game_secs),
        per_move: std::time::Duration::from_secs(asked.move_secs),
    }
}

impl StatefulComponent for Arcade {
    type State = Visitor;

    async fn on_open(&self, _conn: &Conn) -> Visitor {
        Visitor { link: Link::new() }
    }

    async fn on_message(&self, conn: &Conn, visitor: &mut Visitor, message: Message) {
        let Message::Text(text) = message else {
            let _ = conn.send_text(server::error("Invalid message. Error: text frames only"));
            return;
        };
        let result = match Request::parse(&text) {
            Ok(request) => self.handle(conn, &visitor.link, request).await,
            Err(error) => Err(error.into()),
        };
        if let Err(error) = result {
            let _ = conn.send_text(server::error(&error.to_string()));
        }
    }

    async fn on_close(&self, conn: &Conn, visitor: Visitor, _close: CloseInfo) {
        match visitor.link.place() {
            Place::Nowhere => {}
            Place::Watching(table) => table.unwatch(conn.id()),
            Place::Seated(table, symbol) => self.dropped(conn, &visitor.link, table, symbol),
        }
    }
}
