//! Many connections creating rooms and taking names, each as fast as the
//! server's rate limit allows: the server's memory and database must stay
//! bounded, and the limits answer with their codes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::conn::{ChatConn, Keep};
use crate::procfs;

/// How often the server is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Rooms a connection keeps joined at most (the server allows 100).
const KEEP_JOINED: usize = 95;
/// Requests on one connection before it is replaced by a new one (a new
/// name, a new session).
const REQUESTS_PER_CONNECTION: u64 = 50;

/// What the connections were answered, counted.
#[derive(Debug, Default)]
pub struct Tally {
    /// Rooms joined.
    pub joined: AtomicU64,
    /// Joins refused `too_many_rooms`.
    pub too_many_rooms: AtomicU64,
    /// Joins refused `room_limit`.
    pub room_limit: AtomicU64,
    /// Names taken (`add_user` and renames answered).
    pub named: AtomicU64,
    /// Messages stored (acks).
    pub acked: AtomicU64,
    /// Requests refused `rate_limited`.
    pub rate_limited: AtomicU64,
    /// Other refusals.
    pub other_errors: AtomicU64,
    /// Connections opened.
    pub connections: AtomicU64,
}

/// One sample of the server.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since the start.
    pub seconds: f64,
    /// The server's RSS, KiB.
    pub rss_kib: u64,
    /// The database's files (main, WAL, shared memory), bytes.
    pub db_bytes: Option<u64>,
    /// Rooms joined so far.
    pub joined: u64,
    /// Refusals so far: too_many_rooms, room_limit.
    pub refused: (u64, u64),
    /// Names taken so far.
    pub named: u64,
    /// Connections opened so far.
    pub connections: u64,
}

/// Runs `connections` flooding connections for `duration`.
pub async fn run(
    addr: SocketAddr,
    pid: u32,
    connections: usize,
    duration: Duration,
    rate: f64,
    db: Option<PathBuf>,
) -> Result<(Vec<Sample>, Arc<Tally>), String> {
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let tally = tally.clone();
        tasks.push(tokio::spawn(flood_one(addr, i, deadline, rate, tally)));
    }
    let mut samples = vec![sample(pid, db.as_deref(), &tally, start)?];
    while Instant::now() < deadline {
        tokio::time::sleep(SAMPLE_EVERY.min(deadline.saturating_duration_since(Instant::now())))
            .await;
        let s = sample(pid, db.as_deref(), &tally, start)?;
        eprintln!("{:.0} s: RSS {} KiB, {} rooms joined", s.seconds, s.rss_kib, s.joined);
        samples.push(s);
    }
    for task in tasks {
        task.await.map_err(|e| format!("a connection task: {e}"))??;
    }
    Ok((samples, tally))
}

fn sample(pid: u32, db: Option<&Path>, tally: &Tally, start: Instant) -> Result<Sample, String> {
    let db_bytes = db.map(|path| {
        ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", path.display())).ok())
            .map(|m| m.len())
            .sum()
    });
    Ok(Sample {
        seconds: start.elapsed().as_secs_f64(),
        rss_kib: procfs::rss_kib(pid)?,
        db_bytes,
        joined: tally.joined.load(Relaxed),
        refused: (tally.too_many_rooms.load(Relaxed), tally.room_limit.load(Relaxed)),
        named: tally.named.load(Relaxed),
        connections: tally.connections.load(Relaxed),
    })
}

/// One flooding client: a connection at a time, each used for
/// [`REQUESTS_PER_CONNECTION`] requests at `rate` a second.
async fn flood_one(
    addr: SocketAddr,
    i: usize,
    deadline: Instant,
    rate: f64,
    tally: Arc<Tally>,
) -> Result<(), String> {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut next = Instant::now() + interval.mul_f64((i % 100) as f64 / 100.0);
    for generation in 0u64.. {
        let mut conn =
            ChatConn::connect(addr, i * 100_000 + generation as usize, Keep::All).await?;
        tally.connections.fetch_add(1, Relaxed);
        let mut state = State::default();
        let mut k = 0u64;
        while k < REQUESTS_PER_CONNECTION {
            if Instant::now() >= deadline {
                return Ok(());
            }
            tokio::time::sleep_until(next.into()).await;
            next += interval;
            while let Some(payload) = conn.try_next() {
                state.take(&payload, &tally);
            }
            let (kind, data) = if k == 0 {
                ("add_user", json!({ "username": format!("f{i}-{generation}") }))
            } else if k.is_multiple_of(10) {
                ("rename_user", json!({ "username": format!("f{i}-{generation}-{k}") }))
            } else if let Some(room) = state.unwritten.pop_front() {
                // A room's first message stores it.
                (
                    "message",
                    json!({ "room": room, "content": "first", "client_id": format!("c{k}") }),
                )
            } else if state.joined.len() >= KEEP_JOINED {
                ("leave", json!({ "room": state.joined.pop_front() }))
            } else {
                ("join", json!({ "room": format!("r{i}-{generation}-{k}") }))
            };
            conn.send(kind, data).await?;
            k += 1;
        }
    }
    Ok(())
}

/// What one connection knows of its rooms.
#[derive(Debug, Default)]
struct State {
    joined: VecDeque<String>,
    unwritten: VecDeque<String>,
}

impl State {
    fn take(&mut self, payload: &[u8], tally: &Tally) {
        let Ok(envelope) = serde_json::from_slice::<Value>(payload) else { return };
        let data = &envelope["data"];
        match envelope["type"].as_str().unwrap_or("") {
            "joined" => {
                let room = data["room"].as_str().unwrap_or("").to_owned();
                if room != "general" {
                    tally.joined.fetch_add(1, Relaxed);
                    self.joined.push_back(room.clone());
                    self.unwritten.push_back(room);
                }
            }
            "add_user" | "renamed" => {
                tally.named.fetch_add(1, Relaxed);
            }
            "ack" => {
                tally.acked.fetch_add(1, Relaxed);
            }
            "error" => {
                let counter = match data["code"].as_str().unwrap_or("") {
                    "too_many_rooms" => &tally.too_many_rooms,
                    "room_limit" => &tally.room_limit,
                    "rate_limited" => &tally.rate_limited,
                    _ => &tally.other_errors,
                };
                counter.fetch_add(1, Relaxed);
            }
            _ => {}
        }
    }
}

/// The samples as a Markdown table.
pub fn table(samples: &[Sample]) -> String {
    let mut out = String::from(
        "| s | server RSS (MiB) | database (MiB) | rooms joined | too_many_rooms | room_limit | names taken | connections |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for s in samples {
        let db = s.db_bytes.map_or("–".to_owned(), |b| format!("{:.1}", b as f64 / 1_048_576.0));
        out.push_str(&format!(
            "| {:.0} | {:.1} | {db} | {} | {} | {} | {} | {} |\n",
            s.seconds,
            s.rss_kib as f64 / 1024.0,
            s.joined,
            s.refused.0,
            s.refused.1,
            s.named,
            s.connections
        ));
    }
    out
}
