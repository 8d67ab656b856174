//! A worker process (`chat-load soak-worker PLAN…`, started by the soak's
//! parent): opens its share of the connections, then follows the parent's
//! commands, one per stdin line: `go` (pings and messages begin), `stop`
//! (they end; the last answers are awaited). It writes one line per event
//! on stdout, a word and a JSON value: `progress {…}` every few seconds,
//! `ready {…}` once every connection is in its room, `result {…}` (its
//! [`Tally`]) at the end, or `error {"msg": …}`. It exits when stdin
//! closes or its plan's limit passes.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::books::{Books, Seat};
use super::error::SoakError;
use super::layout::user_name;
use super::ledger::Ledger;
use super::member::{self, Pinging, Stage};
use super::plan::Plan;
use super::publisher;
use super::tally::Tally;
use crate::stdin_lines::stdin_lines;
use crate::{fleet, procfs};

/// Connections being opened at once.
const OPENING_AT_ONCE: usize = 64;
/// Longest one connection may take to be open, named and in its room.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
/// Between two `progress` lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Longest wait, after `stop`, for the last acks, deliveries and pongs.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(20);
/// Descriptors kept free besides the connections' (stdio, the runtime's).
const SPARE_FDS: u64 = 64;

/// Runs a worker with the plan in `args`.
pub fn main(args: &[String]) -> ExitCode {
    let plan = match Plan::from_args(args) {
        Ok(plan) => plan,
        Err(e) => {
            say("error", &json!({ "msg": e.to_string() }));
            return ExitCode::from(2);
        }
    };
    let limit = plan.limit;
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        say("error", &json!({ "msg": format!("the run's limit of {} s passed", limit.as_secs()) }));
        std::process::exit(3);
    });
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            say("error", &json!({ "msg": format!("runtime: {e}") }));
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(serve(plan)) {
        Ok(Some(tally)) => {
            say("result", &tally.to_json());
            0
        }
        Ok(None) => 1,
        Err(e) => {
            say("error", &json!({ "msg": e.to_string() }));
            1
        }
    };
    // Without closing each connection: the kernel does, at once.
    std::process::exit(code)
}

/// Writes one line to the parent.
fn say(word: &str, value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{word} {value}");
    let _ = out.flush();
}

/// Waits for the command `word`; `None` if stdin closed first.
async fn await_command(commands: &mut mpsc::UnboundedReceiver<String>, word: &str) -> Option<()> {
    loop {
        if commands.recv().await? == word {
            return Some(());
        }
    }
}

/// Opens the connections, runs and drains; the tally, or `None` if the
/// parent went away.
async fn serve(plan: Plan) -> Result<Option<Tally>, SoakError> {
    let layout = plan.layout;
    let conns = layout.connections_of(plan.worker);
    let rooms = layout.rooms_of(plan.worker);
    if let Some(limit) = procfs::open_files_limit()
        && limit < conns.len() as u64 + SPARE_FDS
    {
        return Err(SoakError::Setup(format!(
            "{} connections need more than this process's limit of {limit} open files",
            conns.len()
        )));
    }
    let sizes: Vec<usize> = rooms.clone().map(|r| layout.room_size(r)).collect();
    let books = Arc::new(StdMutex::new(Books::new(Ledger::new(rooms.start, &sizes))));
    let (stage_tx, stage) = watch::channel(Stage::Setup);
    let mut commands = stdin_lines();
    let ticker = {
        let books = books.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROGRESS_EVERY).await;
                let progress = books.lock().expect("books").progress();
                say("progress", &progress.to_json());
            }
        })
    };
    let (first, count, source) = (conns.start, conns.len(), plan.source());
    let open = |k: usize| {
        let index = first + k;
        let seat = Seat {
            name: user_name(index),
            room: layout.room_of(index),
            rank: layout.rank_of(index),
        };
        let offset = plan.ping_every.mul_f64(k as f64 / count as f64);
        let pinging = Pinging { every: plan.ping_every, offset };
        let opening =
            member::open(plan.addr, source, index, seat, pinging, books.clone(), stage.clone());
        async move { opening.await.map_err(|e| e.to_string()) }
    };
    let members = fleet::open_many(count, OPENING_AT_ONCE, OPEN_TIMEOUT, open, |_| {})
        .await
        .map_err(SoakError::Open)?;
    say("ready", &books.lock().expect("books").progress().to_json());
    if await_command(&mut commands, "go").await.is_none() {
        return Ok(None);
    }
    stage_tx.send_replace(Stage::Run(Instant::now()));
    let order: Vec<_> =
        layout.publish_order(plan.worker).into_iter().map(|i| members[i - first].clone()).collect();
    let (stop_tx, stop) = watch::channel(false);
    let publishing = tokio::spawn(publisher::run(order, plan.own_rate(), books.clone(), stop));
    let stopped = await_command(&mut commands, "stop").await;
    stop_tx.send_replace(true);
    let _ = publishing.await;
    if stopped.is_none() {
        return Ok(None);
    }
    stage_tx.send_replace(Stage::Drain);
    let until = Instant::now() + DRAIN_TIMEOUT;
    // Every reader sees the drain before the books are looked at.
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if books.lock().expect("books").settled() || Instant::now() >= until {
            break;
        }
    }
    stage_tx.send_replace(Stage::Finish);
    // Let every reader see the end (and count a ping still unanswered).
    tokio::time::sleep(Duration::from_millis(500)).await;
    ticker.abort();
    let books = books.lock().expect("books").clone();
    Ok(Some(books.close()))
}
