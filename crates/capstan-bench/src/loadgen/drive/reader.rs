//! Reading one connection's events in turn, for code that waits for each
//! answer (churn's cycles).

use std::collections::VecDeque;

use tokio::io::AsyncReadExt;
use tokio::net::tcp::OwnedReadHalf;

use super::messages::{Event, Messages};
use capstan_testkit::counter::FrameCounter;

/// Bytes read at once.
const READ_SIZE: usize = 4096;

/// A connection's incoming events, one at a time.
#[derive(Debug)]
pub struct EventReader {
    read: OwnedReadHalf,
    counter: FrameCounter,
    messages: Messages,
    ready: VecDeque<Event>,
    buf: Vec<u8>,
}

impl EventReader {
    /// Reads `read`, starting with the bytes already received (`leftover`).
    pub fn new(read: OwnedReadHalf, leftover: &[u8]) -> Result<Self, String> {
        let mut reader = Self {
            read,
            counter: FrameCounter::default(),
            messages: Messages::default(),
            ready: VecDeque::new(),
            buf: vec![0; READ_SIZE],
        };
        feed(&mut reader.counter, &mut reader.messages, &mut reader.ready, leftover)?;
        Ok(reader)
    }

    /// The next event; `None` when the server has closed the stream.
    pub async fn next(&mut self) -> Result<Option<Event>, String> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            match self.read.read(&mut self.buf).await {
                Ok(0) => return Ok(None),
                Ok(n) => {
                    feed(&mut self.counter, &mut self.messages, &mut self.ready, &self.buf[..n])?
                }
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    }
}

fn feed(
    counter: &mut FrameCounter,
    messages: &mut Messages,
    ready: &mut VecDeque<Event>,
    data: &[u8],
) -> Result<(), String> {
    counter
        .feed(data, |frame| ready.extend(messages.on_frame(frame)))
        .map_err(|e| format!("bad frame: {e}"))
}
