//! Command-line flags of `game-load`.

use std::net::SocketAddr;
use std::time::Duration;

use super::cells::MAX_MOVES;

/// A run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The game server (loopback only).
    pub addr: SocketAddr,
    /// Its process id, for its CPU time and memory.
    pub server_pid: u32,
    /// Games played at once.
    pub games: usize,
    /// Spectators per game.
    pub spectators: usize,
    /// How long moves go on, once every game has started.
    pub duration: Duration,
    /// Between two moves of one game.
    pub move_every: Duration,
    /// Games opened per second at most.
    pub open_rate: f64,
    /// Games being opened at once at most.
    pub open_concurrency: usize,
    /// Longest time for opening every game.
    pub open_timeout: Duration,
    /// Each player's time for the game, seconds (the server allows 30–7200).
    pub game_secs: u64,
    /// The limit per move, seconds (the server allows 5–600).
    pub move_secs: u64,
    /// Longest wait, after the last move, for its deliveries.
    pub drain: Duration,
}

impl Options {
    /// Connections: two players and the spectators, per game.
    pub fn connections(&self) -> usize {
        self.games * (2 + self.spectators)
    }
}

/// The usage text.
pub const USAGE: &str = "\
game-load: games of Connect-5 against capstan-game on this machine (loopback only)

Usage: game-load --addr 127.0.0.1:PORT --server-pid PID [--games G] [--spectators W]
                 [--duration S] [--move-every-ms M] [--open-rate R] [--open-concurrency C]
                 [--open-timeout S] [--game-secs S] [--move-secs S] [--drain S]

Opens G private games (1000), at most R a second (200) and C at a time (50): in
each, a host sends create_player (a time control of --game-secs 7200 and
--move-secs 600), W spectators (1) watch_game its id, and a guest joins it; every
connection waits for start_game_resp; all within --open-timeout seconds (120,
less than --move-secs: X's clock runs meanwhile). Once all games have started,
for S seconds (60) each game makes a move every M ms (500), X and O in turn, the
games spread evenly over the period; the next mover waits to have seen the
previous move. No
move can win: X takes the cells where (2x + y) mod 4 < 2, O the others, and no
five in a row fits in either set, so a game lasts up to 399 moves. Then waits up
to --drain seconds (10) for the last deliveries.

Prints a Markdown table (latency from sending add_move to the mover's
add_move_resp, to the opponent's and to each spectator's: p50, p90, p99, p99.9,
max; moves sent and acknowledged; the server's CPU over the moves, from
/proc/PID/stat, as a share of one core and per move; its RSS), then the same as
one JSON line. Exits 1 on any error message, dropped connection, unexpected or
missing message, or a move sent and not acknowledged.
";

/// Parses the arguments (without the program name); `Ok(None)` for `--help`.
pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut addr = None;
    let mut server_pid = None;
    let mut options = Options {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        server_pid: 0,
        games: 1000,
        spectators: 1,
        duration: Duration::from_secs(60),
        move_every: Duration::from_millis(500),
        open_rate: 200.0,
        open_concurrency: 50,
        open_timeout: Duration::from_secs(120),
        game_secs: 7200,
        move_secs: 600,
        drain: Duration::from_secs(10),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--addr" => addr = Some(value.parse().map_err(|e| format!("--addr: {e}"))?),
            "--server-pid" => server_pid = Some(number()? as u32),
            "--games" => options.games = number()? as usize,
            "--spectators" => options.spectators = number()? as usize,
            "--duration" => options.duration = Duration::from_secs(number()?),
            "--move-every-ms" => options.move_every = Duration::from_millis(number()?),
            "--open-rate" => {
                options.open_rate = value
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r > 0.0)
                    .ok_or_else(|| format!("--open-rate: not a rate: {value}"))?
            }
            "--open-concurrency" => options.open_concurrency = (number()? as usize).max(1),
            "--open-timeout" => options.open_timeout = Duration::from_secs(number()?),
            "--game-secs" => options.game_secs = number()?,
            "--move-secs" => options.move_secs = number()?,
            "--drain" => options.drain = Duration::from_secs(number()?),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    options.addr = addr.ok_or("--addr is needed")?;
    if !options.addr.ip().is_loopback() {
        return Err(format!("--addr {}: loopback addresses only", options.addr));
    }
    options.server_pid = server_pid.ok_or("--server-pid is needed")?;
    check(&options)?;
    Ok(Some(options))
}

