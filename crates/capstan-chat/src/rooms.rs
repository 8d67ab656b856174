//! The public rooms that exist now: who is in each (by connection and by
//! name), which have stored messages, the cap on how many there may be, and
//! the presence changes each room has yet to announce.
//!
//! A room exists while someone is in it, while it has stored messages, or
//! while a message to it is being stored; past that it is forgotten (a room
//! that never had a message leaves no trace). Membership here follows each
//! connection's own list of rooms, changed at the moment a join, leave,
//! rename or close is handled, so the cap is exact and presence changes are
//! recorded in the order they happened.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use capstan::ConnId;
use tokio::sync::Notify;

use crate::errors::{ErrorCode, Refusal};
use crate::room::DEFAULT_ROOM;

/// Each member adds this much to the time a room waits between two
/// presence announcements: a room of n members announces at most every
/// n × 200 µs (100 members: 20 ms; 1,000: 0.2 s; 10,000: 2 s), so each room
/// sends at most ~5,000 presence deliveries a second (and as many notices)
/// however large it grows, and the work per join stays flat.
const WINDOW_PER_MEMBER: Duration = Duration::from_micros(200);
/// The longest a presence change waits.
const MAX_WINDOW: Duration = Duration::from_secs(2);
/// Most member names sent at once: in the answer to a join (the rest are
/// paged with `members`), and per `members` page.
pub const MEMBER_PAGE: usize = 500;

/// What happened to a member, as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceEvent {
    /// The first connection of this name joined.
    Join,
    /// The last connection of this name left.
    Leave,
    /// The member changed its name from `from`.
    Rename {
        /// The old name.
        from: String,
    },
}

impl PresenceEvent {
    /// The event's name on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Join => "join",
            Self::Leave => "leave",
            Self::Rename { .. } => "rename",
        }
    }
}

/// One presence change in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The member's name (the new one, for a rename).
    pub user: String,
    /// What happened.
    pub event: PresenceEvent,
    /// The connection that caused it.
    pub conn: ConnId,
}

/// How many changes of each kind a run holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Joins.
    pub joined: usize,
    /// Leaves.
    pub left: usize,
    /// Renames.
    pub renamed: usize,
}

impl Counts {
    /// The counts of `changes`.
    pub fn of(changes: &[Change]) -> Self {
        let mut counts = Self::default();
        for change in changes {
            match change.event {
                PresenceEvent::Join => counts.joined += 1,
                PresenceEvent::Leave => counts.left += 1,
                PresenceEvent::Rename { .. } => counts.renamed += 1,
            }
        }
        counts
    }
}

/// Presence changes of one room, due to be announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flush {
    /// The room.
    pub room: String,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// Members (distinct names) in the room now.
    pub member_count: usize,
}

/// A page of a room's member names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPage {
    /// Names, in code point order.
    pub names: Vec<String>,
    /// Members (distinct names) in the room.
    pub total: usize,
    /// Whether names follow the page.
    pub more: bool,
}

/// A room as listed by `rooms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSummary {
    /// Its name.
    pub name: String,
    /// Members (distinct names) in it now.
    pub members: usize,
    /// Whether it has stored messages.
    pub stored: bool,
}

#[derive(Debug, Default)]
struct Entry {
    /// Each connection in the room, and the name it goes by.
    conns: HashMap<ConnId, String>,
    /// Each name in the room, and how many of its connections are.
    names: BTreeMap<String, usize>,
    /// Whether the room has a row in the database.
    stored: bool,
    /// Messages to the room queued for storage.
    appending: usize,
    /// Presence changes not announced yet.
    changes: Vec<Change>,
    /// When the room last announced presence.
    last_flush: Option<Instant>,
}

impl Entry {
    fn is_forgettable(&self) -> bool {
        self.conns.is_empty() && !self.stored && self.appending == 0
    }

    fn add_name(&mut self, name: &str) -> bool {
        let count = self.names.entry(name.to_owned()).or_insert(0);
        *count += 1;
        *count == 1
    }

