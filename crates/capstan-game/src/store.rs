//! The game's SQLite database: games (running and ended), their moves, and
//! the players' rating profiles.
//!
//! One thread ("game-store") owns the connection. Writes are queued on an
//! unbounded channel, so the game never waits for the disk; the thread
//! takes them in batches and commits each batch in one transaction (each
//! job inside its own savepoint, so one failing job does not undo the
//! others). Reads travel through the same queue and are answered after the
//! batch they arrived in is committed, so a read sees every write queued
//! before it.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::rating::{Outcome, Rating};
use crate::rules::Symbol;

/// The schema version this build writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 1000;

/// How long a write waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The tables of version 1.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS games (
    game_id TEXT PRIMARY KEY,
    public INTEGER NOT NULL,
    x_player_id TEXT NOT NULL,
    x_name TEXT NOT NULL,
    x_key TEXT,
    x_bot INTEGER NOT NULL,
    o_player_id TEXT NOT NULL,
    o_name TEXT NOT NULL,
    o_key TEXT,
    o_bot INTEGER NOT NULL,
    game_ms INTEGER NOT NULL,
    move_ms INTEGER NOT NULL,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    result TEXT,
    reason TEXT,
    winner TEXT
);
CREATE TABLE IF NOT EXISTS moves (
    game_id TEXT NOT NULL REFERENCES games (game_id),
    number INTEGER NOT NULL,
    x INTEGER NOT NULL,
    y INTEGER NOT NULL,
    symbol TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (game_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS profiles (
    key TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    rating REAL NOT NULL,
    deviation REAL NOT NULL,
    volatility REAL NOT NULL,
    games INTEGER NOT NULL,
    wins INTEGER NOT NULL,
    draws INTEGER NOT NULL,
    losses INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS games_recent_public
    ON games (ended_at_ms) WHERE public = 1 AND ended_at_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS profiles_by_rating
    ON profiles (rating DESC, name, key) WHERE games > 0;
";

/// The columns of a [`GameSummary`], in the order [`summary_from_row`]
/// reads them, over `games AS g`.
const SUMMARY_COLUMNS: &str = "g.game_id, g.public, g.x_name, g.o_name, g.x_bot, g.o_bot,
    g.result, g.reason, g.winner, g.started_at_ms, g.ended_at_ms,
    (SELECT COUNT(*) FROM moves AS m WHERE m.game_id = g.game_id), g.game_ms, g.move_ms";

/// A query run on the store's thread; it sends its own answer.
type Read = Box<dyn FnOnce(&Connection) + Send>;

/// Work for the store's thread.
enum Job {
    /// Store a new game.
    Started(GameStart),
    /// Store a move.
    Moved { game_id: String, number: u32, x: u8, y: u8, symbol: Symbol, at_ms: u64 },
    /// Store a game's end and its rating changes.
    Ended(GameEnd),
    /// Answer a query once the writes queued before it are committed.
    Read(Read),
}

/// The game's database: one thread owns the SQLite connection; writes are
/// queued (never block the caller) and committed in one transaction per
/// batch of queued jobs; reads are answered through a tokio oneshot.
///
/// Cheap to clone. The thread commits what is queued and ends once every
/// clone is dropped.
#[derive(Clone)]
pub struct Store {
    jobs: Sender<Job>,
}

/// A game as it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct GameStart {
    /// The game's id.
    pub game_id: String,
    /// Whether the game is listed publicly (in [`Store::recent_games`]).
    pub public: bool,
    /// Who plays X.
    pub x: SeatRecord,
    /// Who plays O.
    pub o: SeatRecord,
    /// Each player's time for the whole game, in ms.
    pub game_ms: u64,
    /// Time allowed per move, in ms.
    pub move_ms: u64,
    /// When the game started (unix ms).
    pub started_at_ms: u64,
}

/// One seat of a game.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatRecord {
    /// The player's id in the game.
    pub player_id: String,
    /// The name shown.
    pub name: String,
    /// The player's profile key, if rated.
    pub key: Option<String>,
    /// Whether the seat is played by the bot.
    pub bot: bool,
}

/// A game as it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct GameEnd {
    /// The game's id.
    pub game_id: String,
    /// `"win"`, `"draw"` or `"aborted"`.
    pub result: &'static str,
    /// Why the game ended (e.g. five in a row, time, resignation).
    pub reason: &'static str,
    /// Who won, if anyone.
    pub winner: Option<Symbol>,
    /// When the game ended (unix ms).
    pub ended_at_ms: u64,
    /// The players' new ratings, if the game was rated.
    pub ratings: Vec<RatingChange>,
}

