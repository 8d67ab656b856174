//! Block lists in the database: per owner (a session token, or a token's
//! user), the names it blocks; an owner not seen for a time is forgotten
//! with its list.

use rusqlite::params;

use super::db::Db;

impl Db {
    /// The names `owner` blocks, in code point order; marks the owner as
    /// seen at `now_ms`.
    pub fn blocks_of(&self, owner: &str, now_ms: i64) -> rusqlite::Result<Vec<String>> {
        self.conn.execute(
            "UPDATE block_owners SET last_seen_ms = ?2 WHERE owner = ?1",
            params![owner, now_ms],
        )?;
        let mut statement =
            self.conn.prepare_cached("SELECT name FROM blocks WHERE owner = ?1 ORDER BY name")?;
        let rows = statement.query_map([owner], |row| row.get(0))?;
        rows.collect()
    }

    /// `owner` blocks `name` (whose case key is `key`).
    pub fn add_block(
        &self,
        owner: &str,
        key: &str,
        name: &str,
        now_ms: i64,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO blocks (owner, blocked, name, created_ms) VALUES (?1, ?2, ?3, ?4)",
            params![owner, key, name, now_ms],
        )?;
        tx.execute(
            "INSERT INTO block_owners (owner, last_seen_ms) VALUES (?1, ?2)
             ON CONFLICT (owner) DO UPDATE SET last_seen_ms = excluded.last_seen_ms",
            params![owner, now_ms],
        )?;
        tx.commit()
    }

    /// `owner` no longer blocks the name whose case key is `key`.
    pub fn remove_block(&self, owner: &str, key: &str) -> rusqlite::Result<()> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM blocks WHERE owner = ?1 AND blocked = ?2", params![owner, key])?;
        tx.execute(
            "DELETE FROM block_owners WHERE owner = ?1
             AND NOT EXISTS (SELECT 1 FROM blocks WHERE owner = ?1)",
            [owner],
        )?;
        tx.commit()
    }

    /// Forgets the lists of owners not seen since `cutoff_ms`; returns how
    /// many owners.
    pub fn forget_block_owners(&self, cutoff_ms: i64) -> rusqlite::Result<usize> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "DELETE FROM blocks WHERE owner IN
             (SELECT owner FROM block_owners WHERE last_seen_ms < ?1)",
            [cutoff_ms],
        )?;
        let owners = tx.execute("DELETE FROM block_owners WHERE last_seen_ms < ?1", [cutoff_ms])?;
        tx.commit()?;
        Ok(owners)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_kept_per_owner_and_forgotten_when_unseen() {
        let db = Db::in_memory().unwrap();
        db.add_block("s1", "mallory", "Mallory", 10).unwrap();
        db.add_block("s1", "eve", "eve", 20).unwrap();
        db.add_block("s1", "eve", "Eve", 30).unwrap(); // again: kept as first blocked
        db.add_block("s2", "eve", "eve", 40).unwrap();
        assert_eq!(db.blocks_of("s1", 50).unwrap(), ["Mallory", "eve"]); // code point order
        db.remove_block("s1", "mallory").unwrap();
        assert_eq!(db.blocks_of("s1", 50).unwrap(), ["eve"]);
        // s1 was seen at 50, s2 last at 40.
        assert_eq!(db.forget_block_owners(45).unwrap(), 1);
        assert!(db.blocks_of("s2", 60).unwrap().is_empty());
        assert_eq!(db.blocks_of("s1", 60).unwrap(), ["eve"]);
        db.remove_block("s1", "eve").unwrap();
        let owners: i64 =
            db.conn.query_row("SELECT COUNT(*) FROM block_owners", [], |r| r.get(0)).unwrap();
        assert_eq!(owners, 0, "an owner with an empty list is not kept");
    }
}
