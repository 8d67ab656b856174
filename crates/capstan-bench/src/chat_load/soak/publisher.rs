//! The steady publish rate of one worker: its connections take turns, one
//! message at a time, each stamped with its send time and a client id.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::watch;
use tokio::time::Instant;

use super::books::{Books, client_id};
use super::layout::room_name;
use super::member::Member;
use crate::{clock, stamp};

/// Bytes of a message's content: the send time, then padding.
pub const CONTENT_BYTES: usize = 64;
/// How far behind its schedule the publisher may fall before it gives up
/// on catching up (it does not send a burst to make up for a stall).
const MAX_BEHIND: Duration = Duration::from_secs(1);

/// Sends `rate` messages a second, from `members` in turn, until `stop`
/// turns true.
pub async fn run(
    members: Vec<Member>,
    rate: f64,
    books: Arc<StdMutex<Books>>,
    mut stop: watch::Receiver<bool>,
) {
    if members.is_empty() || rate <= 0.0 {
        return;
    }
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut next = Instant::now();
    for k in 0u64.. {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        let member = &members[(k % members.len() as u64) as usize];
        let seq = k / members.len() as u64 + 1;
        let ts = clock::now_ns();
        let content = String::from_utf8(stamp::payload(CONTENT_BYTES, ts)).expect("ASCII");
        let text = json!({"type": "message", "data": {
            "room": room_name(member.room),
            "content": content,
            "client_id": client_id(member.index, seq, ts),
        }})
        .to_string();
        books.lock().expect("books").tally.sent += 1;
        // A write that fails ends the connection, which its reader counts.
        let _ = member.send_text(&text, seq).await;
        next += interval;
        let now = Instant::now();
        if now > next + MAX_BEHIND {
            next = now;
        }
    }
}