/// One player's rating after a rated game: the profile is upserted with the
/// new rating and the latest name, and its counters incremented.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingChange {
    /// The profile's key.
    pub key: String,
    /// The player's name as of this game.
    pub name: String,
    /// The rating after the game.
    pub after: Rating,
    /// The game's outcome for this player.
    pub outcome: Outcome,
}

/// A row of the leaderboard.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct LeaderRow {
    /// The player's latest name.
    pub name: String,
    /// The rating, rounded.
    pub rating: i64,
    /// The rating deviation, rounded.
    pub deviation: i64,
    /// Rated games played.
    pub games: u32,
    /// Rated games won.
    pub wins: u32,
    /// Rated games drawn.
    pub draws: u32,
    /// Rated games lost.
    pub losses: u32,
}

/// A stored game without its moves.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct GameSummary {
    /// The game's id.
    pub game_id: String,
    /// Whether the game is listed publicly.
    pub public: bool,
    /// X's name.
    pub x_name: String,
    /// O's name.
    pub o_name: String,
    /// Whether X is the bot.
    pub x_bot: bool,
    /// Whether O is the bot.
    pub o_bot: bool,
    /// `"win"`, `"draw"` or `"aborted"`; `None` while running.
    pub result: Option<String>,
    /// Why the game ended; `None` while running.
    pub reason: Option<String>,
    /// `"X"` or `"O"`; `None` while running or without a winner.
    pub winner: Option<String>,
    /// When the game started (unix ms).
    pub started_at_ms: u64,
    /// When the game ended (unix ms); `None` while running.
    pub ended_at_ms: Option<u64>,
    /// How many moves are stored (named apart from a record's move list,
    /// which the record's JSON holds beside the summary's fields).
    pub move_count: u32,
    /// Each player's time for the whole game, in ms.
    pub game_ms: u64,
    /// Time allowed per move, in ms.
    pub move_ms: u64,
}

/// A stored game with its moves.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct GameRecord {
    /// The game.
    #[serde(flatten)]
    pub summary: GameSummary,
    /// Its moves, in order.
    pub moves: Vec<StoredMove>,
}

/// A stored move.
#[derive(Serialize, Debug, Clone, Copy, PartialEq)]
pub struct StoredMove {
    /// The row.
    pub x: u8,
    /// The column.
    pub y: u8,
    /// `"X"` or `"O"`.
    pub symbol: &'static str,
    /// When it was played (unix ms).
    pub at_ms: u64,
}

impl Store {
    /// Opens (creating if missing) the database at `path` (`":memory:"`
    /// for one in memory), creates the schema if missing, and spawns the
    /// thread "game-store". A file is put in WAL mode. A database written
    /// by a newer version (a higher `user_version`) is refused.
    pub fn open(path: &Path) -> Result<Store, rusqlite::Error> {
        let in_memory = path == Path::new(":memory:");
        let mut conn =
            if in_memory { Connection::open_in_memory()? } else { Connection::open(path)? };
        prepare(&mut conn, !in_memory)?;
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("game-store".into())
            .spawn(move || run(conn, queue))
            .map_err(|error| failure(format!("cannot start the game-store thread: {error}")))?;
        Ok(Store { jobs })
    }

    /// Queues a new game.
    pub fn game_started(&self, start: GameStart) {
        self.submit(Job::Started(start));
    }

