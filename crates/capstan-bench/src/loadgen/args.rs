//! Command-line flags of `loadgen`, read by clap ([`cli`]) and turned
//! into the run's [`Options`]: the defaults that depend on the scenario,
//! and the checks across flags, are here.

pub mod cli;
pub mod values;

use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};

use super::scenario::Scenario;
use super::transport::{SESSION_PATH, Transport};
use crate::loopback::LoopbackUrl;
use crate::stamp;
use cli::{Cli, LoadFlags, ScenarioArg, ServerFlags};

/// What the process is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Run a scenario (this process coordinates).
    Run(Box<Options>),
    /// Be one of the worker processes (hidden; the arguments of its plan).
    Worker(Vec<String>),
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

/// Parses the arguments (without the program name). No arguments at all
/// is `--help`, as before clap. The error is clap's: `--help` is one
/// (exit code 0, the help on stdout), a bad flag another (exit code 2).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, clap::Error> {
    let mut args: Vec<String> = args.into_iter().collect();
    if args.is_empty() {
        args.push("--help".into());
    }
    let cli = Cli::try_parse_from(std::iter::once("loadgen".to_string()).chain(args))?;
    let scenario = match cli.scenario {
        ScenarioArg::Worker { plan } => return Ok(Command::Worker(plan)),
        ScenarioArg::Echo => Scenario::Echo,
        ScenarioArg::Broadcast => Scenario::Broadcast,
        ScenarioArg::Idle => Scenario::Idle,
        ScenarioArg::Churn => Scenario::Churn,
    };
    match options(scenario, cli.server, cli.load) {
        Ok(options) => Ok(Command::Run(Box::new(options))),
        Err(message) => Err(Cli::command().error(ErrorKind::ArgumentConflict, message)),
    }
}

