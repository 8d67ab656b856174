//! Command-line flags of `chat-load`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

presence  N users (10000) join `general` one after another, each waiting for its
          add_user answer; every K joins (1000) prints the bytes each of the first
          M members (3) received per join, and the server's CPU time per join
flood     N connections (200) for S seconds (60), each sending R requests a second
          (9, under the server's default limit of 10): joins of new rooms (leaving
          the oldest when refused too_many_rooms), a message in every fifth room,
          a new name every tenth request, a new connection every fiftieth; every
          5 s prints the server's RSS, the database's size and what was refused
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
