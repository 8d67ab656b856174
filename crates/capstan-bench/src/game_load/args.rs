//! Command-line flags of `game-load` (clap; `game-load --help`).

use std::ffi::OsString;
use std::net::SocketAddr;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser};

use super::cells::MAX_MOVES;

/// game-load: games of Connect-5 against capstan-game on this machine (loopback only)
///
/// Opens --games private games, at most --open-rate a second and
/// --open-concurrency at a time: in each, a host sends create_player (a time
/// control of --game-secs and --move-secs), --spectators spectators
/// watch_game its id, and a guest joins it; every connection waits for
/// start_game_resp; all within --open-timeout seconds (less than --move-secs:
/// X's clock runs meanwhile). Once all games have started, for --duration
/// seconds each game makes a move every --move-every-ms, X and O in turn, the
/// games spread evenly over the period; the next mover waits to have seen the
/// previous move. No move can win: X takes the cells where (2x + y) mod 4 < 2,
/// O the others, and no five in a row fits in either set, so a game lasts up
/// to 399 moves. Then waits up to --drain seconds for the last deliveries.
///
/// Prints a Markdown table (latency from sending add_move to the mover's
/// add_move_resp, to the opponent's and to each spectator's: p50, p90, p99,
/// p99.9, max; moves sent and acknowledged; the server's CPU over the moves,
/// from /proc/PID/stat, as a share of one core and per move; its RSS), then
/// the same as one JSON line. Exits 1 on any error message, dropped
/// connection, unexpected or missing message, or a move sent and not
/// acknowledged; 2 on bad flags.
#[derive(Debug, Parser)]
#[command(name = "game-load", no_binary_name = true, args_override_self = true)]
#[command(verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    options: Options,
}

/// A run's settings.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Options {
    /// The game server, 127.0.0.1:PORT (loopback only).
    #[arg(long, value_name = "HOST:PORT", value_parser = loopback)]
    pub addr: SocketAddr,
    /// Its process id, for its CPU time and memory.
    #[arg(long, value_name = "PID")]
    pub server_pid: u32,
    /// Games played at once (at least 1).
    #[arg(long, value_name = "G", default_value_t = 1000)]
    pub games: usize,
    /// Spectators per game.
    #[arg(long, value_name = "W", default_value_t = 1)]
    pub spectators: usize,
    /// How long moves go on, once every game has started, seconds.
    #[arg(long, value_name = "S", default_value = "60", value_parser = seconds)]
    pub duration: Duration,
    /// Between two moves of one game, milliseconds.
    #[arg(
        long = "move-every-ms",
        value_name = "M",
        default_value = "500",
        value_parser = milliseconds
    )]
    pub move_every: Duration,
    /// Games opened per second at most.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 200.0,
        value_parser = rate,
        allow_negative_numbers = true
    )]
    pub open_rate: f64,
    /// Games being opened at once at most (0 counts as 1).
    #[arg(long, value_name = "C", default_value = "50", value_parser = at_least_one)]
    pub open_concurrency: usize,
    /// Longest time for opening every game, seconds.
    #[arg(long, value_name = "S", default_value = "120", value_parser = seconds)]
    pub open_timeout: Duration,
    /// Each player's time for the game, seconds (the server allows 30–7200).
    #[arg(long, value_name = "S", default_value_t = 7200)]
    pub game_secs: u64,
    /// The limit per move, seconds (the server allows 5–600).
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub move_secs: u64,
    /// Longest wait, after the last move, for its deliveries, seconds.
    #[arg(long, value_name = "S", default_value = "10", value_parser = seconds)]
    pub drain: Duration,
}

impl Options {
    /// Connections: two players and the spectators, per game.
    pub fn connections(&self) -> usize {
        self.games * (2 + self.spectators)
    }
}

/// Reads `args` (without the program name): the options, or clap's error
/// (`--help` too) for [`clap::Error::exit`]: status 0 for help, 2 otherwise.
pub fn parse<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let options = Cli::try_parse_from(args)?.options;
    check(&options).map_err(|why| Cli::command().error(ErrorKind::ValueValidation, why))?;
    Ok(options)
}

/// A loopback address.
fn loopback(value: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = value.parse().map_err(|e| format!("{e}"))?;
    if !addr.ip().is_loopback() {
        return Err("loopback addresses only".into());
    }
    Ok(addr)
}

/// Whole seconds.
fn seconds(value: &str) -> Result<Duration, String> {
    value.parse().map(Duration::from_secs).map_err(|_| "not a whole number of seconds".into())
}

/// Whole milliseconds.
fn milliseconds(value: &str) -> Result<Duration, String> {
    value
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| "not a whole number of milliseconds".into())
}

