//! Command-line flags of `wamp-load` (clap; `wamp-load --help`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use capstan_wamp::Serializer;
use clap::{Args, Parser, Subcommand};

use super::codec::serializer_named;
use super::conn::Target;
use crate::loopback::LoopbackUrl;

/// wamp-load: WAMP v2 load on a router on this machine (loopback only).
/// Each load scenario (events, calls, idle) prints one JSON line (starting
/// with `{`) and one human line on stdout, progress on stderr; it exits 1 if
/// deliveries or calls were lost or the router ended sessions, 2 on bad
/// flags. `table` puts two routers' result lines side by side. Durations
/// are in seconds.
#[derive(Debug, Parser)]
#[command(name = "wamp-load", bin_name = "wamp-load", no_binary_name = true)]
#[command(args_override_self = true, verbatim_doc_comment, flatten_help = true)]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

/// The command line's scenario, with its flags.
#[derive(Debug, Subcommand)]
enum Scenario {
    /// --subscribers sessions subscribe to one topic; --publishers publishers
    /// publish up to --events events each, unacknowledged, --window at a time
    /// (the next window once all but about one window per publisher are
    /// delivered), for at most --duration s, then one acknowledged end marker
    /// each. Reports deliveries/s, lost deliveries, router CPU per delivery and
    /// per publication.
    #[command(verbatim_doc_comment)]
    Events {
        #[command(flatten)]
        plan: EventsPlan,
        #[command(flatten)]
        common: Common,
    },
    /// --callers callers keep --in-flight calls each outstanding to an echo
    /// procedure registered by --callees callees; after --warmup s, --duration
    /// s are measured. Reports calls/s, latency, router CPU per call.
    #[command(verbatim_doc_comment)]
    Calls {
        #[command(flatten)]
        plan: CallsPlan,
        #[command(flatten)]
        common: Common,
    },
    /// --sessions sessions join the realm and stay; the router's VmRSS before
    /// the first and --settle s after the last gives KiB per session.
    #[command(verbatim_doc_comment)]
    Idle {
        #[command(flatten)]
        plan: IdlePlan,
        #[command(flatten)]
        common: Common,
    },
    /// The side-by-side Markdown table of two routers' result lines, with
    /// ratios, per-core figures and the goals.
    #[command(verbatim_doc_comment)]
    Table {
        /// The first router's JSON lines (capstan's).
        #[arg(value_name = "CAPSTAN.jsonl")]
        ours: PathBuf,
        /// The second router's (the reference's).
        #[arg(value_name = "CROSSBAR.jsonl")]
        theirs: PathBuf,
    },
}

/// The flags of every load scenario: the router and how to reach it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Router and sessions")]
struct Common {
    /// The router's WebSocket, ws://127.0.0.1:PORT/PATH (loopback only; path /ws if none).
    #[arg(long, value_name = "URL", value_parser = LoopbackUrl::parse)]
    url: LoopbackUrl,
    /// The router's process, for its CPU time and memory.
    #[arg(long, value_name = "PID")]
    router_pid: u32,
    /// The name of the router in the results.
    #[arg(long, value_name = "NAME", default_value = "router")]
    label: String,
    /// json or msgpack (or the subprotocol's full name, wamp.2.json…).
    #[arg(long, value_name = "NAME", default_value = "json", value_parser = serializer)]
    serializer: Serializer,
    /// The realm to join.
    #[arg(long, value_name = "REALM", default_value = "realm1")]
    realm: String,
    /// Sessions connecting at once (0 counts as 1).
    #[arg(long, value_name = "N", default_value = "64", value_parser = at_least_one::<usize>)]
    connect_concurrency: usize,
    /// The bound of each connect and of each awaited answer, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "30",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    wait: Duration,
    /// The bound of the whole run, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "300",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    timeout: Duration,
}

/// The `events` scenario's sizes.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct EventsPlan {
    /// Subscriber sessions.
    #[arg(long, value_name = "S", default_value_t = 1000)]
    pub subscribers: usize,
    /// Publisher sessions (0 counts as 1).
    #[arg(long, value_name = "P", default_value = "1", value_parser = at_least_one::<usize>)]
    pub publishers: usize,
    /// Events each publisher publishes at most.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub events: u64,
    /// Publications a publisher writes at once, the next window once all
    /// but about one window per publisher are delivered (0 counts as 1).
    #[arg(long, value_name = "W", default_value = "100", value_parser = at_least_one::<u64>)]
    pub window: u64,
    /// Bytes of `x` after each event's sequence number (0: none).
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub padding: usize,
    /// Publishing stops after this long, seconds, even if --events are not all out.
    #[arg(
        long,
        value_name = "S",
        default_value = "10",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub duration: Duration,
    /// How long deliveries may make no progress before the run is called
    /// stalled, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "10",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub stall: Duration,
}

