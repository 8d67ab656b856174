//! Many client connections: opened with bounded concurrency, each with its
//! reader task, written to in turn, and closed together.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Semaphore;
use tokio::task::{AbortHandle, JoinSet};

use crate::client;
use crate::mode::Mode;
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

type Opened = (OwnedWriteHalf, AbortHandle, Option<String>);

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
        let permits = Arc::new(Semaphore::new(CONCURRENCY));
        let mut opening = JoinSet::new();
        let mut opened: Vec<Option<Opened>> = (0..count).map(|_| None).collect();
        let mut done = 0;
        let mut record = |result: Result<(usize, Result<Opened, String>), _>| match result {
            Ok((index, Ok(conn))) => {
                opened[index] = Some(conn);
                done += 1;
                if done % 1000 == 0 || done == count {
                    eprintln!("  {label}: {done}/{count} connections open");
                }
                Ok(())
            }
            Ok((index, Err(e))) => Err(format!("{label}: connection {index}: {e}")),
            Err(e) => Err(format!("{label}: connecting task failed: {e}")),
        };
        for index in 0..count {
            let permit = permits.clone().acquire_owned().await.expect("never closed");
            let progress = progress.clone();
            opening.spawn(async move {
                let _permit = permit;
                let connected = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    client::connect(addr, "/", index as u64, Some(mode.offer())),
                )
                .await
                .unwrap_or_else(|_| Err("connect and handshake timed out".into()));
                let result = connected.and_then(|c| {
                    mode.check_agreed(c.extensions.as_deref())?;
                    let (read, write) = c.stream.into_split();
                    let reader = client::spawn_reader(read, index, c.leftover, progress);
                    Ok((write, reader, c.extensions))
                });
                (index, result)
            });
            while let Some(result) = opening.try_join_next() {
                record(result)?;
            }
        }
        while let Some(result) = opening.join_next().await {
            record(result)?;
        }
        let mut fleet = Fleet { writers: Vec::new(), readers: Vec::new(), extensions: None };
        for (write, reader, extensions) in opened.into_iter().flatten() {
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
