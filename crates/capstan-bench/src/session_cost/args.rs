//! Command-line flags of `session-cost` (clap; `session-cost --help`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};

use super::plan::Part;

/// A run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The `loadgen` binary.
    pub loadgen: PathBuf,
    /// The `capstan-bench-server` binary.
    pub server: PathBuf,
    /// Rounds: each side of each comparison runs once per round.
    pub rounds: usize,
    /// Each run's measured window (idle: its hold).
    pub seconds: Duration,
    /// Load before an echo's window.
    pub warmup: Duration,
    /// Idle connections held per run.
    pub idle_connections: usize,
    /// Echo connections (the CPU comparison).
    pub echo_connections: usize,
    /// Messages in flight per session in the fallback comparison.
    pub window: usize,
    /// Sessions at once in the fallback comparison, one comparison each.
    pub fallback_sessions: Vec<usize>,
    /// The comparisons to run.
    pub parts: Vec<Part>,
    /// Where every run's JSON and log and the tables go.
    pub out: PathBuf,
}

impl Options {
    /// The full run's settings (about 10 minutes here: 5 rounds of 4 s).
    fn full(loadgen: PathBuf, server: PathBuf, out: PathBuf) -> Self {
        Self {
            loadgen,
            server,
            rounds: 5,
            seconds: Duration::from_secs(4),
            warmup: Duration::from_secs(2),
            idle_connections: 19_000,
            echo_connections: 100,
            window: 64,
            fallback_sessions: vec![1, 10],
            parts: Part::ALL.to_vec(),
            out,
        }
    }

    /// `--quick`: every comparison once, small and short (a CI smoke
    /// check, under a minute).
    fn quick(mut self) -> Self {
        self.rounds = 1;
        self.seconds = Duration::from_secs(1);
        self.warmup = Duration::from_millis(500);
        self.idle_connections = 1_000;
        self.fallback_sessions = vec![1];
        self
    }
}

/// session-cost: what session mode costs a Capstan server, beside plain WebSocket (issue #17)
///
/// Runs `loadgen` against `capstan-bench-server --spawn`ed for each run (/echo plain,
/// /echo-session in session mode), each side once per round, the order of the sides
/// turning each round; prints Markdown tables (each round, medians, bests, ratios) and
/// writes them to DIR/summary.md, with every run's JSON and log.
///
/// Comparisons:
///   idle      N connections held (plain vs session, a session counting once welcomed):
///             server RSS per connection
///   echo      100 connections, 512 B, 1 in flight (plain vs session, the client acking
///             every 32): server CPU µs per echo
///   fallback  K sessions echoing with a window of W in flight: plain WebSocket, session
///             over WebSocket, session over SSE + batch POSTs: echoes/s, CPU µs per echo
///
/// The defaults are the full run's (about 10 minutes here); --quick changes them, and
/// the flags given beside it, before or after, still apply.
#[derive(Debug, Parser)]
#[command(name = "session-cost", no_binary_name = true, args_override_self = true)]
#[command(verbatim_doc_comment)]
struct Cli {
    /// The `loadgen` binary.
    #[arg(long, value_name = "PATH")]
    loadgen: PathBuf,
    /// The `capstan-bench-server` binary (no spaces in its path: loadgen --spawn splits on them).
    #[arg(long, value_name = "PATH", value_parser = server_path)]
    server: PathBuf,
    /// Where every run's JSON and log and summary.md go.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// One round of 1 s, 1,000 idle connections, fallback with 1 session (a CI smoke check).
    #[arg(long)]
    quick: bool,
    /// Rounds [default: 5; --quick: 1].
    #[arg(long, value_name = "R", value_parser = positive)]
    rounds: Option<usize>,
    /// Each run's measured window, seconds [default: 4; --quick: 1].
    #[arg(long, value_name = "S", value_parser = seconds, allow_negative_numbers = true)]
    seconds: Option<Duration>,
    /// Load before an echo's window, seconds [default: 2; --quick: 0.5].
    #[arg(long, value_name = "S", value_parser = seconds, allow_negative_numbers = true)]
    warmup: Option<Duration>,
    /// Connections held per idle run; one process holds 20,000 descriptors at most
    /// [default: 19000; --quick: 1000].
    #[arg(long, value_name = "N", value_parser = positive)]
    idle_connections: Option<usize>,
    /// Messages in flight per session, fallback [default: 64].
    #[arg(long, value_name = "W", value_parser = positive)]
    window: Option<usize>,
    /// Sessions at once, one comparison each, comma-separated [default: 1,10; --quick: 1].
    #[arg(
        long,
        value_name = "LIST",
        value_parser = positive,
        value_delimiter = ',',
        action = ArgAction::Set
    )]
    fallback_sessions: Option<Vec<usize>>,
    /// Comparisons to run, comma-separated [default: idle,echo,fallback].
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',', action = ArgAction::Set)]
    only: Option<Vec<Part>>,
}

