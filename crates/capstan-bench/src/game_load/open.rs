//! Opening the games: in each, the host creates a private game, the
//! spectators watch it, the guest joins it, and every connection waits
//! for `start_game_resp`. Games are opened at a bounded rate and a
//! bounded number at once, every wait bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::args::Options;
use super::book::{Book, Seat};
use super::conn::GameConn;
use crate::{fleet, sources};

/// Longest wait for one answer during the setup.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest time for opening one game, all its connections included.
const GAME_TIMEOUT: Duration = Duration::from_secs(60);

/// A game, open and started.
#[derive(Debug)]
pub struct OpenGame {
    /// X (the host) and O (the guest).
    pub players: [GameConn; 2],
    /// Its spectators.
    pub spectators: Vec<GameConn>,
}

/// What opening a game needs.
#[derive(Debug, Clone)]
struct Setup {
    addr: SocketAddr,
    spectators: usize,
    sources: usize,
    time_control: serde_json::Value,
    book: Arc<Book>,
}

/// Opens every game of `options`, no faster than its open rate; the games
/// in order.
pub async fn open_all(options: &Options, book: Arc<Book>) -> Result<Vec<OpenGame>, String> {
    let sources = sources::needed(options.connections());
    sources::check(sources, options.addr.ip())?;
    let setup = Arc::new(Setup {
        addr: options.addr,
        spectators: options.spectators,
        sources,
        time_control: json!({ "game_secs": options.game_secs, "move_secs": options.move_secs }),
        book,
    });
    let start = Instant::now();
    let pace = Duration::from_secs_f64(1.0 / options.open_rate);
    let games = options.games;
    fleet::open_many(
        games,
        options.open_concurrency,
        GAME_TIMEOUT,
        |game| {
            let setup = setup.clone();
            async move {
                tokio::time::sleep_until(start + pace.mul_f64(game as f64)).await;
                open_game(&setup, game).await
            }
        },
        |done| {
            if done % 100 == 0 || done == games {
                eprintln!(
                    "  {done}/{games} games started ({:.1} s)",
                    start.elapsed().as_secs_f64()
                );
            }
        },
    )
    .await
}

/// Opens game `game`: its connections are numbered from `game` × (2 + spectators).
async fn open_game(setup: &Setup, game: usize) -> Result<OpenGame, String> {
    let first = game * (2 + setup.spectators);
    let connect = |n: usize, seat: Seat| {
        let index = first + n;
        let source = sources::source_for(index, setup.sources);
        GameConn::connect(setup.addr, source, index, game, seat, setup.book.clone())
    };
    let mut host = connect(0, Seat::X).await?;
    let create = json!({
        "player_name": format!("x{game}"), "game_public": false, "time_control": setup.time_control,
    });
    host.send("create_player", create).await?;
    let joined = host.expect("create_player_resp", ANSWER_TIMEOUT).await?;
    let game_id =
        joined["game_id"].as_str().ok_or("create_player_resp without game_id")?.to_owned();
    seated_as(&joined, "X")?;
    let mut spectators = Vec::with_capacity(setup.spectators);
    for n in 0..setup.spectators {
        let mut spectator = connect(2 + n, Seat::Spectator(n)).await?;
        spectator.send("watch_game", json!({ "game_id": game_id })).await?;
        spectator.expect("watch_game_resp", ANSWER_TIMEOUT).await?;
        spectators.push(spectator);
    }
    let mut guest = connect(1, Seat::O).await?;
    let join =
        json!({ "player_name": format!("o{game}"), "game_public": false, "game_id": game_id });
    guest.send("create_player", join).await?;
    seated_as(&guest.expect("create_player_resp", ANSWER_TIMEOUT).await?, "O")?;
    for conn in [&mut host, &mut guest].into_iter().chain(spectators.iter_mut()) {
        let started = conn.expect("start_game_resp", ANSWER_TIMEOUT).await?;
        if started["game_id"].as_str() != Some(&game_id) {
            return Err(format!("start_game_resp of another game: {started}"));
        }
        conn.end_setup();
    }
    Ok(OpenGame { players: [host, guest], spectators })
}

/// Checks the symbol a `create_player_resp` gave.
fn seated_as(joined: &serde_json::Value, symbol: &str) -> Result<(), String> {
    match joined["symbol"].as_str() {
        Some(s) if s == symbol => Ok(()),
        _ => Err(format!("seated as {} where {symbol} was expected", joined["symbol"])),
    }
}
