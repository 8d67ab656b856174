//! Command-line flags of `chat-load`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

/// The usage text.
pub const USAGE: &str = "\
chat-load: load for the capstan-chat server on this machine (loopback only)

Usage: chat-load presence --addr 127.0.0.1:PORT --server-pid PID [--users N] [--step K] [--observers M]
       chat-load flood    --addr 127.0.0.1:PORT --server-pid PID [--connections N] [--duration S]
                          [--rate R] [--db PATH]
       chat-load soak     --addr 127.0.0.1:PORT --server-pid PID [--connections N] [--duration S]
                          [--rate R] [--room-size M] [--processes P] [--ping-every S]
                          [--warmup S] [--json PATH]

presence  N users (10000) join `general` one after another, each waiting for its
          add_user answer; every K joins (1000) prints the bytes each of the first
          M members (3) received per join, and the server's CPU time per join
flood     N connections (200) for S seconds (60), each sending R requests a second
          (9, under the server's default limit of 10): joins of new rooms (leaving
          the oldest when refused too_many_rooms), a message in every fifth room,
          a new name every tenth request, a new connection every fiftieth; every
          5 s prints the server's RSS, the database's size and what was refused
soak      N connections (19000), each named, in a room of about M (190) and out of
          `general`, held by P worker processes (enough for 9500 each, at least 2);
          once all are open, for S seconds (600), each pings every S seconds (30,
          spread out) and checks the pong, and R messages a second (200) go out,
          from every connection in turn, each stamped with its send time; every
          10 s prints the server's RSS; at the end, latency from send to the other
          members (p50, p99, max), deliveries expected and received per room, the
          RSS after the warm-up (60 s) and at the end; --json writes it all. Exits
          1 if a delivery was lost or doubled, a message refused or unanswered, a
          connection dropped or a pong missed
";

/// Parses the arguments (without the program name).
pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let Some((name, rest)) = args.split_first() else { return Ok(None) };
    if name == "--help" || name == "-h" {
        return Ok(None);
    }
    let mut flags = std::collections::HashMap::new();
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let key = flag.strip_prefix("--").ok_or_else(|| format!("unexpected {flag:?}"))?;
        flags.insert(key.to_owned(), value.clone());
    }
    let mut take = |key: &str| flags.remove(key);
    let number = |value: Option<String>, default: usize, key: &str| -> Result<usize, String> {
        value.map_or(Ok(default), |v| v.parse().map_err(|_| format!("--{key}: not a number: {v}")))
    };
    let addr: SocketAddr =
        take("addr").ok_or("--addr is needed")?.parse().map_err(|e| format!("--addr: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("--addr {addr}: loopback addresses only"));
    }
    let server_pid = take("server-pid")
        .ok_or("--server-pid is needed")?
        .parse()
        .map_err(|e| format!("--server-pid: {e}"))?;
    let scenario = match name.as_str() {
        "presence" => Scenario::Presence {
            users: number(take("users"), 10_000, "users")?,
            step: number(take("step"), 1_000, "step")?.max(1),
            observers: number(take("observers"), 3, "observers")?.max(1),
        },
        "flood" => Scenario::Flood {
            connections: number(take("connections"), 200, "connections")?,
            duration: Duration::from_secs(number(take("duration"), 60, "duration")? as u64),
            rate: take("rate")
                .map_or(Ok(9.0), |v| v.parse().map_err(|_| format!("--rate: not a number: {v}")))?,
            db: take("db").map(PathBuf::from),
        },
        "soak" => {
            let seconds =
                |v, default, key| number(v, default, key).map(|s| Duration::from_secs(s as u64));
            let settings = soak::Settings {
                connections: number(take("connections"), 19_000, "connections")?.max(1),
                duration: seconds(take("duration"), 600, "duration")?,
                rate: take("rate").map_or(Ok(200.0), |v| {
                    v.parse()
                        .ok()
                        .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                        .ok_or(format!("--rate: not a rate: {v}"))
                })?,
                room_size: number(take("room-size"), 190, "room-size")?.max(1),
                processes: take("processes")
                    .map(|v| number(Some(v), 0, "processes"))
                    .transpose()?
                    .filter(|&p| p > 0),
                ping_every: seconds(take("ping-every"), 30, "ping-every")?
                    .max(Duration::from_secs(1)),
                warmup: seconds(take("warmup"), 60, "warmup")?,
                json: take("json").map(PathBuf::from),
            };
            Scenario::Soak(settings)
        }
        other => return Err(format!("unknown scenario {other:?}")),
    };
    if let Some(key) = flags.keys().next() {
        return Err(format!("unknown flag --{key} for {name}"));
    }
    Ok(Some(Options { scenario, addr, server_pid }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_and_defaults() {
        let options =
            parse(&args("presence --addr 127.0.0.1:9 --server-pid 5 --users 20")).unwrap();
        let options = options.unwrap();
        assert_eq!(options.scenario, Scenario::Presence { users: 20, step: 1000, observers: 3 });
        assert_eq!(options.server_pid, 5);
        let flood =
            parse(&args("flood --addr 127.0.0.1:9 --server-pid 5 --duration 3")).unwrap().unwrap();
        assert!(
            matches!(flood.scenario, Scenario::Flood { connections: 200, rate, .. } if rate == 9.0)
        );
    }

    #[test]
    fn soak_flags_and_defaults() {
        let options = parse(&args("soak --addr 127.0.0.1:9 --server-pid 5")).unwrap().unwrap();
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
        let line = "soak --addr 127.0.0.1:9 --server-pid 5 --connections 1000 --duration 60 \
                    --rate 50.5 --room-size 100 --processes 3 --ping-every 10 --warmup 20 --json r.json";
        let Scenario::Soak(s) = parse(&args(line)).unwrap().unwrap().scenario else { panic!() };
        assert_eq!((s.connections, s.duration, s.rate), (1000, Duration::from_secs(60), 50.5));
        assert_eq!((s.room_size, s.processes), (100, Some(3)));
        assert_eq!((s.ping_every, s.warmup), (Duration::from_secs(10), Duration::from_secs(20)));
        assert_eq!(s.json, Some(PathBuf::from("r.json")));
        for bad in ["--rate -1", "--rate fast", "--connections lots", "--ping-every 0.5", "--db x"]
        {
            let line = format!("soak --addr 127.0.0.1:9 --server-pid 5 {bad}");
            assert!(parse(&args(&line)).is_err(), "{bad}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        assert!(
            parse(&args("presence --addr 10.0.0.1:9 --server-pid 5"))
                .unwrap_err()
                .contains("loopback")
        );
        assert!(parse(&args("presence --addr 127.0.0.1:9")).unwrap_err().contains("--server-pid"));
        assert!(parse(&args("presence --addr 127.0.0.1:9 --server-pid 5 --colour red")).is_err());
        assert!(parse(&args("dance --addr 127.0.0.1:9 --server-pid 5")).is_err());
        assert_eq!(parse(&args("--help")).unwrap(), None);
    }
}
