//! The server API's work for a store: history pages in the API's terms,
//! and what it does to a user's connections (close them, take them out
//! of a room) on whichever node they are.

use capstan::CloseCode;
use tokio::sync::oneshot;

use crate::message::StoredMessage;

/// A history page as the API asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The room.
    pub room: String,
    /// Only messages after this id (and the epoch the caller knows), if
    /// given.
    pub since: Option<(u64, String)>,
    /// At most this many (0: none, only the room's position).
    pub limit: usize,
    /// Newest first.
    pub reverse: bool,
}

/// A history page and the room's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryAnswer {
    /// The messages, in the order asked.
    pub messages: Vec<StoredMessage>,
    /// The room's last id.
    pub last_id: u64,
    /// The history's epoch.
    pub epoch: String,
}

/// Why a history page could not be given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryRefusal {
    /// `since` is not in the kept history (pruned, beyond the last id, or
    /// from another epoch).
    Unrecoverable(String),
    /// The store failed.
    Failed(String),
}

/// Work the server API hands a store.
#[derive(Debug)]
pub enum ApiJob {
    /// A page of a room's history.
    History {
        /// What is asked.
        query: HistoryQuery,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<HistoryAnswer, HistoryRefusal>>,
    },
    /// Close the connections of the user `name` (on every node).
    Disconnect {
        /// The user.
        name: String,
        /// The close code.
        code: CloseCode,
        /// The close reason.
        reason: String,
    },
    /// Take the user `name` out of the public `room` (on every node).
    Unsubscribe {
        /// The user.
        name: String,
        /// The room.
        room: String,
    },
}

/// Checks that `since` (if given) names `epoch` (an empty epoch names
/// any): a reverse page starts there.
pub fn check_since_epoch(query: &HistoryQuery, epoch: &str) -> Result<(), HistoryRefusal> {
    match &query.since {
        Some((_, since)) if !since.is_empty() && since != epoch => {
            Err(HistoryRefusal::Unrecoverable(format!(
                "since.epoch {since:?} is not the room's epoch {epoch:?}: its history was lost"
            )))
        }
        _ => Ok(()),
    }
}

/// Checks that a page read after `since` (its first id `first_after`)
/// loses nothing: the epoch is the room's, that it starts right after `since` (nothing
/// pruned in between) and that `since` is not beyond `last_id`.
pub fn check_since(
    query: &HistoryQuery,
    first_after: Option<u64>,
    last_id: u64,
    epoch: &str,
) -> Result<(), HistoryRefusal> {
    check_since_epoch(query, epoch)?;
    let Some((offset, _)) = &query.since else { return Ok(()) };
    if *offset > last_id {
        return Err(HistoryRefusal::Unrecoverable(format!(
            "since.offset {offset} is beyond the room's last id {last_id}"
        )));
    }
    match first_after {
        Some(first) if first != offset + 1 => Err(HistoryRefusal::Unrecoverable(format!(
            "the messages after {offset} are no longer kept (the oldest kept is {first})"
        ))),
        None if *offset < last_id => Err(HistoryRefusal::Unrecoverable(format!(
            "the messages after {offset} are no longer kept"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(since: Option<(u64, &str)>) -> HistoryQuery {
        HistoryQuery {
            room: "general".into(),
            since: since.map(|(o, e)| (o, e.to_owned())),
            limit: 10,
            reverse: false,
        }
    }

    #[test]
    fn since_must_be_kept_and_in_the_epoch() {
        assert!(check_since(&query(None), None, 0, "").is_ok());
        assert!(check_since(&query(Some((3, ""))), Some(4), 9, "e").is_ok());
        assert!(check_since(&query(Some((9, "e"))), None, 9, "e").is_ok());
        let pruned = check_since(&query(Some((3, ""))), Some(6), 9, "e");
        assert!(matches!(pruned, Err(HistoryRefusal::Unrecoverable(_))));
        let beyond = check_since(&query(Some((12, ""))), None, 9, "e");
        assert!(matches!(beyond, Err(HistoryRefusal::Unrecoverable(_))));
        let other_epoch = check_since(&query(Some((3, "old"))), Some(4), 9, "e");
        assert!(matches!(other_epoch, Err(HistoryRefusal::Unrecoverable(_))));
        let all_pruned = check_since(&query(Some((3, ""))), None, 9, "e");
        assert!(matches!(all_pruned, Err(HistoryRefusal::Unrecoverable(_))));
    }
}
