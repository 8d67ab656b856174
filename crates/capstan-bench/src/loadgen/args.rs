//! Command-line flags of `loadgen`.

use std::path::PathBuf;
use std::time::Duration;

use super::scenario::Scenario;
use super::transport::{SESSION_PATH, Transport};
use crate::loopback::LoopbackUrl;
use crate::stamp;

/// What the process is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Run a scenario (this process coordinates).
    Run(Box<Options>),
    /// Be one of the worker processes (hidden; the arguments of its plan).
    Worker(Vec<String>),
    /// Print the usage.
    Help,
}

/// Where the server is.
#[derive(Debug, Clone, PartialEq)]
pub enum Server {
    /// Already running at these URLs (one, or the nodes of a cluster, each
    /// its own process), maybe with their process ids known (one per URL).
    Url { urls: Vec<LoopbackUrl>, pids: Vec<u32> },
    /// Started by the load generator: program and arguments.
    Spawn(Vec<String>),
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The scenario.
    pub scenario: Scenario,
    /// The server.
    pub server: Server,
    /// The request path, if not the URL's or the scenario's.
    pub path: Option<String>,
    /// Plain WebSocket, or session mode over WebSocket or SSE (echo, idle).
    pub transport: Transport,
    /// Pin the spawned server and this process to CPUs of their own.
    pub pin: bool,
    /// Connections (echo, broadcast subscribers, idle).
    pub connections: usize,
    /// Message size in bytes.
    pub size: usize,
    /// Messages in flight per connection (echo).
    pub in_flight: usize,
    /// Offered rates, deliveries per second, one measured window each
    /// (broadcast).
    pub rates: Vec<f64>,
    /// Most messages published per window (broadcast).
    pub max_messages: u64,
    /// Time between two pings on one connection (idle).
    pub ping_interval: Duration,
    /// Connect/close cycles (churn).
    pub cycles: usize,
    /// Cycles in flight at once (churn).
    pub concurrency: usize,
    /// Echoed messages per cycle (churn).
    pub messages_per_cycle: usize,
    /// Cycles run before the "before" reading (churn): the first
    /// connections fault in the server's code and set its allocator's
    /// high-water mark for `concurrency` connections at once.
    pub warmup_cycles: usize,
    /// The measured window (and churn's time bound).
    pub duration: Duration,
    /// Load before the measured window (echo).
    pub warmup: Duration,
    /// Limit for the whole run.
    pub timeout: Duration,
    /// Worker processes asked for.
    pub procs: Option<usize>,
    /// Source addresses asked for.
    pub sources: Option<usize>,
    /// Handshakes in flight at once, per worker.
    pub connect_concurrency: usize,
    /// Where to write the results as JSON.
    pub json: Option<PathBuf>,
    /// Remarks to print with the results (the conditions of the run).
    pub notes: Vec<String>,
    /// Other processes to read alongside the server, by name (a cluster's
    /// Redis).
    pub watched: Vec<(String, u32)>,
}

impl Options {
    fn new(scenario: Scenario, server: Server) -> Self {
        let broadcast = scenario == Scenario::Broadcast;
        Self {
            scenario,
            server,
            path: None,
            transport: Transport::Plain,
            pin: true,
            connections: if scenario == Scenario::Echo { 100 } else { 1000 },
            size: if broadcast { 64 } else { 512 },
            in_flight: 1,
            rates: vec![100_000.0],
            max_messages: 1_000_000,
            ping_interval: Duration::from_secs(10),
            cycles: 10_000,
            concurrency: 32,
            messages_per_cycle: 1,
            warmup_cycles: 1_000,
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            timeout: Duration::from_secs(600),
            procs: None,
            sources: None,
            connect_concurrency: 128,
            json: None,
            notes: Vec::new(),
            watched: Vec::new(),
        }
    }

    /// The request path: `--path`, else the URL's, else the scenario's
    /// (in session mode, [`SESSION_PATH`]).
    pub fn path(&self) -> String {
        let from_url = match &self.server {
            Server::Url { urls, .. } => urls[0].path.clone(),
            Server::Spawn(_) => None,
        };
        let default =
            if self.transport.is_session() { SESSION_PATH } else { self.scenario.default_path() };
        self.path.clone().or(from_url).unwrap_or_else(|| default.into())
    }