    fn remove_name(&mut self, name: &str) -> bool {
        match self.names.get_mut(name) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                self.names.remove(name);
                true
            }
            None => false,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    rooms: BTreeMap<String, Entry>,
    /// Rooms with changes to announce.
    dirty: BTreeSet<String>,
}

impl State {
    fn record(&mut self, room: &str, change: Change, wake: &Notify) {
        if let Some(entry) = self.rooms.get_mut(room) {
            entry.changes.push(change);
            if self.dirty.insert(room.to_owned()) {
                wake.notify_one();
            }
        }
    }

    fn forget_if_unused(&mut self, room: &str) {
        if self.rooms.get(room).is_some_and(Entry::is_forgettable) {
            self.rooms.remove(room);
            self.dirty.remove(room);
        }
    }
}

/// The public rooms. Shared by the chat component, the store's thread and
/// the presence announcer.
#[derive(Debug)]
pub struct Rooms {
    state: Mutex<State>,
    max_rooms: usize,
    wake: Arc<Notify>,
    mirror: std::sync::OnceLock<Arc<dyn RoomMirror>>,
}

/// Told of every connection that joins or leaves a room, or takes another
/// name in it, in that order: the cluster keeps the rooms' members of
/// every node with it.
pub trait RoomMirror: Send + Sync + std::fmt::Debug {
    /// `conn`, going by `name`, is in `room` now (again, after a rename).
    fn joined(&self, room: &str, conn: ConnId, name: &str);
    /// `conn` left `room`.
    fn left(&self, room: &str, conn: ConnId);
}

impl Rooms {
    /// No rooms yet; at most `max_rooms` at once (`general` is always
    /// allowed).
    pub fn new(max_rooms: usize) -> Self {
        Self {
            state: Mutex::default(),
            max_rooms,
            wake: Arc::new(Notify::new()),
            mirror: std::sync::OnceLock::new(),
        }
    }

    /// Tells `mirror` of every change from now on (set once).
    pub fn mirror_to(&self, mirror: Arc<dyn RoomMirror>) {
        let _ = self.mirror.set(mirror);
    }

    /// Notified when a room has presence to announce (and when the rooms
    /// are dropped).
    pub fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `conn`, going by `name`, joins `room`. Refused with `room_limit`
    /// when the room does not exist and the server holds its most rooms.
    pub fn join(&self, room: &str, conn: ConnId, name: &str) -> Result<(), Refusal> {
        let mut state = self.state();
        if !state.rooms.contains_key(room)
            && room != DEFAULT_ROOM
            && state.rooms.len() >= self.max_rooms
        {
            let message = format!(
                "the server holds its limit of {} rooms: join one that exists",
                self.max_rooms
            );
            return Err(Refusal::new(ErrorCode::RoomLimit, message));
        }
        let entry = state.rooms.entry(room.to_owned()).or_default();
        if entry.conns.contains_key(&conn) {
            return Ok(());
        }
        entry.conns.insert(conn, name.to_owned());
        if entry.add_name(name) {
            let change = Change { user: name.to_owned(), event: PresenceEvent::Join, conn };
            state.record(room, change, &self.wake);
        }
        if let Some(mirror) = self.mirror.get() {
            mirror.joined(room, conn, name);
        }
        Ok(())
    }

    /// `conn` leaves `room`; true if it was in it.
    pub fn leave(&self, room: &str, conn: ConnId) -> bool {
        let mut state = self.state();
        let Some(entry) = state.rooms.get_mut(room) else { return false };
        let Some(name) = entry.conns.remove(&conn) else { return false };
        if entry.remove_name(&name) {
            let change = Change { user: name, event: PresenceEvent::Leave, conn };
            state.record(room, change, &self.wake);
        }
        state.forget_if_unused(room);
        if let Some(mirror) = self.mirror.get() {
            mirror.left(room, conn);
        }
        true
    }

