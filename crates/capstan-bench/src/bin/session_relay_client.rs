//! One participant of a relay through cuts: a resuming session client
//! (capstan_testkit::session_client) on a route that passes each message to
//! every other session (session_echo's `/relay`), sending COUNT numbered
//! messages `SENDER:n` and checking it gets each PEER's COUNT, once each
//! and in order. The browser test crates/capstan-chat/tests/browser/
//! cuts.test.mjs runs it behind a proxy that cuts every connection.
//!
//!   session-relay-client ws://127.0.0.1:PORT/relay SENDER COUNT PEER[,PEER…]
//!       [--go-on-stdin] [--timeout-secs N]
//!
//! Prints `open SID` on stderr once its session is welcomed; with
//! --go-on-stdin, sends nothing before a line on stdin (so that every
//! peer's session exists before anyone sends: the relay passes a message
//! on to the sessions there are). Then one JSON line on stdout: what it
//! sent, per peer what it received (in order, duplicates, out of order,
//! missing), the resumes it saw, whether it completed; exit status 0 only
//! when complete and clean. Bounded by --timeout-secs (default 240).

use std::collections::BTreeMap;
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use capstan::Message;
use capstan_bench::stdin_lines::stdin_lines;
use capstan_testkit::session_client::{SessionClient, SessionConfig, SessionEvent};
use clap::Parser;
use serde_json::json;

/// What `--help` says after the arguments.
const AFTER_HELP: &str = "Prints `open SID` on stderr once its session is welcomed, then one JSON \
                          line on stdout: what it sent, per peer what it received (in order, \
                          duplicates, out of order, missing), the resumes it saw, whether it \
                          completed. Exit status 0 only when complete and clean.";

/// One participant of a relay through cuts: a resuming session client
/// sending COUNT numbered messages `SENDER:n` to URL and checking it gets
/// each PEER's COUNT, once each and in order.
#[derive(Debug, Parser)]
#[command(name = "session-relay-client", args_override_self = true, after_help = AFTER_HELP)]
struct Args {
    /// The relay route, ws://HOST:PORT/PATH.
    #[arg(value_parser = ws_url)]
    url: Target,

    /// This participant's name, sent as `SENDER:n`.
    sender: String,

    /// How many messages each participant sends.
    count: u64,

    /// The other participants, comma-separated: PEER[,PEER…].
    #[arg(value_name = "PEERS")]
    peers: String,

    /// Send nothing before a line on stdin (so that every peer's session
    /// exists before anyone sends: the relay passes a message on to the
    /// sessions there are).
    #[arg(long)]
    go_on_stdin: bool,

    /// Give up after this many seconds.
    #[arg(long, value_name = "N", default_value_t = 240)]
    timeout_secs: u64,
}

impl Args {
    /// The peers' names, empty ones left out.
    fn peer_names(&self) -> Vec<String> {
        self.peers.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect()
    }

    /// The bound on the whole run.
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// Where the relay is: the URL's address, resolved, and its path.
#[derive(Clone, Debug, PartialEq)]
struct Target {
    addr: SocketAddr,
    path: String,
}

/// Parses `ws://HOST:PORT[/PATH]` (the path is `/` when left out).
fn ws_url(url: &str) -> Result<Target, String> {
    let rest = url.strip_prefix("ws://").ok_or("the URL must be ws://HOST:PORT/PATH")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or(format!("{authority}: no address"))?;
    Ok(Target { addr, path: format!("/{path}") })
}

/// What arrived from one peer.
#[derive(Default)]
struct FromPeer {
    seen: Vec<bool>,
    highest: u64,
    in_order: u64,
    duplicates: u64,
    out_of_order: u64,
}

impl FromPeer {
    fn take(&mut self, n: u64, count: u64) {
        if self.seen.is_empty() {
            self.seen = vec![false; count as usize + 1];
        }
        let Some(seen) = self.seen.get_mut(n as usize) else {
            self.out_of_order += 1; // a number beyond COUNT
            return;
        };
        if *seen {
            self.duplicates += 1;
        } else if n == self.highest + 1 {
            self.in_order += 1;
        } else {
            self.out_of_order += 1;
        }
        *seen = true;
        self.highest = self.highest.max(n);
    }

