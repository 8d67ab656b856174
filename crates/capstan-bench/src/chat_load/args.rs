//! Command-line flags of `chat-load` (clap; `chat-load --help`). The soak's
//! worker processes have their own command line ([`super::soak::plan`]).

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use super::soak;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// Users joining `general` one after another.
    Presence {
        /// Users to join, one after another.
        users: usize,
        /// Joins per measured step.
        step: usize,
        /// Members whose received bytes are counted.
        observers: usize,
    },
    /// Many connections creating rooms and taking names as fast as the
    /// server's rate limit lets each.
    Flood {
        /// Connections at once.
        connections: usize,
        /// How long.
        duration: Duration,
        /// Requests per second per connection.
        rate: f64,
        /// The server's database file, to watch its size.
        db: Option<PathBuf>,
    },
    /// Many connections in rooms, pinging, and a steady publish rate, for
    /// minutes: nothing lost, RSS flat.
    Soak(soak::Settings),
}

/// A run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The scenario.
    pub scenario: Scenario,
    /// The chat server (loopback only).
    pub addr: SocketAddr,
    /// Its process id, for its CPU time and memory.
    pub server_pid: u32,
}

/// chat-load: load for the capstan-chat server on this machine (loopback only)
#[derive(Debug, Parser)]
#[command(name = "chat-load", bin_name = "chat-load", no_binary_name = true)]
#[command(args_override_self = true, verbatim_doc_comment, flatten_help = true)]
struct Cli {
    #[command(subcommand)]
    scenario: Command,
}

/// The command line's scenario, with its flags.
#[derive(Debug, Subcommand)]
enum Command {
    /// --users users join `general` one after another, each waiting for its
    /// add_user answer; every --step joins prints the bytes each of the first
    /// --observers members received per join, and the server's CPU time per join.
    #[command(verbatim_doc_comment)]
    Presence {
        #[command(flatten)]
        server: Server,
        /// Users to join, one after another.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        users: usize,
        /// Joins per measured step (0 counts as 1).
        #[arg(long, value_name = "K", default_value = "1000", value_parser = at_least_one)]
        step: usize,
        /// Members whose received bytes are counted (0 counts as 1).
        #[arg(long, value_name = "M", default_value = "3", value_parser = at_least_one)]
        observers: usize,
    },
    /// --connections connections for --duration seconds, each sending --rate
    /// requests a second (9, under the server's default limit of 10): joins of
    /// new rooms (leaving the oldest when refused too_many_rooms), a message in
    /// every fifth room, a new name every tenth request, a new connection every
    /// fiftieth; every 5 s prints the server's RSS, the database's size and what
    /// was refused.
    #[command(verbatim_doc_comment)]
    Flood {
        #[command(flatten)]
        server: Server,
        /// Connections at once.
        #[arg(long, value_name = "N", default_value_t = 200)]
        connections: usize,
        /// How long, seconds.
        #[arg(long, value_name = "S", default_value = "60", value_parser = seconds)]
        duration: Duration,
        /// Requests per second per connection.
        #[arg(long, value_name = "R", default_value_t = 9.0, allow_negative_numbers = true)]
        rate: f64,
        /// The server's database file, to watch its size.
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// --connections connections, each named, in a room of about --room-size and
    /// out of `general`, held by --processes worker processes (enough for 9500
    /// each, at least 2); once all are open, for --duration seconds, each pings
    /// every --ping-every seconds (spread out) and checks the pong, and --rate
    /// messages a second go out, from every connection in turn, each stamped
    /// with its send time; every 10 s prints the server's RSS; at the end,
    /// latency from send to the other members (p50, p99, max), deliveries
    /// expected and received per room, the RSS after the warm-up (--warmup) and
    /// at the end; --json writes it all. Exits 1 if a delivery was lost or
    /// doubled, a message refused or unanswered, a connection dropped or a pong
    /// missed.
    #[command(verbatim_doc_comment)]
    Soak {
        #[command(flatten)]
        server: Server,
        #[command(flatten)]
        settings: soak::Settings,
    },
}

/// The server under load, named in every scenario.
#[derive(Debug, Args)]
struct Server {
    /// The chat server, 127.0.0.1:PORT (loopback only).
    #[arg(long, value_name = "HOST:PORT", value_parser = loopback)]
    addr: SocketAddr,
    /// Its process id, for its CPU time and memory.
    #[arg(long, value_name = "PID")]
    server_pid: u32,
}

/// Reads `args` (without the program name): the options, or clap's error
/// (`--help` too) for [`clap::Error::exit`]: status 0 for help, 2 otherwise.
/// No arguments at all is a request for help, as it always was.
pub fn parse<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli: Cli = crate::tool::parse_or_help(args)?;
    let (server, scenario) = match cli.scenario {
        Command::Presence { server, users, step, observers } => {
            (server, Scenario::Presence { users, step, observers })
        }
        Command::Flood { server, connections, duration, rate, db } => {
            (server, Scenario::Flood { connections, duration, rate, db })
        }
        Command::Soak { server, mut settings } => {
            // --processes 0: as many as the connections need.
            settings.processes = settings.processes.filter(|&p| p > 0);
            (server, Scenario::Soak(settings))
        }
    };
    Ok(Options { scenario, addr: server.addr, server_pid: server.server_pid })
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
pub(super) fn seconds(value: &str) -> Result<Duration, String> {
    value.parse().map(Duration::from_secs).map_err(|_| "not a whole number of seconds".into())
}

/// Whole seconds, at least one.
pub(super) fn at_least_a_second(value: &str) -> Result<Duration, String> {
    seconds(value).map(|s| s.max(Duration::from_secs(1)))
}

/// A whole number, 0 taken as 1.
pub(super) fn at_least_one(value: &str) -> Result<usize, String> {
    value.parse::<usize>().map(|n| n.max(1)).map_err(|_| "not a whole number".into())
}

/// A finite rate, 0 or more.
pub(super) fn rate(value: &str) -> Result<f64, String> {
    value
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r >= 0.0)
        .ok_or_else(|| "not a rate (a number, 0 or more)".into())
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    const SERVER: &str = "--addr 127.0.0.1:9 --server-pid 5";

