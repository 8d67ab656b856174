//! The client connections of one mode: opened together (see
//! [`crate::fleet::open_many`]), each with its reader task, written to in
//! turn, and closed together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::task::AbortHandle;

use super::mode::Mode;
use crate::client;
use crate::fleet::open_many;
use crate::progress::Progress;

/// Handshakes in flight at once.
const CONCURRENCY: usize = 128;
/// Longest a single connect and handshake may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The client connections, in index order.
#[derive(Debug)]
pub struct Fleet {
    writers: Vec<OwnedWriteHalf>,
    readers: Vec<AbortHandle>,
    /// The extension answer (the same for every connection, checked).
    pub extensions: Option<String>,
}

impl Fleet {
    /// Opens `count` connections to `addr` in `mode`, each counting into
    /// `progress`. Fails on the first connection that cannot be opened or
    /// whose agreed extension is not the mode's.
    pub async fn open(
        addr: SocketAddr,
        mode: Mode,
        count: usize,
        progress: &Arc<Progress>,
        label: &str,
    ) -> Result<Self, String> {
        let open = |index: usize| {
            let progress = progress.clone();
            async move {
                let c = client::connect(addr, "/", index as u64, Some(mode.offer())).await?;
                mode.check_agreed(c.extensions.as_deref())?;
                let (read, write) = c.stream.into_split();
                let reader = client::spawn_reader(read, index, c.leftover, progress);
                Ok((write, reader, c.extensions))
            }
        };
        let report = |done: usize| {
            if done.is_multiple_of(1000) || done == count {
                eprintln!("  {label}: {done}/{count} connections open");
            }
        };
        let opened = open_many(count, CONCURRENCY, CONNECT_TIMEOUT, open, report)
            .await
            .map_err(|e| format!("{label}: {e}"))?;
        let mut fleet = Fleet { writers: Vec::new(), readers: Vec::new(), extensions: None };
        for (write, reader, extensions) in opened {
            fleet.writers.push(write);
            fleet.readers.push(reader);
            fleet.extensions = extensions;
        }
        Ok(fleet)
    }

    /// Sends each connection the frame `frame(index)`; returns the bytes
    /// sent in all.
    pub async fn send_each(&mut self, frame: impl Fn(usize) -> Vec<u8>) -> Result<u64, String> {
        let mut sent = 0;
        for (index, writer) in self.writers.iter_mut().enumerate() {
            let bytes = frame(index);
            writer.write_all(&bytes).await.map_err(|e| format!("connection {index}: send: {e}"))?;
            sent += bytes.len() as u64;
        }
        Ok(sent)
    }

    /// Closes every connection and stops the readers.
    pub fn close(self) {
        for reader in &self.readers {
            reader.abort();
        }
        drop(self.writers);
    }
}