/// The `calls` scenario's sizes.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct CallsPlan {
    /// Caller sessions (0 counts as 1).
    #[arg(long, value_name = "C", default_value = "100", value_parser = at_least_one::<usize>)]
    pub callers: usize,
    /// Callee sessions, sharing the registration round-robin (0 counts as 1).
    #[arg(long, value_name = "K", default_value = "1", value_parser = at_least_one::<usize>)]
    pub callees: usize,
    /// Calls each caller keeps outstanding (0 counts as 1).
    #[arg(long, value_name = "F", default_value = "4", value_parser = at_least_one::<usize>)]
    pub in_flight: usize,
    /// Bytes of `x` after each call's sequence number (0: none).
    #[arg(long, value_name = "BYTES", default_value_t = 0)]
    pub padding: usize,
    /// Calls before the measured window, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "1",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub warmup: Duration,
    /// The measured window, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "10",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub duration: Duration,
}

/// The `idle` scenario's sizes.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct IdlePlan {
    /// Sessions to open and hold (0 counts as 1).
    #[arg(long, value_name = "K", default_value = "5000", value_parser = at_least_one::<usize>)]
    pub sessions: usize,
    /// Wait after the last session joined before reading memory, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "2",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub settle: Duration,
    /// Sessions held after that reading, then read again, seconds.
    #[arg(
        long,
        value_name = "S",
        default_value = "3",
        value_parser = seconds,
        allow_negative_numbers = true
    )]
    pub hold: Duration,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Deliveries to many subscribers.
    Events(EventsPlan),
    /// Calls from many callers.
    Calls(CallsPlan),
    /// Memory per idle session.
    Idle(IdlePlan),
    /// The side-by-side table of two routers' result lines.
    Table {
        /// The first router's JSON lines (capstan's).
        ours: PathBuf,
        /// The second router's (the reference's).
        theirs: PathBuf,
    },
}

/// A load run's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The scenario.
    pub command: Command,
    /// The router (for the load scenarios).
    pub target: Option<Target>,
    /// The router's process, for its CPU time and memory.
    pub router_pid: u32,
    /// The name of the router in the results.
    pub label: String,
    /// Sessions connecting at once.
    pub connect_concurrency: usize,
    /// The bound of each connect and of each awaited answer.
    pub wait: Duration,
    /// The bound of the whole run.
    pub timeout: Duration,
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
    let (command, common) = match cli.scenario {
        Scenario::Events { common, plan } => (Command::Events(plan), common),
        Scenario::Calls { common, plan } => (Command::Calls(plan), common),
        Scenario::Idle { common, plan } => (Command::Idle(plan), common),
        Scenario::Table { ours, theirs } => {
            return Ok(Options {
                command: Command::Table { ours, theirs },
                target: None,
                router_pid: 0,
                label: String::new(),
                connect_concurrency: 1,
                wait: Duration::ZERO,
                timeout: Duration::ZERO,
            });
        }
    };
    let target = Target {
        addr: common.url.addr,
        path: common.url.path.unwrap_or_else(|| "/ws".into()),
        realm: common.realm,
        serializer: common.serializer,
    };
    Ok(Options {
        command,
        target: Some(target),
        router_pid: common.router_pid,
        label: common.label,
        connect_concurrency: common.connect_concurrency,
        wait: common.wait,
        timeout: common.timeout,
    })
}

/// A serializer's name.
fn serializer(name: &str) -> Result<Serializer, String> {
    serializer_named(name).ok_or_else(|| "json or msgpack".into())
}

/// A whole number, 0 taken as 1.
fn at_least_one<N: FromStr + Ord + From<u8>>(value: &str) -> Result<N, String> {
    value.parse::<N>().map(|n| n.max(N::from(1))).map_err(|_| "not a whole number".into())
}