/// Refuses settings under which a game could end, or a clock fall, before the run is over.
fn check(o: &Options) -> Result<(), String> {
    if o.games == 0 {
        return Err("--games: at least 1".into());
    }
    if o.move_every.is_zero() {
        return Err("--move-every-ms: at least 1".into());
    }
    let moves = o.duration.as_nanos().div_ceil(o.move_every.as_nanos());
    if moves > MAX_MOVES as u128 {
        return Err(format!(
            "{moves} moves per game ({} s, one every {} ms): a board holds {MAX_MOVES} without ending the game",
            o.duration.as_secs(),
            o.move_every.as_millis()
        ));
    }
    if !(30..=7200).contains(&o.game_secs) || !(5..=600).contains(&o.move_secs) {
        return Err("--game-secs 30–7200 and --move-secs 5–600 (the server's limits)".into());
    }
    // X's move clock runs from the start of its game until the first move,
    // which comes once every game is open.
    if o.open_timeout.as_secs() + 5 >= o.move_secs {
        return Err(format!(
            "--open-timeout {} s: X's first move must come within --move-secs {}",
            o.open_timeout.as_secs(),
            o.move_secs
        ));
    }
    if o.open_timeout + o.duration + Duration::from_secs(5) >= Duration::from_secs(o.game_secs) {
        return Err(format!(
            "--game-secs {}: too short for the opening and {} s of moves",
            o.game_secs,
            o.duration.as_secs()
        ));
    }
    if o.move_every >= Duration::from_secs(o.move_secs) {
        return Err("--move-every-ms: longer than --move-secs".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_and_defaults() {
        let o = parse(&args("--addr 127.0.0.1:9 --server-pid 5")).unwrap().unwrap();
        assert_eq!((o.games, o.spectators, o.server_pid), (1000, 1, 5));
        assert_eq!(
            (o.duration, o.move_every),
            (Duration::from_secs(60), Duration::from_millis(500))
        );
        assert_eq!((o.game_secs, o.move_secs), (7200, 600));
        assert_eq!(o.connections(), 3000);
        let line = "--addr 127.0.0.1:9 --server-pid 5 --games 50 --spectators 2 --duration 5 \
                    --move-every-ms 250 --open-rate 20.5 --open-concurrency 4 --drain 3";
        let o = parse(&args(line)).unwrap().unwrap();
        assert_eq!((o.games, o.spectators, o.connections()), (50, 2, 200));
        assert_eq!(
            (o.duration, o.move_every),
            (Duration::from_secs(5), Duration::from_millis(250))
        );
        assert_eq!((o.open_rate, o.open_concurrency, o.drain), (20.5, 4, Duration::from_secs(3)));
        assert_eq!(parse(&args("--help")).unwrap(), None);
    }

    #[test]
    fn mistakes_are_named() {
        let error = |line: &str| parse(&args(line)).unwrap_err();
        assert!(error("--addr 10.0.0.1:9 --server-pid 5").contains("loopback"));
        assert!(error("--addr 127.0.0.1:9").contains("--server-pid"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --colour red").contains("unknown"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --games").contains("needs a value"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --games 0").contains("at least"));
        // 240 moves per game fit; 400 do not.
        assert!(parse(&args("--addr 127.0.0.1:9 --server-pid 5 --duration 120")).is_ok());
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --duration 200").contains("399"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --move-secs 3").contains("limits"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --move-secs 100").contains("first move"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --game-secs 150").contains("too short"));
        assert!(error("--addr 127.0.0.1:9 --server-pid 5 --open-rate 0").contains("rate"));
    }
}