    /// `conn` leaves each of `rooms`.
    pub fn leave_all<'a>(&self, rooms: impl IntoIterator<Item = &'a String>, conn: ConnId) {
        for room in rooms {
            self.leave(room, conn);
        }
    }

    /// `conn` goes by `new` now, in each of `rooms` it is in.
    pub fn rename<'a>(&self, rooms: impl IntoIterator<Item = &'a String>, conn: ConnId, new: &str) {
        let mut state = self.state();
        for room in rooms {
            let Some(entry) = state.rooms.get_mut(room) else { continue };
            let Some(old) = entry.conns.insert(conn, new.to_owned()) else {
                entry.conns.remove(&conn);
                continue;
            };
            if old == new {
                continue;
            }
            if let Some(mirror) = self.mirror.get() {
                mirror.joined(room, conn, new);
            }
            let gone = entry.remove_name(&old);
            let came = entry.add_name(new);
            let event = match (gone, came) {
                (true, true) => PresenceEvent::Rename { from: old.clone() },
                (true, false) => PresenceEvent::Leave,
                (false, true) => PresenceEvent::Join,
                (false, false) => continue,
            };
            let user = if event == PresenceEvent::Leave { old } else { new.to_owned() };
            state.record(room, Change { user, event, conn }, &self.wake);
        }
    }

    /// Whether anyone is in `room`.
    pub fn has_members(&self, room: &str) -> bool {
        self.state().rooms.get(room).is_some_and(|e| !e.conns.is_empty())
    }

    /// Whether `room` exists now (members, stored messages, or a message on
    /// its way to the database).
    pub fn exists(&self, room: &str) -> bool {
        self.state().rooms.contains_key(room)
    }

    /// How many rooms exist.
    pub fn len(&self) -> usize {
        self.state().rooms.len()
    }

    /// Whether no room exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A message to `room` was queued for storage: the room stays while it
    /// is on its way.
    pub fn append_started(&self, room: &str) {
        self.state().rooms.entry(room.to_owned()).or_default().appending += 1;
    }

    /// A message queued for `room` was stored (or failed to be).
    pub fn append_finished(&self, room: &str, stored: bool) {
        let mut state = self.state();
        let Some(entry) = state.rooms.get_mut(room) else { return };
        entry.appending = entry.appending.saturating_sub(1);
        entry.stored |= stored;
        state.forget_if_unused(room);
    }

    /// Whether `room` has a row in the database: rooms found at start, and
    /// rooms removed for inactivity.
    pub fn set_stored(&self, room: &str, stored: bool) {
        let mut state = self.state();
        if stored {
            state.rooms.entry(room.to_owned()).or_default().stored = true;
        } else if let Some(entry) = state.rooms.get_mut(room) {
            entry.stored = false;
            state.forget_if_unused(room);
        }
    }

    /// Up to `limit` member names of `room` after `after`, in code point
    /// order.
    pub fn members(&self, room: &str, after: Option<&str>, limit: usize) -> MemberPage {
        let state = self.state();
        let Some(entry) = state.rooms.get(room) else { return MemberPage::default() };
        let (names, more) = page_after(&entry.names, after, limit, |name, _| name.clone());
        MemberPage { names, total: entry.names.len(), more }
    }

    /// Up to `limit` rooms after `after`, by name; and whether more follow.
    pub fn list(&self, after: Option<&str>, limit: usize) -> (Vec<RoomSummary>, bool) {
        let state = self.state();
        page_after(&state.rooms, after, limit, |name, entry| RoomSummary {
            name: name.clone(),
            members: entry.names.len(),
            stored: entry.stored,
        })
    }

    /// The presence changes due at `now`, one flush per room; and when the
    /// next ones fall due. A room that has been quiet announces at once;
    /// one that announced less than its window ago waits for the window's
    /// end, and its changes go out together.
    pub fn take_due(&self, now: Instant) -> (Vec<Flush>, Option<Instant>) {
        let mut state = self.state();
        let dirty = std::mem::take(&mut state.dirty);
        let mut flushes = Vec::new();
        let mut waiting = BTreeSet::new();
        let mut next: Option<Instant> = None;
        for room in dirty {
            let Some(entry) = state.rooms.get_mut(&room) else { continue };
            if entry.changes.is_empty() {
                continue;
            }
            let due = entry.last_flush.map_or(now, |last| last + window(entry.names.len()));
            if due <= now {
                entry.last_flush = Some(now);
                let changes = std::mem::take(&mut entry.changes);
                flushes.push(Flush { room, changes, member_count: entry.names.len() });
            } else {
                next = Some(next.map_or(due, |n| n.min(due)));
                waiting.insert(room);
            }
        }
        state.dirty = waiting;
        (flushes, next)
    }
}