/// Seconds, possibly fractional.
fn seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value.parse().map_err(|_| "not a number of seconds")?;
    Duration::try_from_secs_f64(seconds).map_err(|_| "not a duration".into())
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parsed(line: &str) -> Options {
        parse(line.split_whitespace()).unwrap()
    }

    fn error(line: &str) -> clap::Error {
        parse(line.split_whitespace()).unwrap_err()
    }

    #[test]
    fn defaults_are_the_issues_sizes() {
        let o = parsed("events --url ws://127.0.0.1:9000/ws --router-pid 42");
        assert_eq!((o.router_pid, o.label.as_str(), o.connect_concurrency), (42, "router", 64));
        assert_eq!((o.wait, o.timeout), (Duration::from_secs(30), Duration::from_secs(300)));
        let target = o.target.unwrap();
        assert_eq!(target.addr, "127.0.0.1:9000".parse().unwrap());
        assert_eq!((target.path.as_str(), target.realm.as_str()), ("/ws", "realm1"));
        assert_eq!(target.serializer, Serializer::Json);
        let Command::Events(plan) = o.command else { panic!() };
        assert_eq!(
            plan,
            EventsPlan {
                subscribers: 1000,
                publishers: 1,
                events: 10_000,
                window: 100,
                padding: 0,
                duration: Duration::from_secs(10),
                stall: Duration::from_secs(10),
            }
        );
        let o = parsed("calls --url ws://127.0.0.1:9 --router-pid 1 --serializer msgpack");
        assert_eq!(o.target.unwrap().serializer, Serializer::MsgPack);
        let Command::Calls(plan) = o.command else { panic!() };
        assert_eq!(
            plan,
            CallsPlan {
                callers: 100,
                callees: 1,
                in_flight: 4,
                padding: 0,
                warmup: Duration::from_secs(1),
                duration: Duration::from_secs(10),
            }
        );
        let o = parsed("idle --url ws://localhost:9/ --router-pid 1");
        assert_eq!(o.target.unwrap().path, "/ws");
        let Command::Idle(plan) = o.command else { panic!() };
        let sizes = (plan.sessions, plan.settle, plan.hold);
        assert_eq!(sizes, (5000, Duration::from_secs(2), Duration::from_secs(3)));
    }

    #[test]
    fn flags_are_read() {
        let o = parsed(
            "events --url ws://127.0.0.1:9/router?x=1 --router-pid 7 --label capstan \
             --serializer wamp.2.msgpack --realm r --connect-concurrency 0 --wait 0.5 \
             --timeout 240 --subscribers 10 --publishers 0 --events 5 --window 0 \
             --padding 16 --duration 2.5 --stall 4",
        );
        assert_eq!((o.router_pid, o.label.as_str(), o.connect_concurrency), (7, "capstan", 1));
        assert_eq!((o.wait, o.timeout), (Duration::from_millis(500), Duration::from_secs(240)));
        let target = o.target.unwrap();
        assert_eq!((target.path.as_str(), target.realm.as_str()), ("/router?x=1", "r"));
        assert_eq!(target.serializer, Serializer::MsgPack);
        let Command::Events(plan) = o.command else { panic!() };
        assert_eq!((plan.subscribers, plan.publishers, plan.events), (10, 1, 5));
        assert_eq!((plan.window, plan.padding), (1, 16));
        assert_eq!(
            (plan.duration, plan.stall),
            (Duration::from_millis(2500), Duration::from_secs(4))
        );
        let o = parsed(
            "calls --url ws://127.0.0.1:9 --router-pid 1 --callers 0 --callees 3 \
             --in-flight 0 --padding 8 --warmup 0 --duration 20",
        );
        let Command::Calls(plan) = o.command else { panic!() };
        assert_eq!((plan.callers, plan.callees, plan.in_flight, plan.padding), (1, 3, 1, 8));
        assert_eq!((plan.warmup, plan.duration), (Duration::ZERO, Duration::from_secs(20)));
        let o =
            parsed("idle --url ws://127.0.0.1:9 --router-pid 1 --sessions 0 --settle 0.5 --hold 1");
        let Command::Idle(plan) = o.command else { panic!() };
        let sizes = (plan.sessions, plan.settle, plan.hold);
        assert_eq!(sizes, (1, Duration::from_millis(500), Duration::from_secs(1)));
        let o = parsed("table a.jsonl b.jsonl");
        let table = Command::Table { ours: "a.jsonl".into(), theirs: "b.jsonl".into() };
        assert_eq!((o.command, o.target, o.router_pid), (table, None, 0));
    }

    #[test]
    fn mistakes_are_named() {
        let says = |line: &str, kind: ErrorKind, what: &str| {
            let e = error(line);
            assert_eq!((e.kind(), e.exit_code()), (kind, 2), "{line}: {e}");
            assert!(e.to_string().contains(what), "{line}: {e}");
        };
        use ErrorKind::*;
        says("events --url ws://10.0.0.1:9/ws --router-pid 1", ValueValidation, "loopback");
        says("events --url ws://127.0.0.1:9/ws", MissingRequiredArgument, "--router-pid <PID>");
        says("events --router-pid 1", MissingRequiredArgument, "--url <URL>");
        says(
            "events --url ws://127.0.0.1:9 --router-pid 1 --colour red",
            UnknownArgument,
            "--colour",
        );
        // A flag of one scenario is unknown to another.
        says(
            "idle --url ws://127.0.0.1:9 --router-pid 1 --callers 3",
            UnknownArgument,
            "--callers",
        );
        says(
            "calls --url ws://127.0.0.1:9 --router-pid 1 --serializer cbor",
            ValueValidation,
            "json or msgpack",
        );
        says("dance --url ws://127.0.0.1:9 --router-pid 1", InvalidSubcommand, "dance");
        says("idle --url ws://127.0.0.1:9 --router-pid 1 --hold -1", ValueValidation, "--hold");
        says("idle --url ws://127.0.0.1:9 --router-pid 1 --hold soon", ValueValidation, "--hold");
        says("table one", MissingRequiredArgument, "CROSSBAR.jsonl");
        says("table one two three", UnknownArgument, "three");
        says("table --url ws://127.0.0.1:9 a b", UnknownArgument, "--url");
        for help in ["--help", "help", "-h"] {
            assert_eq!(error(help).kind(), DisplayHelp, "{help}");
        }
        let nothing: [&str; 0] = [];
        let e = parse(nothing).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (DisplayHelp, 0));
    }
}
