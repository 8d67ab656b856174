//! Command-line flags of `session-cost`.

use std::path::PathBuf;
use std::time::Duration;

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

/// The usage text.
pub const USAGE: &str = "\
session-cost: what session mode costs a Capstan server, beside plain WebSocket (issue #17)

Usage: session-cost --loadgen PATH --server PATH --out DIR [options]

Runs `loadgen` against `capstan-bench-server --spawn`ed for each run (/echo plain,
/echo-session in session mode), each side once per round, the order of the sides
turning each round; prints Markdown tables (each round, medians, bests, ratios) and
writes them to DIR/summary.md, with every run's JSON and log.

Comparisons:
  idle      N connections held (plain vs session, a session counting once welcomed):
            server RSS per connection
  echo      100 connections, 512 B, 1 in flight (plain vs session, the client acking
            every 32): server CPU µs per echo
  fallback  K sessions echoing with a window of W in flight: plain WebSocket, session
            over WebSocket, session over SSE + batch POSTs: echoes/s, CPU µs per echo

Options:
  --quick               one round of 1 s, 1,000 idle connections, fallback with 1 session
                        (flags after it still apply)
  --rounds R            rounds (5)
  --seconds S           each run's measured window (4)
  --warmup S            load before an echo's window (2)
  --idle-connections N  connections held per idle run (19000; one process holds 20,000
                        descriptors at most)
  --window W            messages in flight per session, fallback (64)
  --fallback-sessions LIST  sessions at once, one comparison each (1,10)
  --only LIST           comparisons to run, comma-separated (idle,echo,fallback)
";

/// Parses the arguments (without the program name); `Ok(None)` for `--help`.
pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut args = args.iter();
    let (mut loadgen, mut server, mut out) = (None, None, None);
    let mut settings: Vec<(String, String)> = Vec::new();
    let mut quick = false;
    while let Some(flag) = args.next() {
        let mut value = || args.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--quick" => quick = true,
            "--loadgen" => loadgen = Some(PathBuf::from(value()?)),
            "--server" => server = Some(PathBuf::from(value()?)),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--rounds"
            | "--seconds"
            | "--warmup"
            | "--idle-connections"
            | "--window"
            | "--fallback-sessions"
            | "--only" => settings.push((flag.clone(), value()?)),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let loadgen = loadgen.ok_or("--loadgen PATH is required")?;
    let server = server.ok_or("--server PATH is required")?;
    if server.to_string_lossy().contains(char::is_whitespace) {
        return Err("the server's path may hold no spaces (loadgen --spawn splits on them)".into());
    }
    let out = out.ok_or("--out DIR is required")?;
    let mut o = Options::full(loadgen, server, out);
    if quick {
        o = o.quick();
    }
    for (flag, value) in settings {
        match flag.as_str() {
            "--rounds" => o.rounds = positive(&flag, &value)?,
            "--seconds" => o.seconds = seconds(&flag, &value)?,
            "--warmup" => o.warmup = seconds(&flag, &value)?,
            "--idle-connections" => o.idle_connections = positive(&flag, &value)?,
            "--window" => o.window = positive(&flag, &value)?,
            "--fallback-sessions" => {
                o.fallback_sessions =
                    value.split(',').map(|n| positive(&flag, n)).collect::<Result<_, _>>()?;
            }
            _ => {
                o.parts = value
                    .split(',')
                    .map(|p| Part::parse(p).ok_or_else(|| format!("--only: unknown {p:?}")))
                    .collect::<Result<_, _>>()?;
            }
        }
    }
    Ok(Some(o))
}

fn positive(flag: &str, value: &str) -> Result<usize, String> {
    match value.trim().replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} takes a positive whole number, not {value:?}")),
    }
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag} takes seconds (above 0, at most 3600), not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Option<Options>, String> {
        parse(&line.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    const BASE: &str = "--loadgen l --server s --out o";

    #[test]
    fn defaults_quick_and_flags() {
        let o = parse_line(BASE).unwrap().unwrap();
        assert_eq!((o.rounds, o.seconds, o.idle_connections), (5, Duration::from_secs(4), 19_000));
        assert_eq!((o.fallback_sessions.as_slice(), o.parts.len()), (&[1, 10][..], 3));
        let q = parse_line(&format!("{BASE} --quick --rounds 2")).unwrap().unwrap();
        assert_eq!((q.rounds, q.seconds, q.idle_connections), (2, Duration::from_secs(1), 1_000));
        assert_eq!(q.fallback_sessions, [1]);
        let o = parse_line(&format!(
            "{BASE} --seconds 2.5 --warmup 1 --idle-connections 10_000 --window 8 \
             --fallback-sessions 1,4 --only echo,fallback"
        ))
        .unwrap()
        .unwrap();
        assert_eq!((o.seconds, o.warmup), (Duration::from_millis(2500), Duration::from_secs(1)));
        assert_eq!((o.idle_connections, o.window), (10_000, 8));
        assert_eq!((o.fallback_sessions, o.parts), (vec![1, 4], vec![Part::Echo, Part::Fallback]));
        assert_eq!(parse_line("--help"), Ok(None));
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "--loadgen l --server s",
            "--server s --out o",
            &format!("{BASE} --rounds 0"),
            &format!("{BASE} --seconds 0"),
            &format!("{BASE} --seconds x"),
            &format!("{BASE} --only idle,nope"),
            &format!("{BASE} --fallback-sessions 1,,2"),
            &format!("{BASE} --bogus"),
            &format!("{BASE} --window"),
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}
