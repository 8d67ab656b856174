//! What a store answers, whichever store it is (SQLite on one node, Redis
//! across nodes): the messages a connection may see, answers merged from
//! parts, a block request's checks, a failure's error.

use capstan::{Conn, Topics};
use serde_json::{Value, json};

use crate::blocks::{BlockFilter, Blocked, Blocks};
use crate::errors::{ErrorCode, Refusal};
use crate::message::StoredMessage;
use crate::protocol::server as wire;
use crate::rooms::{RoomSummary, Rooms};
use crate::store::JoinAnswer;

/// The messages a connection may see, as clients see them.
pub fn visible(messages: &[StoredMessage], filter: &BlockFilter) -> Value {
    if filter.is_empty() {
        return wire::messages_value(messages);
    }
    let shown: Vec<StoredMessage> =
        messages.iter().filter(|m| !filter.blocks(&m.author)).cloned().collect();
    wire::messages_value(&shown)
}

/// Adds `more`'s fields to the object `data`.
pub fn merge(data: &mut Value, more: Value) {
    if let (Some(data), Value::Object(more)) = (data.as_object_mut(), more) {
        data.extend(more);
    }
}

/// The envelope answering a join: `joined`, or `add_user` with the name,
/// session, public rooms and block list of `conn` added to `data`.
pub fn join_envelope(answer: &JoinAnswer, mut data: Value, blocks: &Blocks, conn: &Conn) -> String {
    match answer {
        JoinAnswer::AddUser { username, session, rooms, .. } => {
            merge(
                &mut data,
                json!({
                    "username": username,
                    "session": session,
                    "rooms": rooms,
                    "blocked": blocks.list(conn.id()),
                    // When the name was taken, as the classic demo says it.
                    "created": wire::unix_seconds(crate::time::now_ms()),
                }),
            );
            wire::envelope("add_user", data)
        }
        JoinAnswer::Joined => wire::envelope("joined", data),
    }
}

/// Whether a block by `conn` still has to be stored: answered already if
/// it blocks that user (`blocked`), refused past `max_blocks`.
pub fn block_to_store(conn: &Conn, blocks: &Blocks, blocked: &Blocked, max_blocks: usize) -> bool {
    if blocks.has(conn.id(), blocked) {
        let _ = conn.send_text(wire::envelope("blocked", json!({ "user": blocked.name })));
        return false;
    }
    if blocks.count(conn.id()) >= max_blocks {
        let message = format!("you block {max_blocks} users, the most allowed");
        let refusal = Refusal::new(ErrorCode::BlockLimit, message).for_type("block");
        let _ = conn.send_text(wire::error(&refusal));
        return false;
    }
    true
}

/// Tells `conn` its `kind` request failed in the store (`why` is logged).
pub fn failed(conn: &Conn, kind: &str, client_id: Option<&str>, why: &str, message: &str) {
    tracing::error!(error = why, kind, "store failed");
    let refusal =
        Refusal::new(ErrorCode::StorageFailed, message).for_type(kind).for_client_id(client_id);
    let _ = conn.send_text(wire::error(&refusal));
}

/// A room as the `rooms` answer lists it.
pub fn room_listed(summary: &RoomSummary, last_id: u64, joined: bool) -> Value {
    json!({
        "name": summary.name,
        "last_id": last_id,
        "members": summary.members,
        "joined": joined,
    })
}

/// Takes `conn` out of the public `room` by the server's decision (the
/// server API's `unsubscribe`): out of the room's members and topic, told
/// `left` with `by: "server"`; its session learns it on its next request.
pub fn left_by_server(conn: &Conn, room: &str, rooms: &Rooms, topics: &Topics) {
    if !rooms.leave(room, conn.id()) {
        return;
    }
    topics.unsubscribe(room, conn);
    crate::user::LeftByServer::note(conn, room);
    let _ = conn.send_text(wire::envelope("left", json!({ "room": room, "by": "server" })));
}