/// What the flags mean for `scenario`: its defaults, and the checks that
/// take more than one flag.
fn options(scenario: Scenario, server: ServerFlags, load: LoadFlags) -> Result<Options, String> {
    let ServerFlags { url: urls, server_pid: pids, watch_pid, spawn, path, no_pin, session, sse } =
        server;
    let server = match (urls.is_empty(), spawn) {
        (false, None) if pids.is_empty() || pids.len() == urls.len() => Server::Url { urls, pids },
        (false, None) => return Err("give one --server-pid per --url, in order (or none)".into()),
        (true, Some(_)) if !pids.is_empty() => {
            return Err("--server-pid goes with --url, not --spawn".into());
        }
        (true, Some(command)) => {
            let words: Vec<String> = command.split_whitespace().map(String::from).collect();
            if words.is_empty() {
                return Err("--spawn needs a command".into());
            }
            Server::Spawn(words)
        }
        (false, Some(_)) => return Err("give --url or --spawn, not both".into()),
        (true, None) => return Err("give the server: --url URL or --spawn \"CMD\"".into()),
    };
    // --session and --sse override each other: at most one is set.
    let transport = match (session, sse) {
        (true, _) => Transport::Session,
        (_, true) => Transport::Sse,
        _ => Transport::Plain,
    };
    match (transport, scenario) {
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
    let size = load.size.unwrap_or(if scenario == Scenario::Broadcast { 64 } else { 512 });
    if size < stamp::MIN_SIZE {
        return Err(format!("--size must be at least {} (the timestamp)", stamp::MIN_SIZE));
    }
    let connections = if scenario == Scenario::Echo { 100 } else { 1000 };
    Ok(Options {
        scenario,
        server,
        path,
        transport,
        pin: !no_pin,
        connections: load.connections.unwrap_or(connections),
        size,
        in_flight: load.in_flight,
        rates: load.rates,
        max_messages: load.max_messages as u64,
        ping_interval: load.ping_interval,
        cycles: load.cycles,
        concurrency: load.concurrency,
        messages_per_cycle: load.messages_per_cycle,
        warmup_cycles: load.warmup_cycles,
        duration: load.duration,
        warmup: load.warmup,
        timeout: load.timeout,
        procs: load.procs,
        sources: load.sources,
        connect_concurrency: load.connect_concurrency,
        json: load.json,
        notes: load.notes,
        watched: watch_pid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadgen::plan::WorkerPlan;

    fn parse_line(args: &str) -> Result<Command, clap::Error> {
        parse(args.split_whitespace().map(String::from))
    }

    fn run(args: &str) -> Result<Options, clap::Error> {
        match parse_line(args)? {
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
        let o = run("churn --spawn x --warmup-cycles 0 --messages-per-cycle 0 --warmup 0").unwrap();
        assert_eq!((o.warmup_cycles, o.messages_per_cycle, o.warmup), (0, 0, Duration::ZERO));
        let o = run("idle --spawn x --ping-interval 2.5 --procs 2 --sources 3 --no-pin \
                     --max-messages 5 --connect-concurrency 7 --timeout 9 --json r.json")
        .unwrap();
        assert_eq!(o.ping_interval, Duration::from_millis(2500));
        assert_eq!((o.procs, o.sources, o.pin), (Some(2), Some(3), false));
        assert_eq!((o.max_messages, o.connect_concurrency), (5, 7));
        assert_eq!((o.timeout, o.json), (Duration::from_secs(9), Some(PathBuf::from("r.json"))));
    }

    /// Every default, per scenario: the old parser's `Options::new`.
    #[test]
    fn defaults() {
        for (scenario, connections, size) in
            [("echo", 100, 512), ("broadcast", 1000, 64), ("idle", 1000, 512), ("churn", 1000, 512)]
        {
            let o = run(&format!("{scenario} --spawn x")).unwrap();
            assert_eq!(o.scenario.name(), scenario);
            assert_eq!((o.connections, o.size), (connections, size), "{scenario}");
            assert_eq!(
                (o.in_flight, o.rates.as_slice(), o.max_messages),
                (1, &[1e5][..], 1_000_000)
            );
            assert_eq!(
                (o.ping_interval, o.duration),
                (Duration::from_secs(10), Duration::from_secs(10))
            );
            assert_eq!((o.warmup, o.timeout), (Duration::from_secs(1), Duration::from_secs(600)));
            assert_eq!((o.cycles, o.concurrency, o.messages_per_cycle), (10_000, 32, 1));
            assert_eq!((o.warmup_cycles, o.connect_concurrency), (1_000, 128));
            assert_eq!(
                (o.procs, o.sources, o.pin, o.transport),
                (None, None, true, Transport::Plain)
            );
            assert!(o.path.is_none() && o.json.is_none() && o.notes.is_empty());
            assert!(o.watched.is_empty());
        }
        // Given, the scenario's default does not apply.
        assert_eq!(run("broadcast --spawn x --size 512").unwrap().size, 512);
        assert_eq!(run("echo --spawn x --connections 1000").unwrap().connections, 1000);
    }

    /// Flags that add up, flags whose last occurrence wins, and flags
    /// before the scenario.
    #[test]
    fn repeats_and_order() {
        let o = run("echo --spawn x --note a --note -b --watch-pid r=1 --watch-pid s=2").unwrap();
        assert_eq!(o.notes, ["a", "-b"]);
        assert_eq!(o.watched, [("r".to_string(), 1), ("s".to_string(), 2)]);
        let o = run("broadcast --spawn x --rate 1,2 --rate 3 --size 30 --size 40").unwrap();
        assert_eq!((o.rates.as_slice(), o.size), (&[3.0][..], 40));
        assert_eq!(run("echo --spawn x --session --sse").unwrap().transport, Transport::Sse);
        assert_eq!(run("echo --spawn x --sse --session").unwrap().transport, Transport::Session);
        let o = run("--spawn x --connections 5 idle --note n").unwrap();
        assert_eq!(
            (o.scenario, o.connections, o.notes.as_slice()),
            (Scenario::Idle, 5, &["n".to_string()][..])
        );
        let o = parse(["echo".into(), "--spawn".into(), "srv --port 0 -v".into()]).unwrap();
        let Command::Run(o) = o else { panic!() };
        assert_eq!(
            o.server,
            Server::Spawn(vec!["srv".into(), "--port".into(), "0".into(), "-v".into()])
        );
    }

    #[test]
    fn help_and_worker() {
        for help in ["", "--help", "-h", "help", "echo --help"] {
            let e = parse_line(help).unwrap_err();
            assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayHelp, 0), "{help:?}");
        }
        let help = Cli::command().render_long_help().to_string();
        for words in ["--connections", "echo 100, broadcast 1000", "--spawn", "port=P", "Scenarios"]
        {
            assert!(help.contains(words), "{words}");
        }
        assert!(!help.contains("key=value"), "the worker is hidden: {help}");
        assert!(matches!(parse_line("worker a=b"), Ok(Command::Worker(w)) if w == ["a=b"]));
    }

    /// The coordinator's `worker` command line comes back as the same plan.
    #[test]
    fn worker_plan_round_trips() {
        let plan = WorkerPlan {
            scenario: Scenario::Idle,
            index: 1,
            first: 9000,
            count: 9000,
            addrs: vec!["127.0.0.1:4000".parse().unwrap(), "[::1]:4001".parse().unwrap()],
            path: "/-x --help % y".into(),
            transport: Transport::Session,
            sources: 2,
            size: 64,
            in_flight: 3,
            ping_interval: Duration::from_millis(2500),
            concurrency: 128,
            messages_per_cycle: 0,
            duration: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        };
        let args = std::iter::once("worker".to_string()).chain(plan.to_args());
        let Ok(Command::Worker(words)) = parse(args) else { panic!() };
        assert_eq!(WorkerPlan::from_args(&words), Ok(plan));
    }

    #[test]
    fn refusals() {
        for bad in [
            "echo",
            "flood --url ws://127.0.0.1:9",
            "--spawn x",
            "echo --url ws://10.0.0.1:9",
            "echo --url wss://127.0.0.1:9",
            "echo --url ws://127.0.0.1:9 --spawn x",
            "echo --spawn x --server-pid 3",
            "echo --url ws://127.0.0.1:9 --url ws://127.0.0.1:10 --server-pid 3",
            "echo --spawn x --watch-pid redis",
            "echo --spawn x --watch-pid =3",
            "echo --spawn x --size 10",
            "echo --spawn x --connections 0",
            "echo --spawn x --connections",
            "broadcast --spawn x --rate 0",
            "broadcast --spawn x --rate 1,,2",
            "echo --spawn x --duration 0",
            "echo --spawn x --warmup -1",
            "echo --spawn x --warmup-cycles 1_000",
            "echo --spawn x --path nope",
            "echo --spawn x --bogus",
            "echo --spawn x extra",
            "broadcast --spawn x --session",
            "churn --spawn x --session",
            "idle --spawn x --sse",
        ] {
            let e = run(bad).map(|_| ()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
        let e = parse(["echo".into(), "--spawn".into(), " ".into()]).map(|_| ()).unwrap_err();
        assert!(e.to_string().contains("--spawn needs a command"), "{e}");
    }
}