    fn parsed(line: &str) -> Options {
        parse(line.split_whitespace()).unwrap()
    }

    fn error(line: &str) -> clap::Error {
        parse(line.split_whitespace()).unwrap_err()
    }

    #[test]
    fn flags_and_defaults() {
        let options = parsed(&format!("presence {SERVER} --users 20"));
        assert_eq!(options.scenario, Scenario::Presence { users: 20, step: 1000, observers: 3 });
        assert_eq!((options.addr, options.server_pid), ("127.0.0.1:9".parse().unwrap(), 5));
        let options = parsed(&format!("presence {SERVER}"));
        assert_eq!(
            options.scenario,
            Scenario::Presence { users: 10_000, step: 1000, observers: 3 }
        );
        let options = parsed(&format!("presence --step 0 --observers 0 {SERVER} --users 7"));
        assert_eq!(options.scenario, Scenario::Presence { users: 7, step: 1, observers: 1 });
        let flood = parsed(&format!("flood {SERVER}"));
        let defaults = Scenario::Flood {
            connections: 200,
            duration: Duration::from_secs(60),
            rate: 9.0,
            db: None,
        };
        assert_eq!(flood.scenario, defaults);
        let flood = parsed(&format!(
            "flood {SERVER} --connections 3 --duration 4 --rate 2.5 --db chat.db --duration 5"
        ));
        let given = Scenario::Flood {
            connections: 3,
            duration: Duration::from_secs(5),
            rate: 2.5,
            db: Some("chat.db".into()),
        };
        assert_eq!(flood.scenario, given);
    }

    #[test]
    fn soak_flags_and_defaults() {
        let options = parsed(&format!("soak {SERVER}"));
        let Scenario::Soak(s) = options.scenario else { panic!("{options:?}") };
        assert_eq!(
            s,
            soak::Settings {
                connections: 19_000,
                duration: Duration::from_secs(600),
                rate: 200.0,
                room_size: 190,
                processes: None,
                ping_every: Duration::from_secs(30),
                warmup: Duration::from_secs(60),
                json: None,
            }
        );
        let line = format!(
            "soak {SERVER} --connections 1000 --duration 60 --rate 50.5 --room-size 100 \
             --processes 3 --ping-every 10 --warmup 20 --json r.json"
        );
        let Scenario::Soak(s) = parsed(&line).scenario else { panic!() };
        assert_eq!((s.connections, s.duration, s.rate), (1000, Duration::from_secs(60), 50.5));
        assert_eq!((s.room_size, s.processes), (100, Some(3)));
        assert_eq!((s.ping_every, s.warmup), (Duration::from_secs(10), Duration::from_secs(20)));
        assert_eq!(s.json, Some(PathBuf::from("r.json")));
        // The clamps: 0 connections or room size count as 1, --processes 0 as
        // none given, a ping at most every second.
        let line = format!(
            "soak {SERVER} --connections 0 --room-size 0 --processes 0 --ping-every 0 --rate 0"
        );
        let Scenario::Soak(s) = parsed(&line).scenario else { panic!() };
        assert_eq!((s.connections, s.room_size, s.processes), (1, 1, None));
        assert_eq!((s.ping_every, s.rate), (Duration::from_secs(1), 0.0));
        for bad in
            ["--rate -1", "--rate fast", "--rate inf", "--connections lots", "--ping-every 0.5"]
        {
            let e = error(&format!("soak {SERVER} {bad}"));
            assert_eq!((e.kind(), e.exit_code()), (ErrorKind::ValueValidation, 2), "{bad}: {e}");
        }
        let e = error(&format!("soak {SERVER} --db x"));
        assert_eq!(e.kind(), ErrorKind::UnknownArgument, "{e}");
    }

    #[test]
    fn mistakes_are_named() {
        let says = |line: &str, kind: ErrorKind, what: &str| {
            let e = error(line);
            assert_eq!((e.kind(), e.exit_code()), (kind, 2), "{line}: {e}");
            assert!(e.to_string().contains(what), "{line}: {e}");
        };
        use ErrorKind::*;
        says("presence --addr 10.0.0.1:9 --server-pid 5", ValueValidation, "loopback");
        says("presence --addr 127.0.0.1:9", MissingRequiredArgument, "--server-pid <PID>");
        says("flood --server-pid 5", MissingRequiredArgument, "--addr <HOST:PORT>");
        says(&format!("presence {SERVER} --colour red"), UnknownArgument, "--colour");
        says(&format!("presence {SERVER} --rate 3"), UnknownArgument, "--rate");
        says(&format!("dance {SERVER}"), InvalidSubcommand, "dance");
        // The soak's workers are started through chat_load::main, not here.
        says(&format!("soak-worker {SERVER}"), InvalidSubcommand, "soak-worker");
        for help in ["--help", "help", "-h"] {
            assert_eq!(error(help).kind(), DisplayHelp, "{help}");
        }
        let nothing: [&str; 0] = [];
        let e = parse(nothing).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (DisplayHelp, 0));
    }
}