    /// Queues move `number` (1-based) of a game. A number already stored
    /// for the game is ignored.
    pub fn moved(&self, game_id: &str, number: u32, x: u8, y: u8, symbol: Symbol, at_ms: u64) {
        self.submit(Job::Moved { game_id: game_id.to_owned(), number, x, y, symbol, at_ms });
    }

    /// Queues a game's end, with the players' new ratings. Ignored (and
    /// logged) for a game not stored or already ended, so that ratings are
    /// never counted twice.
    pub fn game_ended(&self, end: GameEnd) {
        self.submit(Job::Ended(end));
    }

    /// The rating stored under `key`; `None` when the key has no profile.
    pub async fn rating(&self, key: &str) -> Option<Rating> {
        let key = key.to_owned();
        self.read("rating", move |conn| query_rating(conn, &key)).await.flatten()
    }

    /// The `limit` best profiles with at least one rated game, by rating
    /// descending, then by name.
    pub async fn leaderboard(&self, limit: usize) -> Vec<LeaderRow> {
        self.read("leaderboard", move |conn| query_leaderboard(conn, limit))
            .await
            .unwrap_or_default()
    }

    /// Any game (running or ended) by id, with its moves in order.
    pub async fn game(&self, game_id: &str) -> Option<GameRecord> {
        let game_id = game_id.to_owned();
        self.read("game", move |conn| query_game(conn, &game_id)).await.flatten()
    }

    /// The `limit` most recently ended public games, newest end first,
    /// without their moves.
    pub async fn recent_games(&self, limit: usize) -> Vec<GameSummary> {
        self.read("recent games", move |conn| query_recent(conn, limit)).await.unwrap_or_default()
    }

    /// Returns once every job queued before it is committed (or has failed
    /// and been logged).
    pub async fn flush(&self) {
        self.read("flush", |_| Ok(())).await;
    }

    /// Queues a job; if the thread has stopped, logs it.
    fn submit(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            tracing::warn!("the game store's thread has stopped; write dropped");
        }
    }

    /// Runs `query` on the store's thread after the writes queued before
    /// it are committed. `None` if it failed (logged) or the thread is gone.
    async fn read<T, F>(&self, what: &'static str, query: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Read(Box::new(move |conn| {
            let result = match query(conn) {
                Ok(value) => Some(value),
                Err(error) => {
                    tracing::warn!(%error, what, "game store read failed");
                    None
                }
            };
            // The caller may have stopped waiting; nothing to do then.
            let _ = reply.send(result);
        }));
        if self.jobs.send(job).is_err() {
            tracing::warn!(what, "the game store's thread has stopped; read not answered");
            return None;
        }
        // An error here means the thread dropped the job without answering.
        answer.await.ok().flatten()
    }
}

/// A rusqlite error carrying `message`.
fn failure(message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(message),
    )
}

/// Checks the schema version, creates the tables if missing, then sets the
/// connection up (WAL for a file).
fn prepare(conn: &mut Connection, file: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // IMMEDIATE: two processes opening a new file do not both create it.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(failure(format!(
            "the game database has schema version {version}, newer than this build's \
             {SCHEMA_VERSION}; refusing to open it"
        )));
    }
    if version < SCHEMA_VERSION {
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()?;
    if file {
        // Readers never block the writer; NORMAL sync is safe in WAL mode
        // (a power loss may lose the last commits, never corrupt).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// The store's thread: blocks for a job, takes whatever else is queued
/// (up to [`MAX_BATCH`]), commits the writes in one transaction, then
/// answers the reads. Ends when every [`Store`] is dropped and the queue
/// is empty.
fn run(mut conn: Connection, queue: Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        for job in batch {
            match job {
                Job::Read(read) => reads.push(read),
                write => writes.push(write),
            }
        }
        commit(&mut conn, writes);
        for read in reads {
            read(&conn);
        }
    }
}

/// Applies `writes` in one transaction, each in its own savepoint; a job
/// that fails is logged and undone alone.
fn commit(conn: &mut Connection, writes: Vec<Job>) {
    if writes.is_empty() {
        return;
    }
    let count = writes.len();
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => {
            tracing::warn!(%error, count, "game store: cannot begin a transaction; writes lost");
            return;
        }
    };
    for job in writes {
        let savepoint = match tx.savepoint() {
            Ok(savepoint) => savepoint,
            Err(error) => {
                tracing::warn!(%error, "game store: cannot take a savepoint; write lost");
                continue;
            }
        };
        // On error the savepoint is dropped, which rolls it back.
        let result = apply(&savepoint, job).and_then(|()| savepoint.commit());
        if let Err(error) = result {
            tracing::warn!(%error, "game store: write failed; skipped");
        }
    }
    if let Err(error) = tx.commit() {
        tracing::warn!(%error, count, "game store: commit failed; writes lost");
    }
}