impl Drop for Rooms {
    fn drop(&mut self) {
        // The announcer waits on this: let it see that the rooms are gone.
        self.wake.notify_one();
    }
}

/// Up to `limit` entries of `map` with keys after `after` (from the first
/// when `None`), made by `make`; and whether more follow.
fn page_after<V, T>(
    map: &BTreeMap<String, V>,
    after: Option<&str>,
    limit: usize,
    make: impl Fn(&String, &V) -> T,
) -> (Vec<T>, bool) {
    use std::ops::Bound::{Excluded, Unbounded};
    let mut entries = match after {
        Some(after) => map.range::<str, _>((Excluded(after), Unbounded)),
        None => map.range::<str, _>(..),
    };
    let page = entries.by_ref().take(limit).map(|(key, value)| make(key, value)).collect();
    (page, entries.next().is_some())
}

/// How long a room of `members` waits between two announcements.
pub fn window(members: usize) -> Duration {
    WINDOW_PER_MEMBER.saturating_mul(u32::try_from(members).unwrap_or(u32::MAX)).min(MAX_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ConnId {
        ConnId::from_raw(n)
    }

    fn change_named(user: &str, event: PresenceEvent) -> Change {
        Change { user: user.to_owned(), event, conn: id(1) }
    }

    fn events(flush: &Flush) -> Vec<(String, String)> {
        flush.changes.iter().map(|c| (c.user.clone(), c.event.as_str().to_owned())).collect()
    }

    #[test]
    fn counts_by_kind() {
        let changes = [
            change_named("a", PresenceEvent::Join),
            change_named("b", PresenceEvent::Join),
            change_named("c", PresenceEvent::Leave),
            change_named("d", PresenceEvent::Rename { from: "e".into() }),
        ];
        assert_eq!(Counts::of(&changes), Counts { joined: 2, left: 1, renamed: 1 });
    }

    #[test]
    fn the_cap_counts_rooms_that_exist_and_spares_general() {
        let rooms = Rooms::new(2);
        rooms.join("a", id(1), "ann").unwrap();
        rooms.join("b", id(1), "ann").unwrap();
        assert_eq!(rooms.join("c", id(2), "bob").unwrap_err().code, ErrorCode::RoomLimit);
        rooms.join("a", id(2), "bob").unwrap(); // an existing room is fine
        rooms.join(DEFAULT_ROOM, id(2), "bob").unwrap();
        assert_eq!(rooms.len(), 3);
        // Empty and never stored: forgotten, which makes room for another.
        rooms.leave("b", id(1));
        rooms.leave(DEFAULT_ROOM, id(2));
        assert!(!rooms.exists("b"));
        rooms.join("c", id(2), "bob").unwrap();
    }

    #[test]
    fn stored_rooms_and_messages_on_their_way_keep_a_room() {
        let rooms = Rooms::new(10);
        rooms.set_stored("old", true);
        assert!(rooms.exists("old") && !rooms.has_members("old"));
        rooms.join("new", id(1), "ann").unwrap();
        rooms.append_started("new");
        rooms.leave("new", id(1));
        assert!(rooms.exists("new"), "a message is on its way");
        rooms.append_finished("new", true);
        assert!(rooms.exists("new"), "stored now");
        rooms.set_stored("new", false);
        assert!(!rooms.exists("new"));
        rooms.append_started("gone");
        rooms.append_finished("gone", false);
        assert!(!rooms.exists("gone"), "a failed append leaves nothing");
    }

    #[test]
    fn names_join_once_and_leave_with_their_last_connection() {
        let rooms = Rooms::new(10);
        let t0 = Instant::now();
        rooms.join("r", id(9), "bob").unwrap();
        rooms.take_due(t0);
        rooms.join("r", id(1), "ann").unwrap();
        rooms.join("r", id(2), "ann").unwrap(); // her second tab
        rooms.join("r", id(2), "ann").unwrap(); // again: nothing
        let (flushes, _) = rooms.take_due(t0 + MAX_WINDOW);
        assert_eq!(events(&flushes[0]), [("ann".into(), "join".into())]);
        rooms.leave("r", id(1));
        assert!(rooms.take_due(t0 + 2 * MAX_WINDOW).0.is_empty(), "ann is still there");
        assert_eq!(rooms.members("r", None, 10).names, ["ann", "bob"]);
        rooms.leave("r", id(2));
        let (flushes, _) = rooms.take_due(t0 + 3 * MAX_WINDOW);
        assert_eq!(events(&flushes[0]), [("ann".into(), "leave".into())]);
        // The last one out: the room is forgotten, and its last changes
        // with it (nobody is left to tell).
        rooms.leave("r", id(9));
        assert!(!rooms.exists("r"));
        assert!(rooms.take_due(t0 + 4 * MAX_WINDOW).0.is_empty());
    }

    #[test]
    fn renames_are_announced_as_one_change() {
        let rooms = Rooms::new(10);
        let t0 = Instant::now();
        rooms.join("r", id(1), "ann").unwrap();
        rooms.take_due(t0);
        let joined = ["r".to_owned()];
        rooms.rename(&joined, id(1), "anna");
        let (flushes, _) = rooms.take_due(t0 + MAX_WINDOW);
        assert_eq!(flushes[0].changes[0].event, PresenceEvent::Rename { from: "ann".into() });
        assert_eq!(flushes[0].changes[0].user, "anna");
        assert_eq!(rooms.members("r", None, 10).names, ["anna"]);
    }

    #[test]
    fn a_quiet_room_announces_at_once_a_busy_one_waits_its_window() {
        let rooms = Rooms::new(10);
        let t0 = Instant::now();
        rooms.join("r", id(1), "a").unwrap();
        let (flushes, next) = rooms.take_due(t0);
        assert_eq!((flushes.len(), next), (1, None));
        rooms.join("r", id(2), "b").unwrap();
        rooms.join("r", id(3), "c").unwrap();
        let (flushes, next) = rooms.take_due(t0);
        assert!(flushes.is_empty());
        assert_eq!(next, Some(t0 + window(3)));
        let (flushes, next) = rooms.take_due(t0 + window(3));
        assert_eq!(next, None);
        assert_eq!(events(&flushes[0]), [("b".into(), "join".into()), ("c".into(), "join".into())]);
        assert_eq!(flushes[0].member_count, 3);
    }

    #[test]
    fn the_window_grows_with_the_room_up_to_two_seconds() {
        assert_eq!(window(0), Duration::ZERO);
        assert_eq!(window(100), Duration::from_millis(20));
        assert_eq!(window(1_000), Duration::from_millis(200));
        assert_eq!(window(10_000), Duration::from_secs(2));
        assert_eq!(window(1_000_000), MAX_WINDOW);
    }

    #[test]
    fn member_pages_follow_each_other() {
        let rooms = Rooms::new(10);
        for (n, name) in ["d", "a", "c", "b", "e"].iter().enumerate() {
            rooms.join("r", id(n as u64), name).unwrap();
        }
        let first = rooms.members("r", None, 2);
        assert_eq!(
            (first.names.clone(), first.total, first.more),
            (vec!["a".into(), "b".into()], 5, true)
        );
        let second = rooms.members("r", Some("b"), 2);
        assert_eq!(second.names, ["c", "d"]);
        let last = rooms.members("r", Some("d"), 2);
        assert_eq!((last.names, last.more), (vec!["e".to_owned()], false));
    }

    #[test]
    fn rooms_are_listed_by_name_in_pages() {
        let rooms = Rooms::new(10);
        for name in ["b", "a", "c"] {
            rooms.set_stored(name, true);
        }
        rooms.join("a", id(1), "ann").unwrap();
        let (page, more) = rooms.list(None, 2);
        assert_eq!(page.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(page[0].members, 1);
        assert!(more);
        let (page, more) = rooms.list(Some("b"), 2);
        assert_eq!((page.len(), more), (1, false));
    }
}
