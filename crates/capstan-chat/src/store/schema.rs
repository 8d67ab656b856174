//! The database's tables, and the steps that bring an older file up to
//! date (`PRAGMA user_version` says which steps it has had).

use rusqlite::Connection;

/// The tables as the first version made them (a file of that version is
/// brought up to date by [`migrate`]).
const VERSION_0: &str = "
CREATE TABLE IF NOT EXISTS rooms (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    room TEXT NOT NULL,
    id INTEGER NOT NULL,
    author TEXT NOT NULL,
    content TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    client_id TEXT,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_client_id
    ON messages (room, author, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (created_ms);
";

/// Version 1: rooms know when they were last written to (and are removed
/// after a time without), a room is stored only once it has a message, ids
/// of removed rooms are never given again (`meta.id_floor`), and users'
/// block lists are kept.
const VERSION_1: &str = "
ALTER TABLE rooms ADD COLUMN last_active_ms INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET last_active_ms = COALESCE(
    (SELECT MAX(created_ms) FROM messages WHERE messages.room = rooms.name), created_ms);
DELETE FROM rooms WHERE last_id = 0;
CREATE INDEX rooms_by_activity ON rooms (last_active_ms);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE blocks (
    owner TEXT NOT NULL,
    blocked TEXT NOT NULL,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (owner, blocked)
) WITHOUT ROWID;
CREATE TABLE block_owners (
    owner TEXT PRIMARY KEY,
    last_seen_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX block_owners_by_age ON block_owners (last_seen_ms);
";

/// The steps, in order: step n takes a file from version n to n + 1.
const STEPS: &[&str] = &[VERSION_1];

/// Creates the tables, or brings an older file up to date, in one
/// transaction.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(VERSION_0)?;
    let version: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for step in STEPS.iter().skip(version) {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", STEPS.len())?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_0_file_is_brought_up_to_date() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(VERSION_0).unwrap();
        conn.execute_batch(
            "INSERT INTO rooms VALUES ('joined-only', 0, 5);
             INSERT INTO rooms VALUES ('talked', 2, 5);
             INSERT INTO messages VALUES ('talked', 1, 'a', 'x', 10, NULL);
             INSERT INTO messages VALUES ('talked', 2, 'a', 'y', 20, NULL);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let rooms: Vec<(String, i64)> = conn
            .prepare("SELECT name, last_active_ms FROM rooms")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rooms, [("talked".to_owned(), 20)], "rooms never written to are not kept");
        migrate(&mut conn).unwrap(); // again: nothing to do
        let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
    }
}
