//! `game-load`: load for the capstan-game server (issue #18, point 5):
//! many games at once, two players and spectators each, a move every
//! 500 ms per game; the latency of a move to the mover, the opponent and
//! the spectators, and the server's CPU and memory. Loopback only; bounded
//! in count and time.
//!
//! [`open`] sets the games up, [`play`] moves in each on the
//! [`schedule`], the [`conn`]ections' readers take every move's arrival
//! into the [`book`], and [`report`] gives the figures.

pub mod args;
pub mod book;
pub mod cells;
pub mod conn;
pub mod open;
pub mod play;
pub mod report;
pub mod schedule;
pub mod tally;
pub mod waits;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use args::Options;
use book::Book;
use report::Figures;
use schedule::Schedule;
use waits::Waits;

use crate::procfs;

/// From the CPU reading to the first move's time.
const LEAD: Duration = Duration::from_millis(20);
/// How often progress is printed while moves go on.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);
/// File descriptors beyond the connections.
const SPARE_FDS: u64 = 64;

/// Runs `game-load` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    let options = args::parse(&args).unwrap_or_else(|e| e.exit());
    let runtime = match crate::tool::runtime("game-load") {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    match runtime.block_on(run(&options)) {
        Ok(figures) => {
            print!("{}", figures.markdown());
            println!("{}", figures.json());
            let failures = figures.failures();
            for why in &failures {
                eprintln!("game-load: FAIL: {why}");
            }
            if failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(message) => {
            eprintln!("game-load: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the games, plays them, and measures.
async fn run(options: &Options) -> Result<Figures, String> {
    let needed = options.connections() as u64 + SPARE_FDS;
    if let Some(limit) = procfs::open_files_limit().filter(|&limit| limit < needed) {
        return Err(format!(
            "{} connections need about {needed} open files, the limit is {limit} (ulimit -n)",
            options.connections()
        ));
    }
    let pid = options.server_pid;
    let schedule =
        Schedule { games: options.games, period: options.move_every, duration: options.duration };
    let book = Arc::new(Book::new(options.games, options.spectators, schedule.moves_of(0)));
    let load_before = procfs::load_average()?;
    let rss_before = procfs::rss_kib(pid)?;

    let opening = Instant::now();
    let games = tokio::time::timeout(options.open_timeout, open::open_all(options, book.clone()))
        .await
        .map_err(|_| {
            format!(
                "the games were not all open in {} s (--open-timeout)",
                options.open_timeout.as_secs()
            )
        })??;
    let open_s = opening.elapsed().as_secs_f64();
    let early = book.tally();
    if early.failures() > 0 {
        return Err(format!("while opening the games: {}", early.quoted.join("; ")));
    }
    let rss_started = procfs::rss_kib(pid)?;
    eprintln!(
        "all {} games started in {open_s:.1} s ({} connections); moves for {} s",
        games.len(),
        options.connections(),
        options.duration.as_secs()
    );

    let me = std::process::id();
    let (server_before, load_cpu_before) = (procfs::cpu_ticks(pid)?, procfs::cpu_ticks(me)?);
    let waits_before = Waits::take(pid)?;
    let window_start = Instant::now();
    let start = window_start + LEAD;
    let mut movers = JoinSet::new();
    for (game, open) in games.iter().enumerate() {
        let players = [open.players[0].sender(), open.players[1].sender()];
        movers.spawn(play::play(game, players, schedule, start, book.clone()));
    }
    // Each mover ends after its last move, or gives up within 10 s.
    let limit = LEAD + options.duration + Duration::from_secs(30);
    tokio::time::timeout(limit, follow(&mut movers, &book, window_start))
        .await
        .map_err(|_| format!("the movers were not done {} s after the start", limit.as_secs()))??;
    let drain_until = Instant::now() + options.drain;
    while !book.complete(options.spectators)
        && book.progress().2 == 0
        && Instant::now() < drain_until
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let window_s = window_start.elapsed().as_secs_f64();
    let (server_after, load_cpu_after) = (procfs::cpu_ticks(pid)?, procfs::cpu_ticks(me)?);
    let waits = Waits::take(pid)?.since(&waits_before);
    let rss_end = procfs::rss_kib(pid)?;
    let load_after = procfs::load_average()?;
    book.close();
    drop(games);
    Ok(Figures {
        games: options.games,
        spectators: options.spectators,
        move_every_ms: options.move_every.as_millis() as u64,
        duration_s: options.duration.as_secs(),
        open_s,
        window_s,
        scheduled: schedule.total_moves(),
        tally: book.tally(),
        server_cpu: server_after.since(server_before),
        load_cpu: load_cpu_after.since(load_cpu_before),
        ticks_per_second: procfs::clock_ticks_per_second(),
        rss_kib: [rss_before, rss_started, rss_end],
        load_average: [load_before, load_after],
        waits,
    })
}

/// Waits for every mover, printing the counts every [`PROGRESS_EVERY`].
async fn follow(movers: &mut JoinSet<()>, book: &Book, since: Instant) -> Result<(), String> {
    let mut ticks = tokio::time::interval_at(since + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        tokio::select! {
            joined = movers.join_next() => match joined {
                None => return Ok(()),
                Some(Err(e)) => return Err(format!("a mover task: {e}")),
                Some(Ok(())) => {}
            },
            _ = ticks.tick() => {
                let (sent, acked, failures) = book.progress();
                eprintln!(
                    "  {:.0} s: {sent} moves sent, {acked} acknowledged, {failures} failures",
                    since.elapsed().as_secs_f64()
                );
            }
        }
    }
}