/// Applies one write.
fn apply(conn: &Connection, job: Job) -> rusqlite::Result<()> {
    match job {
        Job::Started(start) => insert_game(conn, &start),
        Job::Moved { game_id, number, x, y, symbol, at_ms } => {
            insert_move(conn, &game_id, number, x, y, symbol, at_ms)
        }
        Job::Ended(end) => end_game(conn, &end),
        Job::Read(_) => {
            tracing::warn!("game store: a read was queued as a write; skipped");
            Ok(())
        }
    }
}

fn insert_game(conn: &Connection, start: &GameStart) -> rusqlite::Result<()> {
    let (x, o) = (&start.x, &start.o);
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO games (game_id, public,
             x_player_id, x_name, x_key, x_bot, o_player_id, o_name, o_key, o_bot,
             game_ms, move_ms, started_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            start.game_id,
            start.public,
            x.player_id,
            x.name,
            x.key,
            x.bot,
            o.player_id,
            o.name,
            o.key,
            o.bot,
            start.game_ms,
            start.move_ms,
            start.started_at_ms,
        ],
    )?;
    if inserted == 0 {
        tracing::warn!(game_id = %start.game_id, "game store: game started twice; kept the first");
    }
    Ok(())
}

fn insert_move(
    conn: &Connection,
    game_id: &str,
    number: u32,
    x: u8,
    y: u8,
    symbol: Symbol,
    at_ms: u64,
) -> rusqlite::Result<()> {
    // One statement, prepared once per connection: a move is the store's
    // most frequent job. The foreign key refuses a move of an unknown game.
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO moves (game_id, number, x, y, symbol, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    match insert.execute(params![game_id, number, x, y, symbol.as_str(), at_ms]) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            tracing::warn!(game_id, number, "game store: move for an unknown game; skipped");
            Ok(())
        }
        Err(error) => Err(error),
    }
}

fn end_game(conn: &Connection, end: &GameEnd) -> rusqlite::Result<()> {
    let updated = conn
        .prepare_cached(
            "UPDATE games SET ended_at_ms = ?2, result = ?3, reason = ?4, winner = ?5
         WHERE game_id = ?1 AND ended_at_ms IS NULL",
        )?
        .execute(params![
            end.game_id,
            end.ended_at_ms,
            end.result,
            end.reason,
            end.winner.map(Symbol::as_str)
        ])?;
    if updated == 0 {
        if game_exists(conn, &end.game_id)? {
            tracing::warn!(game_id = %end.game_id, "game store: game ended twice; skipped");
        } else {
            tracing::warn!(game_id = %end.game_id, "game store: end of an unknown game; skipped");
        }
        return Ok(());
    }
    for change in &end.ratings {
        let Rating { rating, deviation, volatility } = change.after;
        if !(rating.is_finite() && deviation.is_finite() && volatility.is_finite()) {
            tracing::warn!(key = %change.key, after = ?change.after, "game store: non-finite rating; skipped");
            continue;
        }
        let (wins, draws, losses) = match change.outcome {
            Outcome::Win => (1, 0, 0),
            Outcome::Draw => (0, 1, 0),
            Outcome::Loss => (0, 0, 1),
        };
        conn.execute(
            "INSERT INTO profiles (key, name, rating, deviation, volatility,
                 games, wins, draws, losses, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?9)
             ON CONFLICT (key) DO UPDATE SET
                 name = excluded.name,
                 rating = excluded.rating,
                 deviation = excluded.deviation,
                 volatility = excluded.volatility,
                 games = games + 1,
                 wins = wins + excluded.wins,
                 draws = draws + excluded.draws,
                 losses = losses + excluded.losses,
                 updated_at_ms = excluded.updated_at_ms",
            params![
                change.key,
                change.name,
                rating,
                deviation,
                volatility,
                wins,
                draws,
                losses,
                end.ended_at_ms
            ],
        )?;
    }
    Ok(())
}

