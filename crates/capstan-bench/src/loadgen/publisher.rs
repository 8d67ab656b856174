//! The broadcast publisher, in the coordinator: one connection to the
//! broadcast path (so also a subscriber, whose copies it drains) that
//! sends stamped `pub:` messages at a given rate.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::task::AbortHandle;

use super::drive::mask_for;
use crate::client;
use crate::clock;
use crate::progress::Progress;
use crate::stamp::StampedFrame;

/// The publisher's handshake key index, apart from the subscribers'.
const PUBLISHER_INDEX: usize = u32::MAX as usize;

/// The publishing connection.
#[derive(Debug)]
pub struct Publisher {
    write: OwnedWriteHalf,
    frame: StampedFrame,
    own: Arc<Progress>,
    reader: AbortHandle,
}

/// What one publishing run did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Published {
    /// Messages sent.
    pub messages: u64,
    /// First to last send.
    pub elapsed: Duration,
    /// Most a send was late on its schedule (the offered rate not kept).
    pub max_lag: Duration,
}

impl Publisher {
    /// Connects to `path` at `addr`; messages will have `size` bytes.
    pub async fn connect(addr: SocketAddr, path: &str, size: usize) -> Result<Self, String> {
        let conn = client::connect(addr, path, PUBLISHER_INDEX as u64, None)
            .await
            .map_err(|e| format!("publisher: {e}"))?;
        let (read, write) = conn.stream.into_split();
        let own = Arc::new(Progress::new(1));
        let reader = client::spawn_reader(read, 0, conn.leftover, own.clone());
        Ok(Self { write, frame: StampedFrame::new(size, mask_for(PUBLISHER_INDEX)), own, reader })
    }

    /// Sends one probe (a message stamped 0: counted, not timed).
    pub async fn probe(&mut self) -> Result<(), String> {
        self.send(0).await
    }

    async fn send(&mut self, ts: u64) -> Result<(), String> {
        let frame = self.frame.stamp(ts);
        self.write.write_all(frame).await.map_err(|e| format!("publisher: send: {e}"))
    }

    /// Publishes `per_second` messages a second, each stamped as it is
    /// sent, for `duration` or `max` messages, whichever comes first.
    pub async fn publish(
        &mut self,
        per_second: f64,
        duration: Duration,
        max: u64,
    ) -> Result<Published, String> {
        let start = Instant::now();
        let mut done = Published::default();
        while done.messages < max {
            let due = Duration::from_secs_f64(done.messages as f64 / per_second);
            if due >= duration {
                break;
            }
            tokio::time::sleep_until((start + due).into()).await;
            done.max_lag = done.max_lag.max(start.elapsed().saturating_sub(due));
            self.send(clock::now_ns()).await?;
            done.messages += 1;
        }
        done.elapsed = start.elapsed();
        Ok(done)
    }

    /// Messages the publisher's own connection received.
    pub fn received(&self) -> u64 {
        self.own.totals().messages
    }

    /// Why the publisher's connection ended, if it did.
    pub fn ended(&self) -> Option<String> {
        self.own.first_end()
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