    fn distinct(&self) -> u64 {
        self.seen.iter().skip(1).filter(|s| **s).count() as u64
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // --help, or a usage error: printed, exit status 0 or 2.
    let args = Args::parse();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + args.timeout();
    let mut client = SessionClient::start(SessionConfig::new(args.url.addr, &args.url.path));
    let sender = client.sender();
    let mut peers: BTreeMap<String, FromPeer> =
        args.peer_names().into_iter().map(|p| (p, FromPeer::default())).collect();
    let mut unexpected = 0u64;
    let mut resumes = 0u64;
    let mut closed = None;
    let mut go = if args.go_on_stdin { Some(stdin_lines()) } else { None };
    let mut sending: Option<tokio::task::JoinHandle<u64>> = None;
    let mut started_sending = false;
    let mut sent = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let complete = loop {
        let received_all = peers.values().all(|p| p.distinct() == args.count);
        if sent == args.count && received_all && sender.unacknowledged() == 0 {
            break true;
        }
        tokio::select! {
            event = client.next_event() => match event {
                Some(SessionEvent::Opened { sid }) => eprintln!("open {sid}"),
                Some(SessionEvent::Resumed) => resumes += 1,
                Some(SessionEvent::Message(message)) => {
                    let parsed = message.as_text().and_then(|t| t.rsplit_once(':'));
                    match parsed.and_then(|(peer, n)| Some((peers.get_mut(peer)?, n.parse().ok()?))) {
                        Some((from, n)) => from.take(n, args.count),
                        None => unexpected += 1,
                    }
                }
                Some(SessionEvent::Closed { code, reason }) => {
                    closed = Some(json!({ "code": code, "reason": reason }));
                    break false;
                }
                None => break false,
            },
            line = async { go.as_mut()?.recv().await }, if go.is_some() && sending.is_none() => {
                let _ = line;
                go = None;
            }
            done = async { sending.as_mut().expect("sending").await }, if sending.is_some() => {
                sent = done.unwrap_or(0);
                sending = None;
            }
            _ = tick.tick() => {}
            _ = tokio::time::sleep_until(deadline) => break false,
        }
        // Sending starts at once (queued until the welcome), or when told
        // to with --go-on-stdin; paced by what the server has not
        // acknowledged (SessionSender::send waits).
        if !started_sending && go.is_none() {
            started_sending = true;
            let sender = sender.clone();
            let (name, count) = (args.sender.clone(), args.count);
            sending = Some(tokio::spawn(async move {
                for n in 1..=count {
                    if sender.send(Message::text(format!("{name}:{n}"))).await.is_err() {
                        return n - 1;
                    }
                }
                count
            }));
        }
    };
    if let Some(task) = sending.take() {
        task.abort();
    }
    let received: serde_json::Map<String, serde_json::Value> = peers
        .iter()
        .map(|(peer, from)| {
            let distinct = from.distinct();
            let result = json!({
                "received": from.in_order + from.duplicates + from.out_of_order,
                "in_order": from.in_order,
                "duplicates": from.duplicates,
                "out_of_order": from.out_of_order,
                "missing": args.count - distinct.min(args.count),
            });
            (peer.clone(), result)
        })
        .collect();
    let clean =
        received.values().all(|r| r["in_order"] == args.count && r["received"] == args.count);
    let result = json!({
        "sender": args.sender,
        "sent": sent,
        "unacknowledged": sender.unacknowledged(),
        "received": received,
        "unexpected": unexpected,
        "resumes": resumes,
        "closed": closed,
        "complete": complete,
        "elapsed_ms": started.elapsed().as_millis() as u64,
    });
    println!("{result}");
    client.close();
    if complete && clean && unexpected == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

#[cfg(test)]
mod tests {
    use super::*;

    use clap::CommandFactory;
    use clap::error::ErrorKind;

    /// The arguments of one line, split at whitespace, after the program name.
    fn parse(line: &str) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("session-relay-client").chain(line.split_whitespace()))
    }

    #[test]
    fn the_four_positionals_and_the_defaults() {
        let args = parse("ws://127.0.0.1:9000/relay rust 50 alice,,bob").unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], 9000));
        assert_eq!(args.url, Target { addr, path: "/relay".into() });
        assert_eq!((args.sender.as_str(), args.count), ("rust", 50));
        assert_eq!(args.peer_names(), ["alice", "bob"], "empty names left out");
        assert!(!args.go_on_stdin);
        assert_eq!(args.timeout(), Duration::from_secs(240), "the default bound");
    }

    #[test]
    fn flags_anywhere_among_the_positionals() {
        let line =
            "--go-on-stdin ws://127.0.0.1:9000 rust --timeout-secs 1 3 alice --timeout-secs 7";
        let args = parse(line).unwrap();
        assert_eq!(args.url.path, "/", "no path: the root");
        assert_eq!(args.count, 3);
        assert_eq!(args.peer_names(), ["alice"]);
        assert!(args.go_on_stdin);
        assert_eq!(args.timeout(), Duration::from_secs(7), "the last --timeout-secs");
    }

    #[test]
    fn refusals_are_usage_errors() {
        for bad in [
            "",
            "ws://127.0.0.1:9000/relay rust 50",
            "ws://127.0.0.1:9000/relay rust 50 alice extra",
            "http://127.0.0.1:9000/relay rust 50 alice",
            "ws://127.0.0.1/relay rust 50 alice",
            "ws://127.0.0.1:9000/relay rust many alice",
            "ws://127.0.0.1:9000/relay rust 50 alice --timeout-secs",
            "ws://127.0.0.1:9000/relay rust 50 alice --timeout-secs soon",
            "ws://127.0.0.1:9000/relay rust 50 alice --bogus",
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}: {error}");
        }
    }

    #[test]
    fn help_says_the_usage_and_the_output() {
        assert_eq!(parse("--help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        let help = Args::command().render_long_help().to_string();
        for said in [
            "Usage: session-relay-client [OPTIONS] <URL> <SENDER> <COUNT> <PEERS>",
            "--go-on-stdin",
            "--timeout-secs <N>",
            "[default: 240]",
            "open SID",
            "Exit status 0 only when complete and clean",
        ] {
            assert!(help.contains(said), "{said:?} in\n{help}");
        }
    }
}