fn game_exists(conn: &Connection, game_id: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM games WHERE game_id = ?1", [game_id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

/// `limit` as an SQL `LIMIT`.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The `'static` form of a stored symbol; an error for anything else.
fn symbol_str(column: usize, text: &str) -> rusqlite::Result<&'static str> {
    match text {
        "X" => Ok(Symbol::X.as_str()),
        "O" => Ok(Symbol::O.as_str()),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            column,
            Type::Text,
            format!("not a symbol: {other:?}").into(),
        )),
    }
}

fn query_rating(conn: &Connection, key: &str) -> rusqlite::Result<Option<Rating>> {
    conn.query_row(
        "SELECT rating, deviation, volatility FROM profiles WHERE key = ?1",
        [key],
        |row| Ok(Rating { rating: row.get(0)?, deviation: row.get(1)?, volatility: row.get(2)? }),
    )
    .optional()
}

fn query_leaderboard(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<LeaderRow>> {
    let mut statement = conn.prepare_cached(
        "SELECT name, rating, deviation, games, wins, draws, losses FROM profiles
         WHERE games > 0 ORDER BY rating DESC, name, key LIMIT ?1",
    )?;
    statement
        .query_map([sql_limit(limit)], |row| {
            Ok(LeaderRow {
                name: row.get(0)?,
                rating: row.get::<_, f64>(1)?.round() as i64,
                deviation: row.get::<_, f64>(2)?.round() as i64,
                games: row.get(3)?,
                wins: row.get(4)?,
                draws: row.get(5)?,
                losses: row.get(6)?,
            })
        })?
        .collect()
}

fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<GameSummary> {
    Ok(GameSummary {
        game_id: row.get(0)?,
        public: row.get(1)?,
        x_name: row.get(2)?,
        o_name: row.get(3)?,
        x_bot: row.get(4)?,
        o_bot: row.get(5)?,
        result: row.get(6)?,
        reason: row.get(7)?,
        winner: row.get(8)?,
        started_at_ms: row.get(9)?,
        ended_at_ms: row.get(10)?,
        move_count: row.get(11)?,
        game_ms: row.get(12)?,
        move_ms: row.get(13)?,
    })
}

fn query_game(conn: &Connection, game_id: &str) -> rusqlite::Result<Option<GameRecord>> {
    let summary = conn
        .query_row(
            &format!("SELECT {SUMMARY_COLUMNS} FROM games AS g WHERE g.game_id = ?1"),
            [game_id],
            summary_from_row,
        )
        .optional()?;
    let Some(summary) = summary else { return Ok(None) };
    let mut statement = conn.prepare_cached(
        "SELECT x, y, symbol, at_ms FROM moves WHERE game_id = ?1 ORDER BY number",
    )?;
    let moves = statement
        .query_map([game_id], |row| {
            Ok(StoredMove {
                x: row.get(0)?,
                y: row.get(1)?,
                symbol: symbol_str(2, row.get_ref(2)?.as_str()?)?,
                at_ms: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(GameRecord { summary, moves }))
}

fn query_recent(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<GameSummary>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM games AS g
         WHERE g.public = 1 AND g.ended_at_ms IS NOT NULL
         ORDER BY g.ended_at_ms DESC, g.rowid DESC LIMIT ?1"
    ))?;
    statement.query_map([sql_limit(limit)], summary_from_row)?.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Store {
        Store::open(Path::new(":memory:")).expect("open an in-memory store")
    }

    fn seat(name: &str, key: Option<&str>, bot: bool) -> SeatRecord {
        SeatRecord {
            player_id: format!("p-{name}"),
            name: name.to_owned(),
            key: key.map(str::to_owned),
            bot,
        }
    }

    fn start(game_id: &str, public: bool, started_at_ms: u64) -> GameStart {
        GameStart {
            game_id: game_id.to_owned(),
            public,
            x: seat("alice", Some("ka"), false),
            o: seat("bot", None, true),
            game_ms: 300_000,
            move_ms: 30_000,
            started_at_ms,
        }
    }

    fn end(game_id: &str, ended_at_ms: u64, ratings: Vec<RatingChange>) -> GameEnd {
        GameEnd {
            game_id: game_id.to_owned(),
            result: "win",
            reason: "five",
            winner: Some(Symbol::X),
            ended_at_ms,
            ratings,
        }
    }

    fn change(key: &str, name: &str, rating: f64, outcome: Outcome) -> RatingChange {
        RatingChange {
            key: key.to_owned(),
            name: name.to_owned(),
            after: Rating { rating, deviation: 200.4, volatility: 0.06 },
            outcome,
        }
    }

    #[tokio::test]
    async fn a_game_is_stored_with_its_moves_in_order() {
        let store = memory();
        store.game_started(start("g1", true, 1_000));
        // Out of order on purpose: they come back by number.
        store.moved("g1", 2, 10, 11, Symbol::O, 1_200);
        store.moved("g1", 1, 9, 9, Symbol::X, 1_100);
        store.moved("g1", 3, 10, 10, Symbol::X, 1_300);
        store.moved("g1", 2, 0, 0, Symbol::X, 9_999); // duplicate number: ignored

        let running = store.game("g1").await.expect("the running game is stored");
        assert_eq!(running.summary.result, None);
        assert_eq!(running.summary.ended_at_ms, None);
        assert_eq!(running.summary.move_count, 3);

        store.game_ended(end("g1", 2_000, Vec::new()));
        let record = store.game("g1").await.expect("the game is stored");
        assert_eq!(
            record.moves,
            [
                StoredMove { x: 9, y: 9, symbol: "X", at_ms: 1_100 },
                StoredMove { x: 10, y: 11, symbol: "O", at_ms: 1_200 },
                StoredMove { x: 10, y: 10, symbol: "X", at_ms: 1_300 },
            ]
        );
        let expected = GameSummary {
            game_id: "g1".into(),
            public: true,
            x_name: "alice".into(),
            o_name: "bot".into(),
            x_bot: false,
            o_bot: true,
            result: Some("win".into()),
            reason: Some("five".into()),
            winner: Some("X".into()),
            started_at_ms: 1_000,
            ended_at_ms: Some(2_000),
            move_count: 3,
            game_ms: 300_000,
            move_ms: 30_000,
        };
        assert_eq!(record.summary, expected);

        let json = serde_json::to_value(&record).expect("serialize the record");
        assert_eq!(json["game_id"], "g1", "the summary is flattened");
        assert_eq!(json["moves"][2]["symbol"], "X");
        let text = serde_json::to_string(&record).expect("serialize the record");
        assert_eq!(text.matches("\"moves\":").count(), 1, "one key per name: {text}");
    }

    #[tokio::test]
    async fn recent_games_lists_ended_public_games_newest_first() {
        let store = memory();
        for (id, public) in [("a", true), ("b", true), ("c", false), ("d", true), ("e", true)] {
            store.game_started(start(id, public, 100));
        }
        store.moved("b", 1, 1, 1, Symbol::X, 150);
        store.game_ended(end("a", 1_000, Vec::new()));
        store.game_ended(end("b", 3_000, Vec::new()));
        store.game_ended(end("c", 4_000, Vec::new())); // private
        store.game_ended(end("e", 2_000, Vec::new()));
        // "d" is still running.

        let recent = store.recent_games(10).await;
        let ids: Vec<&str> = recent.iter().map(|g| g.game_id.as_str()).collect();
        assert_eq!(ids, ["b", "e", "a"]);
        assert_eq!(recent[0].move_count, 1);
        assert_eq!(recent[1].move_count, 0);

        let two = store.recent_games(2).await;
        let ids: Vec<&str> = two.iter().map(|g| g.game_id.as_str()).collect();
        assert_eq!(ids, ["b", "e"]);
        assert!(store.recent_games(0).await.is_empty());
    }

    #[tokio::test]
    async fn ratings_are_upserted_and_the_leaderboard_is_ordered() {
        let store = memory();
        for id in ["g1", "g2", "g3"] {
            store.game_started(start(id, true, 10));
        }
        store.game_ended(end(
            "g1",
            100,
            vec![
                change("ka", "alice", 1600.0, Outcome::Win),
                change("kb", "bob", 1400.0, Outcome::Loss),
            ],
        ));
        store.game_ended(GameEnd {
            result: "draw",
            winner: None,
            ..end(
                "g2",
                200,
                vec![
                    change("ka", "Alice", 1590.0, Outcome::Draw),
                    change("kc", "carol", 1410.0, Outcome::Draw),
                ],
            )
        });
        store.game_ended(end(
            "g3",
            300,
            vec![
                change("kb", "bob", 1410.0, Outcome::Win),
                change("kd", "dave", 1380.0, Outcome::Loss),
            ],
        ));

        let rating = store.rating("ka").await.expect("alice has a profile");
        assert_eq!(rating, Rating { rating: 1590.0, deviation: 200.4, volatility: 0.06 });

        let board = store.leaderboard(10).await;
        let row = |name: &str, rating, games, wins, draws, losses| LeaderRow {
            name: name.to_owned(),
            rating,
            deviation: 200,
            games,
            wins,
            draws,
            losses,
        };
        assert_eq!(
            board,
            [
                row("Alice", 1590, 2, 1, 1, 0),
                // Equal ratings: by name.
                row("bob", 1410, 2, 1, 0, 1),
                row("carol", 1410, 1, 0, 1, 0),
                row("dave", 1380, 1, 0, 0, 1),
            ]
        );
        assert_eq!(store.leaderboard(1).await.len(), 1);
    }

    #[tokio::test]
    async fn a_game_ended_twice_counts_once() {
        let store = memory();
        store.game_started(start("g", true, 10));
        store.game_ended(end("g", 100, vec![change("ka", "alice", 1600.0, Outcome::Win)]));
        store.game_ended(end("g", 200, vec![change("ka", "alice", 1700.0, Outcome::Win)]));
        let board = store.leaderboard(10).await;
        assert_eq!(board.len(), 1);
        assert_eq!((board[0].rating, board[0].games, board[0].wins), (1600, 1, 1));
        let game = store.game("g").await.expect("stored");
        assert_eq!(game.summary.ended_at_ms, Some(100));
    }

    #[tokio::test]
    async fn unknown_games_and_keys_are_none_and_stray_writes_are_skipped() {
        let store = memory();
        assert_eq!(store.rating("nobody").await, None);
        assert_eq!(store.game("nothing").await, None);
        // Before the start: skipped, not a crash; the ratings are not applied.
        store.moved("late", 1, 0, 0, Symbol::X, 5);
        store.game_ended(end("late", 10, vec![change("ka", "alice", 1600.0, Outcome::Win)]));
        store.game_started(start("late", true, 20));
        store.moved("late", 1, 3, 4, Symbol::X, 30);
        let game = store.game("late").await.expect("stored after its start");
        assert_eq!(game.moves, [StoredMove { x: 3, y: 4, symbol: "X", at_ms: 30 }]);
        assert_eq!(game.summary.result, None);
        assert_eq!(store.rating("ka").await, None);
        assert!(store.leaderboard(10).await.is_empty());
    }

    #[tokio::test]
    async fn a_non_finite_rating_is_skipped_alone() {
        let store = memory();
        store.game_started(start("g", true, 10));
        let mut bad = change("kb", "bob", 1400.0, Outcome::Loss);
        bad.after.rating = f64::NAN;
        store.game_ended(end("g", 100, vec![change("ka", "alice", 1600.0, Outcome::Win), bad]));
        assert!(store.rating("ka").await.is_some());
        assert_eq!(store.rating("kb").await, None);
        assert_eq!(store.game("g").await.and_then(|g| g.summary.result).as_deref(), Some("win"));
    }

    #[tokio::test]
    async fn a_file_database_keeps_everything_when_reopened() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("games.db");
        {
            let store = Store::open(&path).expect("open the file");
            store.game_started(start("g", true, 10));
            store.moved("g", 1, 5, 6, Symbol::X, 20);
            store.game_ended(end("g", 100, vec![change("ka", "alice", 1600.0, Outcome::Win)]));
            store.flush().await;
        }
        let store = Store::open(&path).expect("reopen the file");
        let game = store.game("g").await.expect("the game survived");
        assert_eq!(game.moves, [StoredMove { x: 5, y: 6, symbol: "X", at_ms: 20 }]);
        assert_eq!(game.summary.winner.as_deref(), Some("X"));
        assert_eq!(store.recent_games(5).await.len(), 1);
        assert_eq!(store.rating("ka").await.map(|r| r.rating), Some(1600.0));

        let conn = Connection::open(&path).expect("open the file directly");
        let version: i64 =
            conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("read user_version");
        assert_eq!(version, SCHEMA_VERSION);
        let mode: String =
            conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("read journal_mode");
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn a_newer_database_is_refused() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("games.db");
        {
            let conn = Connection::open(&path).expect("create the file");
            conn.pragma_update(None, "user_version", 99).expect("set user_version");
        }
        let error = Store::open(&path).err().expect("a newer database is refused");
        let message = error.to_string();
        assert!(message.contains("version 99"), "unclear error: {message}");
        // Left as it was.
        let conn = Connection::open(&path).expect("open the file directly");
        let version: i64 =
            conn.query_row("PRAGMA user_version", [], |r| r.get(0)).expect("read user_version");
        assert_eq!(version, 99);
        let tables: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
            .expect("count tables");
        assert_eq!(tables, 0);
    }

    fn count_moves(path: &Path) -> i64 {
        let conn = Connection::open(path).expect("open the file directly");
        conn.query_row("SELECT COUNT(*) FROM moves", [], |r| r.get(0)).expect("count moves")
    }

    #[tokio::test]
    async fn flush_waits_for_queued_writes_to_be_committed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("games.db");
        let store = Store::open(&path).expect("open the file");
        store.game_started(start("g", true, 10));
        for number in 1..=2_500u32 {
            let symbol = if number % 2 == 1 { Symbol::X } else { Symbol::O };
            store.moved("g", number, (number % 20) as u8, (number / 20 % 20) as u8, symbol, 10);
        }
        store.flush().await;
        // Read by another connection: only committed rows are visible.
        assert_eq!(count_moves(&path), 2_500);
        assert_eq!(store.game("g").await.map(|g| g.moves.len()), Some(2_500));
    }

    #[tokio::test]
    async fn dropping_every_clone_commits_what_is_queued() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("games.db");
        let store = Store::open(&path).expect("open the file");
        let clone = store.clone();
        store.game_started(start("g", true, 10));
        clone.moved("g", 1, 1, 1, Symbol::X, 20);
        drop(store);
        clone.moved("g", 2, 2, 2, Symbol::O, 30);
        drop(clone);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while count_moves(&path) < 2 {
            assert!(std::time::Instant::now() < deadline, "queued writes were not committed");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