/// A positive, finite rate.
fn rate(value: &str) -> Result<f64, String> {
    value
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .ok_or_else(|| "not a rate (a number above 0)".into())
}

/// A whole number, 0 taken as 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    value.parse::<usize>().map(|n| n.max(1)).map_err(|_| "not a whole number".into())
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

    const BASE: &str = "--addr 127.0.0.1:9 --server-pid 5";

    fn parsed(line: &str) -> Result<Options, clap::Error> {
        parse(line.split_whitespace())
    }

    fn error(line: &str) -> clap::Error {
        parsed(line).unwrap_err()
    }

    #[test]
    fn flags_and_defaults() {
        let o = parsed(BASE).unwrap();
        assert_eq!(o.addr, SocketAddr::from(([127, 0, 0, 1], 9)));
        assert_eq!((o.games, o.spectators, o.server_pid), (1000, 1, 5));
        assert_eq!(
            (o.duration, o.move_every),
            (Duration::from_secs(60), Duration::from_millis(500))
        );
        assert_eq!((o.open_rate, o.open_concurrency), (200.0, 50));
        assert_eq!((o.open_timeout, o.drain), (Duration::from_secs(120), Duration::from_secs(10)));
        assert_eq!((o.game_secs, o.move_secs), (7200, 600));
        assert_eq!(o.connections(), 3000);
        let o = parsed(&format!(
            "{BASE} --games 50 --spectators 2 --duration 5 --move-every-ms 250 \
             --open-rate 20.5 --open-concurrency 4 --open-timeout 30 --game-secs 600 \
             --move-secs 60 --drain 3"
        ))
        .unwrap();
        assert_eq!((o.games, o.spectators, o.connections()), (50, 2, 200));
        assert_eq!(
            (o.duration, o.move_every),
            (Duration::from_secs(5), Duration::from_millis(250))
        );
        assert_eq!((o.open_rate, o.open_concurrency, o.drain), (20.5, 4, Duration::from_secs(3)));
        assert_eq!((o.open_timeout, o.game_secs, o.move_secs), (Duration::from_secs(30), 600, 60));
        assert_eq!(error("--help").kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn a_flag_given_twice_takes_the_last() {
        // scripts/game-load.sh --quick passes --games 50, then the user's flags.
        let o = parsed(&format!("{BASE} --games 50 --duration 5 --games 7")).unwrap();
        assert_eq!((o.games, o.duration), (7, Duration::from_secs(5)));
    }

    #[test]
    fn open_concurrency_zero_is_one() {
        assert_eq!(parsed(&format!("{BASE} --open-concurrency 0")).unwrap().open_concurrency, 1);
    }

    #[test]
    fn mistakes_are_named() {
        let says = |line: &str, kind: ErrorKind, what: &str| {
            let e = error(line);
            assert_eq!((e.kind(), e.exit_code()), (kind, 2), "{line}: {e}");
            assert!(e.to_string().contains(what), "{line}: {e}");
        };
        use ErrorKind::*;
        says("--addr 10.0.0.1:9 --server-pid 5", ValueValidation, "loopback addresses only");
        says("--addr 127.0.0.1:9", MissingRequiredArgument, "  --server-pid <PID>");
        says("--server-pid 5", MissingRequiredArgument, "  --addr <HOST:PORT>");
        says(&format!("{BASE} --colour red"), UnknownArgument, "'--colour'");
        says(&format!("{BASE} --games"), InvalidValue, "'--games <G>'");
        says(&format!("{BASE} --games lots"), ValueValidation, "'lots' for '--games <G>'");
        says(&format!("{BASE} --server-pid x"), ValueValidation, "'x' for '--server-pid <PID>'");
        says(&format!("{BASE} --duration 1.5"), ValueValidation, "whole number of seconds");
        says(&format!("{BASE} --games 0"), ValueValidation, "--games: at least 1");
        says(&format!("{BASE} --move-every-ms 0"), ValueValidation, "--move-every-ms: at least 1");
        // 240 moves per game fit; 400 do not.
        assert!(parsed(&format!("{BASE} --duration 120")).is_ok());
        says(&format!("{BASE} --duration 200"), ValueValidation, "a board holds 399");
        says(&format!("{BASE} --move-secs 3"), ValueValidation, "the server's limits");
        says(&format!("{BASE} --move-secs 100"), ValueValidation, "first move");
        says(&format!("{BASE} --game-secs 150"), ValueValidation, "too short");
        says(&format!("{BASE} --open-rate 0"), ValueValidation, "not a rate");
        says(&format!("{BASE} --open-rate -1"), ValueValidation, "not a rate");
    }
}
