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
use serde_json::json;

struct Args {
    addr: SocketAddr,
    path: String,
    sender: String,
    count: u64,
    peers: Vec<String>,
    go_on_stdin: bool,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut go_on_stdin = false;
    let mut timeout = Duration::from_secs(240);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--go-on-stdin" => go_on_stdin = true,
            "--timeout-secs" => {
                let secs = args.next().and_then(|s| s.parse().ok()).ok_or("--timeout-secs N")?;
                timeout = Duration::from_secs(secs);
            }
            _ => positional.push(arg),
        }
    }
    let [url, sender, count, peers] = <[String; 4]>::try_from(positional)
        .map_err(|_| "usage: session-relay-client URL SENDER COUNT PEER[,PEER…] [--go-on-stdin] [--timeout-secs N]")?;
    let rest = url.strip_prefix("ws://").ok_or("the URL must be ws://HOST:PORT/PATH")?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let addr = authority
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or(format!("{authority}: no address"))?;
    Ok(Args {
        addr,
        path: format!("/{path}"),
        sender,
        count: count.parse().map_err(|_| format!("COUNT: {count}"))?,
        peers: peers.split(',').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        go_on_stdin,
        timeout,
    })
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
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("{why}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + args.timeout;
    let mut client = SessionClient::start(SessionConfig::new(args.addr, &args.path));
    let sender = client.sender();
    let mut peers: BTreeMap<String, FromPeer> =
        args.peers.iter().map(|p| (p.clone(), FromPeer::default())).collect();
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