/// Reads `args` (without the program name): the options, or clap's error
/// (`--help` too) for [`clap::Error::exit`]: status 0 for help, 2 otherwise.
pub fn parse<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    let mut o = Options::full(cli.loadgen, cli.server, cli.out);
    if cli.quick {
        o = o.quick();
    }
    o.rounds = cli.rounds.unwrap_or(o.rounds);
    o.seconds = cli.seconds.unwrap_or(o.seconds);
    o.warmup = cli.warmup.unwrap_or(o.warmup);
    o.idle_connections = cli.idle_connections.unwrap_or(o.idle_connections);
    o.window = cli.window.unwrap_or(o.window);
    o.fallback_sessions = cli.fallback_sessions.unwrap_or(o.fallback_sessions);
    o.parts = cli.only.unwrap_or(o.parts);
    Ok(o)
}

/// The server's path: loadgen's `--spawn` takes a command line split on spaces.
fn server_path(value: &str) -> Result<PathBuf, String> {
    if value.contains(char::is_whitespace) {
        return Err("the server's path may hold no spaces (loadgen --spawn splits on them)".into());
    }
    Ok(PathBuf::from(value))
}

/// A positive whole number; `_` may group its digits (`19_000`).
fn positive(value: &str) -> Result<usize, String> {
    match value.trim().replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("not a positive whole number".into()),
    }
}

/// Seconds, above 0 and at most an hour.
fn seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err("not seconds above 0, at most 3600".into()),
    }
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse_line(line: &str) -> Result<Options, clap::Error> {
        parse(line.split_whitespace())
    }

    const BASE: &str = "--loadgen l --server s --out o";

    #[test]
    fn defaults_quick_and_flags() {
        let o = parse_line(BASE).unwrap();
        assert_eq!((o.loadgen, o.server, o.out), ("l".into(), "s".into(), "o".into()));
        assert_eq!((o.rounds, o.seconds, o.idle_connections), (5, Duration::from_secs(4), 19_000));
        assert_eq!((o.warmup, o.window, o.echo_connections), (Duration::from_secs(2), 64, 100));
        assert_eq!(
            (o.fallback_sessions.as_slice(), o.parts.as_slice()),
            (&[1, 10][..], &Part::ALL[..])
        );
        let q = parse_line(&format!("{BASE} --quick")).unwrap();
        assert_eq!((q.rounds, q.seconds, q.idle_connections), (1, Duration::from_secs(1), 1_000));
        assert_eq!((q.warmup, q.window), (Duration::from_millis(500), 64));
        assert_eq!((q.fallback_sessions.as_slice(), q.parts.len()), (&[1][..], 3));
        let o = parse_line(&format!(
            "{BASE} --rounds 3 --seconds 2.5 --warmup 1 --idle-connections 10_000 --window 8 \
             --fallback-sessions 1,4 --only echo,fallback"
        ))
        .unwrap();
        assert_eq!(o.rounds, 3);
        assert_eq!((o.seconds, o.warmup), (Duration::from_millis(2500), Duration::from_secs(1)));
        assert_eq!((o.idle_connections, o.window), (10_000, 8));
        assert_eq!((o.fallback_sessions, o.parts), (vec![1, 4], vec![Part::Echo, Part::Fallback]));
        assert_eq!(parse_line("--help").unwrap_err().kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn flags_beside_quick_apply_before_or_after_it() {
        for line in [
            format!("{BASE} --quick --rounds 2 --fallback-sessions 3"),
            format!("{BASE} --rounds 2 --fallback-sessions 3 --quick"),
        ] {
            let q = parse_line(&line).unwrap();
            assert_eq!(
                (q.rounds, q.seconds, q.idle_connections),
                (2, Duration::from_secs(1), 1_000)
            );
            assert_eq!(q.fallback_sessions, [3]);
        }
    }

    #[test]
    fn a_list_given_twice_is_the_last() {
        let o =
            parse_line(&format!("{BASE} --only idle --only echo,fallback --rounds 2 --rounds 4"))
                .unwrap();
        assert_eq!((o.parts, o.rounds), (vec![Part::Echo, Part::Fallback], 4));
    }

    #[test]
    fn refusals() {
        for (bad, kind) in [
            ("", ErrorKind::MissingRequiredArgument),
            ("--loadgen l --server s", ErrorKind::MissingRequiredArgument),
            ("--server s --out o", ErrorKind::MissingRequiredArgument),
            ("--loadgen l --out o", ErrorKind::MissingRequiredArgument),
            (&format!("{BASE} --rounds 0"), ErrorKind::ValueValidation),
            (&format!("{BASE} --seconds 0"), ErrorKind::ValueValidation),
            (&format!("{BASE} --seconds -1"), ErrorKind::ValueValidation),
            (&format!("{BASE} --seconds 3601"), ErrorKind::ValueValidation),
            (&format!("{BASE} --seconds x"), ErrorKind::ValueValidation),
            (&format!("{BASE} --only idle,nope"), ErrorKind::InvalidValue),
            (&format!("{BASE} --fallback-sessions 1,,2"), ErrorKind::ValueValidation),
            (&format!("{BASE} --bogus"), ErrorKind::UnknownArgument),
            (&format!("{BASE} --window"), ErrorKind::InvalidValue),
        ] {
            let e = parse_line(bad).unwrap_err();
            assert_eq!((e.kind(), e.exit_code()), (kind, 2), "{bad}: {e}");
        }
        let e = parse(["--loadgen", "l", "--server", "my server", "--out", "o"]).unwrap_err();
        assert!(e.to_string().contains("no spaces"), "{e}");
    }
}
