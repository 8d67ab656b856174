//! The SQLite database: schema, appends in batches, history queries,
//! retention. Synchronous; owned by the store's thread.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::schema;
use super::{NewMessage, StoredMessage};

/// The lowest id a new room's first message may take is one above this.
const ID_FLOOR: &str = "SELECT COALESCE((SELECT value FROM meta WHERE key = 'id_floor'), 0)";

/// The outcome of one append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The message as stored (the earlier copy, for a duplicate).
    pub message: StoredMessage,
    /// Whether it had been stored before (same room, author and client id).
    pub duplicate: bool,
}

/// A page of messages, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The messages, oldest first.
    pub messages: Vec<StoredMessage>,
    /// Whether more exist beyond the page, in the direction asked.
    pub has_more: bool,
}

/// The chat's database.
pub struct Db {
    pub(super) conn: Connection,
    last_ids: HashMap<String, u64>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, in WAL mode with
    /// full synchronous commits: an acknowledged message is on disk.
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        Self::setup(Connection::open(path)?)
    }

    /// A database in memory, for tests.
    pub fn in_memory() -> rusqlite::Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> rusqlite::Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn, last_ids: HashMap::new() })
    }

    /// Stores `batch` in one transaction (one disk sync for all of it).
    /// Messages whose client id was stored before are not stored again.
    pub fn append(&mut self, batch: &[NewMessage]) -> rusqlite::Result<Vec<Appended>> {
        let result = self.append_in_transaction(batch);
        if result.is_err() {
            // The transaction rolled back: the cached ids may be ahead.
            self.last_ids.clear();
        }
        result
    }

    fn append_in_transaction(&mut self, batch: &[NewMessage]) -> rusqlite::Result<Vec<Appended>> {
        // IMMEDIATE: take the write lock first, waiting busy_timeout for
        // another writer, rather than failing half-way.
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            if let Some(client_id) = &new.client_id {
                let earlier = tx
                    .query_row(
                        "SELECT id, content, created_ms FROM messages
                         WHERE room = ?1 AND author = ?2 AND client_id = ?3",
                        params![new.room, new.author, client_id],
                        |row| Ok((row.get::<_, u64>(0)?, row.get(1)?, row.get(2)?)),
                    )
                    .optional()?;
                if let Some((id, content, created_ms)) = earlier {
                    let message = StoredMessage {
                        room: new.room.clone(),
                        id,
                        author: new.author.clone(),
                        content,
                        created_ms,
                        client_id: new.client_id.clone(),
                    };
                    out.push(Appended { message, duplicate: true });
                    continue;
                }
            }
            let last = match self.last_ids.get(&new.room) {
                Some(last) => *last,
                None => {
                    // A room is stored with its first message; its ids
                    // start above those of every room removed before.
                    tx.execute(
                        &format!(
                            "INSERT OR IGNORE INTO rooms (name, last_id, created_ms, last_active_ms)
                             VALUES (?1, ({ID_FLOOR}), ?2, ?2)"
                        ),
                        params![new.room, new.created_ms],
                    )?;
                    tx.query_row("SELECT last_id FROM rooms WHERE name = ?1", [&new.room], |r| {
                        r.get(0)
                    })?
                }
            };
            let id = last + 1;
            tx.execute(
                "INSERT INTO messages (room, id, author, content, created_ms, client_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![new.room, id, new.author, new.content, new.created_ms, new.client_id],
            )?;
            tx.execute(
                "UPDATE rooms SET last_id = ?2, last_active_ms = MAX(last_active_ms, ?3)
                 WHERE name = ?1",
                params![new.room, id, new.created_ms],
            )?;
            self.last_ids.insert(new.room.clone(), id);
            let message = StoredMessage {
                room: new.room.clone(),
                id,
                author: new.author.clone(),
                content: new.content.clone(),
                created_ms: new.created_ms,
                client_id: new.client_id.clone(),
            };
            out.push(Appended { message, duplicate: false });
        }
        tx.commit()?;
        Ok(out)
    }

    /// The latest `limit` messages.
    pub fn latest(&self, room: &str, limit: usize) -> rusqlite::Result<Page> {
        self.newest_first("AND id > ?2", room, 0, limit)
    }

    /// The `limit` messages just before `id` (has_more: older ones exist).
    pub fn before(&self, room: &str, id: u64, limit: usize) -> rusqlite::Result<Page> {
        self.newest_first("AND id < ?2", room, id, limit)
    }

    /// The latest `limit` messages after `id` (has_more: some between `id`
    /// and the page were left out). What a reconnecting client missed.
    pub fn missed_since(&self, room: &str, id: u64, limit: usize) -> rusqlite::Result<Page> {
        self.newest_first("AND id > ?2", room, id, limit)
    }

    /// The `limit` messages just after `id` (has_more: newer ones exist).
    pub fn after(&self, room: &str, id: u64, limit: usize) -> rusqlite::Result<Page> {
        let mut page = self.select(
            "SELECT room, id, author, content, created_ms, client_id FROM messages
             WHERE room = ?1 AND id > ?2 ORDER BY id ASC LIMIT ?3",
            room,
            id,
            limit,
        )?;
        page.has_more = page.messages.len() > limit;
        page.messages.truncate(limit);
        Ok(page)
    }

    fn newest_first(
        &self,
        condition: &str,
        room: &str,
        id: u64,
        limit: usize,
    ) -> rusqlite::Result<Page> {
        let sql = format!(
            "SELECT room, id, author, content, created_ms, client_id FROM messages
             WHERE room = ?1 {condition} ORDER BY id DESC LIMIT ?3"
        );
        let mut page = self.select(&sql, room, id, limit)?;
        page.has_more = page.messages.len() > limit;
        page.messages.truncate(limit);
        page.messages.reverse();
        Ok(page)
    }

    /// Runs a message query with `LIMIT limit + 1` (to learn has_more).
    fn select(&self, sql: &str, room: &str, id: u64, limit: usize) -> rusqlite::Result<Page> {
        let mut statement = self.conn.prepare_cached(sql)?;
        let rows = statement.query_map(params![room, id, limit as u64 + 1], |row| {
            Ok(StoredMessage {
                room: row.get(0)?,
                id: row.get(1)?,
                author: row.get(2)?,
                content: row.get(3)?,
                created_ms: row.get(4)?,
                client_id: row.get(5)?,
            })
        })?;
        let messages = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Page { messages, has_more: false })
    }

    /// The names of the stored public rooms (not direct conversations).
    pub fn public_rooms(&self) -> rusqlite::Result<Vec<String>> {
        let mut statement =
            self.conn.prepare_cached("SELECT name FROM rooms WHERE name NOT LIKE '@%'")?;
        let rows = statement.query_map([], |row| row.get(0))?;
        rows.collect()
    }

    /// The last id given in `room` (0 for a room not stored).
    pub fn last_id(&self, room: &str) -> rusqlite::Result<u64> {
        let mut statement =
            self.conn.prepare_cached("SELECT last_id FROM rooms WHERE name = ?1")?;
        Ok(statement.query_row([room], |row| row.get(0)).optional()?.unwrap_or(0))
    }

    /// Removes up to `limit` rooms (public or direct) not written to since
    /// `cutoff_ms`, with their messages, but those `spare` keeps; returns
    /// the names removed. Their ids are never given again: a room made
    /// later starts above them.
    pub fn remove_idle_rooms(
        &mut self,
        cutoff_ms: i64,
        limit: usize,
        spare: impl Fn(&str) -> bool,
    ) -> rusqlite::Result<Vec<String>> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let idle: Vec<(String, u64)> = {
            let mut statement = tx.prepare_cached(
                "SELECT name, last_id FROM rooms WHERE last_active_ms < ?1
                 ORDER BY last_active_ms LIMIT ?2",
            )?;
            let rows = statement.query_map(params![cutoff_ms, limit as u64], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut removed = Vec::new();
        let mut floor: u64 = tx.query_row(ID_FLOOR, [], |row| row.get(0))?;
        for (room, last_id) in idle {
            if spare(&room) {
                continue;
            }
            tx.execute("DELETE FROM messages WHERE room = ?1", [&room])?;
            tx.execute("DELETE FROM rooms WHERE name = ?1", [&room])?;
            floor = floor.max(last_id);
            removed.push(room);
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('id_floor', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [floor],
        )?;
        tx.commit()?;
        for room in &removed {
            self.last_ids.remove(room);
        }
        Ok(removed)
    }

    /// Keeps the newest `keep` messages of `room`.
    pub fn retain_count(&self, room: &str, keep: u64) -> rusqlite::Result<usize> {
        self.conn.execute(
            "DELETE FROM messages WHERE room = ?1
             AND id <= (SELECT last_id FROM rooms WHERE name = ?1) - ?2",
            params![room, keep],
        )
    }

    /// Deletes messages stored before `cutoff_ms`.
    pub fn retain_newer_than(&self, cutoff_ms: i64) -> rusqlite::Result<usize> {
        self.conn.execute("DELETE FROM messages WHERE created_ms < ?1", [cutoff_ms])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(room: &str, content: &str, client_id: Option<&str>) -> NewMessage {
        NewMessage {
            room: room.into(),
            author: "ann".into(),
            content: content.into(),
            created_ms: 1000,
            client_id: client_id.map(Into::into),
        }
    }

    fn ids(page: &Page) -> Vec<u64> {
        page.messages.iter().map(|m| m.id).collect()
    }

    #[test]
    fn ids_count_up_per_room() {
        let mut db = Db::in_memory().unwrap();
        let out =
            db.append(&[new("a", "1", None), new("b", "1", None), new("a", "2", None)]).unwrap();
        let ids: Vec<_> = out.iter().map(|a| (a.message.room.as_str(), a.message.id)).collect();
        assert_eq!(ids, [("a", 1), ("b", 1), ("a", 2)]);
    }

    #[test]
    fn same_client_id_is_stored_once() {
        let mut db = Db::in_memory().unwrap();
        let first = db.append(&[new("a", "hi", Some("c1"))]).unwrap();
        let again = db.append(&[new("a", "hi", Some("c1")), new("a", "hi", Some("c1"))]).unwrap();
        assert!(!first[0].duplicate);
        assert!(again.iter().all(|a| a.duplicate && a.message.id == 1));
        assert_eq!(ids(&db.latest("a", 10).unwrap()), [1]);
    }

    #[test]
    fn paging_both_ways() {
        let mut db = Db::in_memory().unwrap();
        let batch: Vec<_> = (1..=10).map(|i| new("a", &i.to_string(), None)).collect();
        db.append(&batch).unwrap();
        let latest = db.latest("a", 3).unwrap();
        assert_eq!((ids(&latest), latest.has_more), (vec![8, 9, 10], true));
        let before = db.before("a", 3, 5).unwrap();
        assert_eq!((ids(&before), before.has_more), (vec![1, 2], false));
        let after = db.after("a", 6, 3).unwrap();
        assert_eq!((ids(&after), after.has_more), (vec![7, 8, 9], true));
        let missed = db.missed_since("a", 4, 3).unwrap();
        assert_eq!((ids(&missed), missed.has_more), (vec![8, 9, 10], true));
        let missed = db.missed_since("a", 7, 3).unwrap();
        assert_eq!((ids(&missed), missed.has_more), (vec![8, 9, 10], false));
    }

    #[test]
    fn retention_never_reuses_ids() {
        let mut db = Db::in_memory().unwrap();
        let batch: Vec<_> = (1..=5).map(|i| new("a", &i.to_string(), None)).collect();
        db.append(&batch).unwrap();
        assert_eq!(db.retain_count("a", 2).unwrap(), 3);
        assert_eq!(ids(&db.latest("a", 10).unwrap()), [4, 5]);
        assert_eq!(db.retain_newer_than(i64::MAX).unwrap(), 2);
        let mut reopened = Db { conn: db.conn, last_ids: HashMap::new() };
        let next = reopened.append(&[new("a", "6", None)]).unwrap();
        assert_eq!(next[0].message.id, 6);
    }

    #[test]
    fn public_rooms_exclude_direct_conversations() {
        let mut db = Db::in_memory().unwrap();
        db.append(&[new("general", "x", None), new("@ann|bob", "y", None)]).unwrap();
        assert_eq!(db.public_rooms().unwrap(), ["general"]);
        assert_eq!((db.last_id("general").unwrap(), db.last_id("none").unwrap()), (1, 0));
    }

    #[test]
    fn idle_rooms_go_with_their_messages_and_their_ids_are_not_given_again() {
        let mut db = Db::in_memory().unwrap();
        let old = |room: &str, ms| NewMessage { created_ms: ms, ..new(room, "x", None) };
        db.append(&[old("quiet", 1_000), old("quiet", 1_000), old("busy", 1_000)]).unwrap();
        db.append(&[old("@ann|bob", 1_000), old("kept", 1_000), old("busy", 9_000)]).unwrap();
        let removed = db.remove_idle_rooms(5_000, 100, |room| room == "kept").unwrap();
        assert_eq!(removed, ["quiet", "@ann|bob"]);
        assert!(db.latest("quiet", 10).unwrap().messages.is_empty());
        assert_eq!(db.last_id("quiet").unwrap(), 0);
        assert_eq!(db.public_rooms().unwrap().len(), 2, "busy and kept");
        // Made again, the room goes on above the ids it had (and any other
        // removed room had): a client that saw id 2 misses nothing new.
        let again = db.append(&[old("quiet", 10_000), old("fresh", 10_000)]).unwrap();
        assert_eq!((again[0].message.id, again[1].message.id), (3, 3));
        assert_eq!(db.latest("quiet", 10).unwrap().messages.len(), 1);
    }

    #[test]
    fn the_oldest_idle_rooms_go_first_a_few_at_a_time() {
        let mut db = Db::in_memory().unwrap();
        for (n, room) in ["c", "a", "b"].into_iter().enumerate() {
            db.append(&[NewMessage { created_ms: n as i64, ..new(room, "x", None) }]).unwrap();
        }
        assert_eq!(db.remove_idle_rooms(100, 2, |_| false).unwrap(), ["c", "a"]);
        assert_eq!(db.remove_idle_rooms(100, 2, |_| false).unwrap(), ["b"]);
    }

    #[test]
    fn survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.db");
        let mut db = Db::open(&path).unwrap();
        db.append(&[new("a", "kept", None)]).unwrap();
        drop(db);
        let db = Db::open(&path).unwrap();
        assert_eq!(db.latest("a", 10).unwrap().messages[0].content, "kept");
    }
}
