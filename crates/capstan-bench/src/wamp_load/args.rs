//! Command-line flags of `wamp-load`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use capstan_wamp::Serializer;

use super::codec::serializer_named;
use super::conn::Target;
use super::error::LoadError;
use crate::loopback::LoopbackUrl;

/// The `events` scenario's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsPlan {
    /// Subscriber sessions.
    pub subscribers: usize,
    /// Publisher sessions.
    pub publishers: usize,
    /// Events each publisher publishes at most.
    pub events: u64,
    /// Publications a publisher writes at once; it writes the next window
    /// once the subscribers have received all but about one window per
    /// publisher.
    pub window: u64,
    /// Bytes of `x` after each event's sequence number (0: none).
    pub padding: usize,
    /// Publishing stops after this long even if `events` are not all out.
    pub duration: Duration,
    /// How long deliveries may make no progress before the run is called
    /// stalled.
    pub stall: Duration,
}

/// The `calls` scenario's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct CallsPlan {
    /// Caller sessions.
    pub callers: usize,
    /// Callee sessions (several share the registration, round-robin).
    pub callees: usize,
    /// Calls each caller keeps outstanding.
    pub in_flight: usize,
    /// Bytes of `x` after each call's sequence number (0: none).
    pub padding: usize,
    /// Calls before the measured window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
}

/// The `idle` scenario's sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdlePlan {
    /// Sessions to open and hold.
    pub sessions: usize,
    /// Wait after the last session joined before reading memory.
    pub settle: Duration,
    /// Sessions held after that reading, then read again.
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

/// The usage text.
pub const USAGE: &str = "\
wamp-load: WAMP v2 load on a router on this machine (loopback only)

Usage: wamp-load events --url ws://127.0.0.1:PORT/ws --router-pid PID [common] [--subscribers 1000]
                        [--publishers 1] [--events 10000] [--window 100] [--padding 0]
                        [--duration 10] [--stall 10]
       wamp-load calls  --url … --router-pid PID [common] [--callers 100] [--callees 1]
                        [--in-flight 4] [--padding 0] [--warmup 1] [--duration 10]
       wamp-load idle   --url … --router-pid PID [common] [--sessions 5000] [--settle 2] [--hold 3]
       wamp-load table CAPSTAN.jsonl CROSSBAR.jsonl

common: [--label NAME] [--serializer json|msgpack] [--realm realm1] [--connect-concurrency 64]
        [--wait 30] [--timeout 300]   (durations in seconds)

events  S subscribers subscribe to one topic; P publishers publish up to N events each,
        unacknowledged, W at a time (the next W once all but about W per publisher are
        delivered), for at most --duration s, then one acknowledged end marker each.
        Reports deliveries/s, lost deliveries, router CPU per delivery and per publication.
calls   C callers keep F calls each outstanding to an echo procedure registered by K
        callees; after --warmup s, --duration s are measured. Reports calls/s, latency,
        router CPU per call.
idle    K sessions join the realm and stay; the router's VmRSS before the first and
        --settle s after the last gives KiB per session.
table   the side-by-side Markdown table of two routers' result lines, with ratios,
        per-core figures and the goals.

Each load scenario prints one JSON line (starting with `{`) and one human line on
stdout, progress on stderr; it exits 1 if deliveries or calls were lost or the
router ended sessions, 2 on bad flags.
";

/// Parses the arguments (without the program name); `None` for --help.
pub fn parse(args: &[String]) -> Result<Option<Options>, LoadError> {
    let usage = LoadError::Usage;
    let Some((name, rest)) = args.split_first() else { return Ok(None) };
    if matches!(name.as_str(), "--help" | "-h" | "help") {
        return Ok(None);
    }
    if name == "table" {
        let [ours, theirs] = rest else {
            return Err(usage("table takes two files of result lines".into()));
        };
        return Ok(Some(Options {
            command: Command::Table { ours: ours.into(), theirs: theirs.into() },
            target: None,
            router_pid: 0,
            label: String::new(),
            connect_concurrency: 1,
            wait: Duration::ZERO,
            timeout: Duration::ZERO,
        }));
    }
    let mut flags = Flags::read(rest)?;
    let url = flags.take("url").ok_or_else(|| usage("--url is needed".into()))?;
    let url = LoopbackUrl::parse(&url).map_err(usage)?;
    let serializer = match flags.take("serializer") {
        None => Serializer::Json,
        Some(name) => serializer_named(&name)
            .ok_or_else(|| usage(format!("--serializer: json or msgpack, not {name:?}")))?,
    };
    let target = Target {
        addr: url.addr,
        path: url.path.unwrap_or_else(|| "/ws".into()),
        realm: flags.take("realm").unwrap_or_else(|| "realm1".into()),
        serializer,
    };
    let router_pid = flags.number("router-pid", None)? as u32;
    let label = flags.take("label").unwrap_or_else(|| "router".into());
    let connect_concurrency = flags.number("connect-concurrency", Some(64))?.max(1) as usize;
    let wait = flags.seconds("wait", 30.0)?;
    let timeout = flags.seconds("timeout", 300.0)?;
    let command = match name.as_str() {
        "events" => Command::Events(EventsPlan {
            subscribers: flags.number("subscribers", Some(1000))? as usize,
            publishers: flags.number("publishers", Some(1))?.max(1) as usize,
            events: flags.number("events", Some(10_000))?,
            window: flags.number("window", Some(100))?.max(1),
            padding: flags.number("padding", Some(0))? as usize,
            duration: flags.seconds("duration", 10.0)?,
            stall: flags.seconds("stall", 10.0)?,
        }),
        "calls" => Command::Calls(CallsPlan {
            callers: flags.number("callers", Some(100))?.max(1) as usize,
            callees: flags.number("callees", Some(1))?.max(1) as usize,
            in_flight: flags.number("in-flight", Some(4))?.max(1) as usize,
            padding: flags.number("padding", Some(0))? as usize,
            warmup: flags.seconds("warmup", 1.0)?,
            duration: flags.seconds("duration", 10.0)?,
        }),
        "idle" => Command::Idle(IdlePlan {
            sessions: flags.number("sessions", Some(5000))?.max(1) as usize,
            settle: flags.seconds("settle", 2.0)?,
            hold: flags.seconds("hold", 3.0)?,
        }),
        other => return Err(usage(format!("unknown scenario {other:?}"))),
    };
    flags.finish(name)?;
    Ok(Some(Options {
        command,
        target: Some(target),
        router_pid,
        label,
        connect_concurrency,
        wait,
        timeout,
    }))
}

