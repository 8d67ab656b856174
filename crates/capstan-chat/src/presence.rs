//! The presence announcer: one task that sends each room's changes (who
//! joined, left, or changed name) to its members, when [`Rooms`] says they
//! are due: at once in a quiet room, together at the end of the room's
//! window in a busy one. Each announcement carries the changes, not the
//! member list, so what a member receives per change does not grow with
//! the room; and a room announces at most once per window, so the work per
//! join stays bounded as the room grows.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Instant;

use capstan::{ConnId, Topics};
use futures_util::future::join_all;
use tokio::sync::Notify;

use crate::protocol::server as wire;
use crate::rooms::{Change, Counts, Flush, PresenceEvent, Rooms};

/// Most changes in one `presence` message; a longer flush is sent as
/// several.
pub const MAX_CHANGES_PER_MESSAGE: usize = 500;
/// Names listed in one `info` notice; past it, "and N others".
const NAMES_IN_A_NOTICE: usize = 3;

/// Members past which a room announces counts, not names, unless
/// configured otherwise: a client of such a room holds only a page of its
/// list anyway, and names would cost every member bytes per join in
/// proportion to the room.
pub const LARGE_ROOM: usize = 1000;

/// Counts a room's members where this node's own count is not the whole
/// room (a cluster: every node's members); `None` (it could not count)
/// keeps the node's own.
pub type RoomCounter =
    Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Option<usize>> + Send>> + Send + Sync>;

/// Starts the announcer for `rooms`, publishing to `topics`; rooms of more
/// than `large_room` members announce counts. With `counter`, each
/// announcement's `member_count` is the counter's. It ends when the rooms
/// are dropped.
pub fn spawn(
    rooms: &Arc<Rooms>,
    topics: Topics,
    large_room: usize,
    counter: Option<RoomCounter>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(Arc::downgrade(rooms), rooms.wake_handle(), topics, large_room, counter))
}

async fn run(
    rooms: Weak<Rooms>,
    wake: Arc<Notify>,
    topics: Topics,
    large_room: usize,
    counter: Option<RoomCounter>,
) {
    loop {
        let Some(strong) = rooms.upgrade() else { return };
        let (mut flushes, next) = strong.take_due(Instant::now());
        drop(strong);
        if let Some(counter) = &counter {
            let counts = join_all(flushes.iter().map(|flush| counter(flush.room.clone()))).await;
            for (flush, count) in flushes.iter_mut().zip(counts) {
                flush.member_count = count.unwrap_or(flush.member_count);
            }
        }
        for flush in &flushes {
            announce(&topics, flush, large_room);
        }
        match next {
            Some(at) => {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep_until(at.into()) => {}
                }
            }
            None => wake.notified().await,
        }
    }
}

/// Sends one room's changes to its members: `presence` messages (the
/// changes, or only their counts in a room of more than `large_room`
/// members), then the classic `info` notices. A lone join or leave is not
/// sent to the connection that made it, as before; a rename is (its client
/// learns its new name in the room's list from it).
///
/// Sent through the registry, so that in a cluster the members on every
/// node hear of this node's changes (each node announces its own).
pub fn announce(topics: &Topics, flush: &Flush, large_room: usize) {
    let room = flush.room.as_str();
    let exclude: Vec<ConnId> = match flush.changes.as_slice() {
        [one] if !is_rename(one) => vec![one.conn],
        _ => Vec::new(),
    };
    if flush.member_count > large_room {
        let counts = Counts::of(&flush.changes);
        topics.publish(room, wire::presence_counts(room, &counts, flush.member_count), &exclude);
    } else {
        for chunk in flush.changes.chunks(MAX_CHANGES_PER_MESSAGE) {
            topics.publish(room, wire::presence(room, chunk, flush.member_count), &exclude);
        }
    }
    for notice in notices(&flush.room, &flush.changes) {
        topics.publish(room, wire::info(&notice), &exclude);
    }
}

fn is_rename(change: &Change) -> bool {
    matches!(change.event, PresenceEvent::Rename { .. })
}

/// The `info` lines for a run of changes: one per kind of change, in the
/// classic wording ("alice joined #general", "alice is now known as ann")
/// when a single change is announced.
pub fn notices(room: &str, changes: &[Change]) -> Vec<String> {
    let names = |event: &str| -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for change in changes.iter().filter(|c| c.event.as_str() == event) {
            if !seen.contains(&change.user.as_str()) {
                seen.push(&change.user);
            }
        }
        seen
    };
    let mut lines = Vec::new();
    let joined = names("join");
    if !joined.is_empty() {
        lines.push(format!("{} joined #{room}", listing(&joined)));
    }
    let renames: Vec<(&str, &str)> = changes
        .iter()
        .filter_map(|c| match &c.event {
            PresenceEvent::Rename { from } => Some((from.as_str(), c.user.as_str())),
            _ => None,
        })
        .collect();
    if renames.len() <= NAMES_IN_A_NOTICE {
        lines.extend(renames.iter().map(|(from, to)| format!("{from} is now known as {to}")));
    } else {
        lines.push(format!("{} people changed their names", renames.len()));
    }
    let left = names("leave");
    if !left.is_empty() {
        lines.push(format!("{} left #{room}", listing(&left)));
    }
    lines
}

/// "a", "a and b", "a, b and c", "a, b, c and 4 others".
fn listing(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] if names.len() <= NAMES_IN_A_NOTICE => {
            format!("{} and {last}", init.join(", "))
        }
        _ => {
            let shown = names[..NAMES_IN_A_NOTICE].join(", ");
            let others = names.len() - NAMES_IN_A_NOTICE;
            let word = if others == 1 { "other" } else { "others" };
            format!("{shown} and {others} {word}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(user: &str, event: PresenceEvent) -> Change {
        Change { user: user.to_owned(), event, conn: ConnId::from_raw(1) }
    }

    #[test]
    fn a_single_change_reads_as_it_always_did() {
        assert_eq!(
            notices("general", &[change("alice", PresenceEvent::Join)]),
            ["alice joined #general"]
        );
        assert_eq!(notices("r", &[change("bob", PresenceEvent::Leave)]), ["bob left #r"]);
        let rename = change("ann", PresenceEvent::Rename { from: "anna".into() });
        assert_eq!(notices("r", &[rename]), ["anna is now known as ann"]);
    }

    #[test]
    fn many_changes_make_one_line_per_kind() {
        let joins: Vec<Change> =
            ["a", "b", "c", "d", "e"].iter().map(|n| change(n, PresenceEvent::Join)).collect();
        assert_eq!(notices("r", &joins[..2]), ["a and b joined #r"]);
        assert_eq!(notices("r", &joins[..3]), ["a, b and c joined #r"]);
        assert_eq!(notices("r", &joins[..4]), ["a, b, c and 1 other joined #r"]);
        let mut mixed = joins.clone();
        mixed.push(change("z", PresenceEvent::Leave));
        assert_eq!(notices("r", &mixed), ["a, b, c and 2 others joined #r", "z left #r"]);
    }
}
