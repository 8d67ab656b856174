//! One game's mover: at each move's time, waits for the player on turn to
//! have seen the previous move (the server must have taken it), then sends
//! the next [`cells`](super::cells::of_move) move from that player's connection.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::book::{Book, Seat};
use super::cells;
use super::conn::Sender;
use super::schedule::Schedule;

/// Longest wait for the player on turn to see the previous move.
const SEEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Plays game `game` from `start` on its `schedule`, X from `players[0]`
/// and O from `players[1]`. Stops at the first failure (it is in the book).
pub async fn play(
    game: usize,
    players: [Sender; 2],
    schedule: Schedule,
    start: Instant,
    book: Arc<Book>,
) {
    for index in 0..schedule.moves_of(game) {
        let due = start + schedule.due(game, index);
        tokio::time::sleep_until(due).await;
        let number = index as u32 + 1;
        let seat = Seat::mover_of(number);
        if book.wait_seen(game, seat, number - 1, SEEN_TIMEOUT).await.is_err() {
            return;
        }
        let (x, y) = cells::of_move(index);
        let text =
            json!({ "type": "add_move", "data": { "coords": { "x": x, "y": y } } }).to_string();
        book.sending(game, number, Instant::now().saturating_duration_since(due));
        let player = &players[index % 2];
        if let Err(e) = player.send_text(&text, index + 16).await {
            return book.fail(game, false, format!("{seat:?}: move {number}: {e}"));
        }
    }
}
