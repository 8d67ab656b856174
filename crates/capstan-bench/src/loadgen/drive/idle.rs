//! Idle: connections held open, each pinged every `ping_interval` (the
//! pings spread evenly over the interval); their readers count the pongs.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use capstan::ws::{OpCode, encode_client_frame};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::watch;

use super::{mask_for, open_all, wait_for_go};
use crate::client;
use crate::loadgen::plan::WorkerPlan;
use crate::loadgen::tally::Tally;

/// How often the pinger wakes up.
const TICK: Duration = Duration::from_millis(10);

/// Opens the connections (their readers start at once), then pings them
/// when told to go, until the process exits.
pub async fn run(
    plan: WorkerPlan,
    tally: Arc<Tally>,
    mut go: watch::Receiver<bool>,
) -> Result<(), String> {
    let first = plan.first;
    let progress = tally.progress.clone();
    let writers = open_all(&plan, &tally, move |local, conn| {
        let (read, write) = conn.stream.into_split();
        // Counts pongs as control frames, and ends.
        let _ = client::spawn_reader(read, local, conn.leftover, progress.clone());
        (write, encode_client_frame(OpCode::Ping, true, b"", mask_for(first + local)))
    })
    .await?;
    if writers.is_empty() || !wait_for_go(&mut go).await {
        return Ok(());
    }
    ping(writers, plan.ping_interval, &tally).await;
    Ok(())
}

/// Pings connection after connection, at `count / interval` pings a
/// second in all.
async fn ping(mut writers: Vec<(OwnedWriteHalf, Vec<u8>)>, interval: Duration, tally: &Tally) {
    let start = Instant::now();
    let count = writers.len();
    let mut sent: u64 = 0;
    let mut ticks = tokio::time::interval(TICK);
    loop {
        ticks.tick().await;
        let due = (count as f64 * start.elapsed().as_secs_f64() / interval.as_secs_f64()) as u64;
        while sent < due {
            let (writer, ping) = &mut writers[(sent % count as u64) as usize];
            // A failed write shows as the connection's end, in its reader.
            let _ = writer.write_all(ping).await;
            sent += 1;
            tally.sent.fetch_add(1, Relaxed);
        }
    }
}