/// `--name value` pairs.
struct Flags(HashMap<String, String>);

impl Flags {
    fn read(args: &[String]) -> Result<Self, LoadError> {
        let mut flags = HashMap::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let key = flag
                .strip_prefix("--")
                .ok_or_else(|| LoadError::Usage(format!("unexpected {flag:?}")))?;
            let value =
                it.next().ok_or_else(|| LoadError::Usage(format!("{flag} needs a value")))?;
            flags.insert(key.to_owned(), value.clone());
        }
        Ok(Self(flags))
    }

    fn take(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// A whole number; `default` `None` makes the flag required.
    fn number(&mut self, key: &str, default: Option<u64>) -> Result<u64, LoadError> {
        match (self.take(key), default) {
            (Some(v), _) => {
                v.parse().map_err(|_| LoadError::Usage(format!("--{key}: not a number: {v}")))
            }
            (None, Some(default)) => Ok(default),
            (None, None) => Err(LoadError::Usage(format!("--{key} is needed"))),
        }
    }

    /// Seconds, possibly fractional.
    fn seconds(&mut self, key: &str, default: f64) -> Result<Duration, LoadError> {
        let value = match self.take(key) {
            Some(v) => v
                .parse::<f64>()
                .map_err(|_| LoadError::Usage(format!("--{key}: not a number of seconds: {v}")))?,
            None => default,
        };
        Duration::try_from_secs_f64(value)
            .map_err(|_| LoadError::Usage(format!("--{key}: not a duration: {value}")))
    }

    fn finish(self, scenario: &str) -> Result<(), LoadError> {
        match self.0.keys().next() {
            Some(key) => Err(LoadError::Usage(format!("unknown flag --{key} for {scenario}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    fn parsed(line: &str) -> Options {
        parse(&args(line)).unwrap().unwrap()
    }

    #[test]
    fn defaults_are_the_issues_sizes() {
        let o = parsed("events --url ws://127.0.0.1:9000/ws --router-pid 42");
        assert_eq!(o.router_pid, 42);
        let target = o.target.unwrap();
        assert_eq!((target.path.as_str(), target.realm.as_str()), ("/ws", "realm1"));
        assert_eq!(target.serializer, Serializer::Json);
        let Command::Events(plan) = o.command else { panic!() };
        assert_eq!((plan.subscribers, plan.publishers, plan.events), (1000, 1, 10_000));
        let Command::Calls(plan) =
            parsed("calls --url ws://127.0.0.1:9 --router-pid 1 --serializer msgpack").command
        else {
            panic!()
        };
        assert_eq!((plan.callers, plan.callees, plan.in_flight), (100, 1, 4));
        let o = parsed("idle --url ws://localhost:9/ --router-pid 1 --sessions 20 --settle 0.5");
        let Command::Idle(plan) = o.command else { panic!() };
        assert_eq!((plan.sessions, plan.settle), (20, Duration::from_millis(500)));
        assert_eq!(o.target.unwrap().path, "/ws");
    }

    #[test]
    fn mistakes_are_named() {
        let error = |line: &str| parse(&args(line)).unwrap_err().to_string();
        assert!(error("events --url ws://10.0.0.1:9/ws --router-pid 1").contains("loopback"));
        assert!(error("events --url ws://127.0.0.1:9/ws").contains("--router-pid"));
        assert!(
            error("events --url ws://127.0.0.1:9 --router-pid 1 --colour red")
                .contains("unknown flag --colour")
        );
        assert!(
            error("calls --url ws://127.0.0.1:9 --router-pid 1 --serializer cbor")
                .contains("json or msgpack")
        );
        assert!(error("dance --url ws://127.0.0.1:9 --router-pid 1").contains("unknown scenario"));
        assert!(error("idle --url ws://127.0.0.1:9 --router-pid 1 --hold -1").contains("--hold"));
        assert!(error("table one").contains("two files"));
        assert_eq!(parse(&args("--help")).unwrap(), None);
        assert_eq!(parse(&[]).unwrap(), None);
    }
}