    /// Connections open at once at most.
    pub fn connections_at_once(&self) -> usize {
        if self.scenario.holds_connections() { self.connections } else { self.concurrency }
    }
}

/// The usage text.
pub const USAGE: &str = "\
loadgen: a load generator for WebSocket servers on this machine (loopback only)

Usage: loadgen SCENARIO (--url ws://127.0.0.1:PORT[/PATH]… [--server-pid PID…] | --spawn \"CMD ARGS\") [options]

Scenarios:
  echo       N connections, each keeping F messages of S bytes in flight to /echo;
             messages/s, round-trip latency, server CPU per message
  broadcast  one publisher and N subscribers on /broadcast, one window per offered
             rate; deliveries/s, latency p50/p99/p99.9 (publisher's timestamp in
             the payload), server CPU per delivery
  idle       N connections held open with pings; server RSS per connection, and
             the kernel's socket memory (/proc/net/sockstat) separately
  churn      connect, echo M messages, close: a bounded number of cycles (and
             time); server RSS and open descriptors before and after

Server:
  --url URL          a running server: ws:// to 127.0.0.0/8, [::1] or localhost only;
                     repeated for the nodes of a cluster: connection i goes to the
                     (i mod nodes)-th, the broadcast publisher to the first
  --server-pid PID   read that server's CPU time and memory from /proc (with --url);
                     one per --url, in the same order: the figures are added up
  --watch-pid NAME=PID  read that process too (a cluster's Redis), reported apart
  --spawn \"CMD\"      start the server (split on spaces, no quoting); it must print
                     `port=P` (and `pid=PID` if it is not the spawned process) in its
                     first stdout line and listen on 127.0.0.1. It is pinned to CPU 1
                     and the load generator to CPU 0 (taskset), unless --no-pin
  --path PATH        request path (default: the URL's, else /echo or /broadcast)
  --no-pin           do not pin
  --session          echo, idle: session mode (docs/SESSIONS.md) over WebSocket: `hello`
                     then `welcome` before a connection counts as open, data messages
                     prefixed `m`, an `ack` every 32 received; path /echo-session
  --sse              echo: session mode over the HTTP fallback: each connection is a
                     session opened by POST, read as Server-Sent Events, fed by one
                     batch POST at a time (a connection each: the server closes them)

Options:
  --connections N    connections: echo 100, broadcast 1000 (subscribers), idle 1000
  --size BYTES       message size, at least 25 (echo 512, broadcast 64, churn 512)
  --in-flight F      echo: messages in flight per connection (1)
  --rate LIST        broadcast: offered deliveries/s, comma-separated (100000)
  --max-messages M   broadcast: most messages published per window (1000000)
  --ping-interval S  idle: seconds between pings on one connection (10)
  --cycles N         churn: connect/close cycles (10000)
  --concurrency C    churn: cycles in flight at once (32)
  --messages-per-cycle M  churn: messages echoed before closing (1)
  --warmup-cycles W  churn: cycles before the reading of RSS before (1000; 0: none); the
                     RSS of the cold server is reported too
  --duration S       measured window, seconds; churn's time bound (10)
  --warmup S         echo: load before the window, seconds (1)
  --timeout S        limit for the whole run, seconds (600)
  --procs K          worker processes (default: enough for 18,000 connections each)
  --sources N        source addresses 127.0.0.1..N (default: 1 up to 25,000 connections,
                     else one per 12,000: bound sockets, see src/sources.rs)
  --connect-concurrency C  handshakes in flight per worker (128)
  --json FILE        also write the results as JSON to FILE
  --note TEXT        a remark printed with the results (e.g. what else ran)

Results go to stdout as a Markdown table; progress goes to stderr.";

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let scenario = match args.next().as_deref() {
        None | Some("--help" | "-h" | "help") => return Ok(Command::Help),
        Some("worker") => return Ok(Command::Worker(args.collect())),
        Some(name) => Scenario::parse(name)
            .ok_or_else(|| format!("unknown scenario {name:?} (echo, broadcast, idle, churn)"))?,
    };
    let (mut urls, mut pids, mut spawn) = (Vec::new(), Vec::new(), None);
    let mut o = Options::new(scenario, Server::Spawn(Vec::new()));
    let mut size = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--url" => urls.push(LoopbackUrl::parse(&value()?)?),
            "--server-pid" => pids.push(number(&flag, &value()?)? as u32),
            "--watch-pid" => {
                let text = value()?;
                let parsed = text.split_once('=').and_then(|(name, pid)| {
                    let pid = pid.parse::<u32>().ok().filter(|&p| p > 0)?;
                    (!name.is_empty() && !name.contains(char::is_whitespace))
                        .then(|| (name.to_owned(), pid))
                });
                o.watched.push(
                    parsed.ok_or_else(|| format!("--watch-pid takes NAME=PID, not {text:?}"))?,
                );
            }
            "--spawn" => {
                let words: Vec<String> = value()?.split_whitespace().map(String::from).collect();
                if words.is_empty() {
                    return Err("--spawn needs a command".into());
                }
                spawn = Some(words);
            }
            "--path" => {
                let path = value()?;
                if !path.starts_with('/') || path.contains(char::is_whitespace) {
                    return Err(format!("--path must start with / and hold no spaces: {path:?}"));
                }
                o.path = Some(path);
            }
            "--no-pin" => o.pin = false,
            "--session" => o.transport = Transport::Session,
            "--sse" => o.transport = Transport::Sse,
            "--connections" => o.connections = number(&flag, &value()?)?,
            "--size" => size = Some(number(&flag, &value()?)?),
            "--in-flight" => o.in_flight = number(&flag, &value()?)?,
            "--rate" => {
                o.rates = value()?
                    .split(',')
                    .map(|r| match r.trim().parse::<f64>() {
                        Ok(r) if r > 0.0 && r.is_finite() => Ok(r),
                        _ => Err(format!("--rate takes positive numbers, not {r:?}")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--max-messages" => o.max_messages = number(&flag, &value()?)? as u64,
            "--ping-interval" => o.ping_interval = seconds(&flag, &value()?)?,
            "--cycles" => o.cycles = number(&flag, &value()?)?,
            "--concurrency" => o.concurrency = number(&flag, &value()?)?,
            "--messages-per-cycle" => o.messages_per_cycle = whole(&flag, &value()?)?,
            "--warmup-cycles" => o.warmup_cycles = whole(&flag, &value()?)?,
            "--duration" => o.duration = seconds(&flag, &value()?)?,
            "--warmup" => o.warmup = seconds_or_zero(&flag, &value()?)?,
            "--timeout" => o.timeout = seconds(&flag, &value()?)?,
            "--procs" => o.procs = Some(number(&flag, &value()?)?),
            "--sources" => o.sources = Some(number(&flag, &value()?)?),
            "--connect-concurrency" => o.connect_concurrency = number(&flag, &value()?)?,
            "--json" => o.json = Some(PathBuf::from(value()?)),
            "--note" => o.notes.push(value()?),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    o.server = match (urls.is_empty(), spawn) {
        (false, None) if pids.is_empty() || pids.len() == urls.len() => Server::Url { urls, pids },
        (false, None) => return Err("give one --server-pid per --url, in order (or none)".into()),
        (true, Some(command)) if pids.is_empty() => Server::Spawn(command),
        (true, Some(_)) => return Err("--server-pid goes with --url, not --spawn".into()),
        (false, Some(_)) => return Err("give --url or --spawn, not both".into()),
        (true, None) => return Err("give the server: --url URL or --spawn \"CMD\"".into()),
    };
    if let Some(size) = size {
        o.size = size;
    }
    match (o.transport, o.scenario) {
        (Transport::Plain, _) | (Transport::Session, Scenario::Echo | Scenario::Idle) => {}
        (Transport::Sse, Scenario::Echo) => {}
        (transport, scenario) => {
            return Err(format!(
                "--{} is for {}, not {}",
                transport.name(),
                if transport == Transport::Sse { "echo" } else { "echo and idle" },
                scenario.name()
            ));
        }
    }
    if o.size < stamp::MIN_SIZE {
        return Err(format!("--size must be at least {} (the timestamp)", stamp::MIN_SIZE));
    }
    Ok(Command::Run(Box::new(o)))
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    match value.replace('_', "").parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} takes a positive whole number, not {value:?}")),
    }
}

fn whole(flag: &str, value: &str) -> Result<usize, String> {
    value.parse().map_err(|_| format!("{flag} takes a whole number, not {value:?}"))
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    match seconds_or_zero(flag, value)? {
        d if d.is_zero() => Err(format!("{flag} takes a positive number of seconds")),
        d => Ok(d),
    }
}

fn seconds_or_zero(flag: &str, value: &str) -> Result<Duration, String> {
    match value.parse::<f64>() {
        Ok(s) if (0.0..=86_400.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!("{flag} takes seconds, not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &str) -> Result<Options, String> {
        match parse(args.split_whitespace().map(String::from))? {
            Command::Run(o) => Ok(*o),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags() {
        let o =
            run("echo --url ws://127.0.0.1:9/e --server-pid 7 --size 16384 --in-flight 4").unwrap();
        assert_eq!((o.size, o.in_flight, o.connections), (16384, 4, 100));
        assert_eq!(o.path(), "/e");
        assert!(matches!(&o.server, Server::Url { pids, .. } if pids == &[7]));
        let o = run("idle --url ws://127.0.0.1:9/a --url ws://127.0.0.2:10 --server-pid 7 \
                     --server-pid 8 --watch-pid redis=9")
        .unwrap();
        let Server::Url { urls, pids } = &o.server else { panic!("{:?}", o.server) };
        assert_eq!((urls.len(), pids.as_slice(), o.path()), (2, &[7, 8][..], "/a".into()));
        assert_eq!(o.watched, [("redis".to_string(), 9)]);
        let o = run("broadcast --spawn target/release/x --rate 1e5,200000 --duration 0.5").unwrap();
        assert_eq!(o.rates, [100_000.0, 200_000.0]);
        assert_eq!(o.duration, Duration::from_millis(500));
        assert_eq!(o.path(), "/broadcast");
        assert_eq!(o.size, 64);
        assert_eq!(o.server, Server::Spawn(vec!["target/release/x".into()]));
        let o = run("echo --spawn x --session").unwrap();
        assert_eq!((o.transport, o.path().as_str()), (Transport::Session, SESSION_PATH));
        let o = run("echo --spawn x --sse --path /s").unwrap();
        assert_eq!((o.transport, o.path().as_str()), (Transport::Sse, "/s"));
        assert_eq!(run("idle --spawn x --session").unwrap().transport, Transport::Session);
        let o = run("churn --url ws://localhost:9 --cycles 100_000 --path /x").unwrap();
        assert_eq!((o.cycles, o.path().as_str(), o.connections_at_once()), (100_000, "/x", 32));
        assert!(
            matches!(parse(["worker".into(), "a=b".into()]), Ok(Command::Worker(w)) if w == ["a=b"])
        );
        assert!(matches!(parse(Vec::<String>::new()), Ok(Command::Help)));
    }

    #[test]
    fn refusals() {
        for bad in [
            "echo",
            "flood --url ws://127.0.0.1:9",
            "echo --url ws://10.0.0.1:9",
            "echo --url wss://127.0.0.1:9",
            "echo --url ws://127.0.0.1:9 --spawn x",
            "echo --spawn x --server-pid 3",
            "echo --url ws://127.0.0.1:9 --url ws://127.0.0.1:10 --server-pid 3",
            "echo --spawn x --watch-pid redis",
            "echo --spawn x --watch-pid =3",
            "echo --spawn x --size 10",
            "echo --spawn x --connections 0",
            "broadcast --spawn x --rate 0",
            "echo --spawn x --duration 0",
            "echo --spawn x --path nope",
            "echo --spawn x --bogus",
            "broadcast --spawn x --session",
            "churn --spawn x --session",
            "idle --spawn x --sse",
        ] {
            assert!(run(bad).is_err(), "{bad}");
        }
    }
}
