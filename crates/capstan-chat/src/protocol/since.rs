//! Where a client's catch-up in a room starts: the last message id it saw
//! and, in cluster mode, the epoch of the room's stream those ids belong
//! to. A stream that started over (a Redis that lost its data) numbers its
//! messages from 1 again under a new epoch: the same id would then name
//! another message, so a resume from another epoch is "not recovered"
//! rather than a silent gap.

use serde::Deserialize;

/// A resume point, as `join` (`after`, `epoch`) and `add_user`'s `rooms`
/// (a last id, or `{"after": id, "epoch": "..."}`) give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Since {
    /// The last id seen (0: none yet).
    pub after: u64,
    /// The epoch the client got with those ids (`None`: not given; the
    /// stream's own is assumed, as from clients that do not keep it).
    pub epoch: Option<String>,
}

impl Since {
    /// After `after`, epoch not given.
    pub fn id(after: u64) -> Since {
        Since { after, epoch: None }
    }
}

/// A value of `add_user`'s `rooms`: a bare last id, or one with its epoch.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RoomSince {
    /// `4`.
    Id(u64),
    /// `{"after": 4, "epoch": "..."}`.
    WithEpoch { after: u64, epoch: Option<String> },
}

impl From<RoomSince> for Since {
    fn from(value: RoomSince) -> Since {
        match value {
            RoomSince::Id(after) => Since::id(after),
            RoomSince::WithEpoch { after, epoch } => Since { after, epoch },
        }
    }
}
