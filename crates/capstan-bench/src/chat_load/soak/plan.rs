//! A worker's share of the run, as the command line its parent starts it
//! with (`chat-load soak-worker --addr … --worker K …`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;

use super::error::SoakError;
use super::layout::Layout;

/// A worker's command line (after `soak-worker`), as [`Plan::to_args`]
/// writes it: every flag required.
#[derive(Debug, Parser)]
#[command(name = "chat-load soak-worker", no_binary_name = true, args_override_self = true)]
struct Flags {
    /// The chat server (loopback).
    #[arg(long)]
    addr: SocketAddr,
    /// Connections in the whole run.
    #[arg(long)]
    connections: usize,
    /// Rooms in the whole run.
    #[arg(long)]
    rooms: usize,
    /// Worker processes in the whole run.
    #[arg(long)]
    workers: usize,
    /// This worker's number.
    #[arg(long)]
    worker: usize,
    /// Messages per second over the whole run.
    #[arg(long, allow_negative_numbers = true)]
    rate: f64,
    /// Between two pings of one connection, milliseconds.
    #[arg(long)]
    ping_every_ms: u64,
    /// Seconds after which the worker exits by itself.
    #[arg(long)]
    limit: u64,
}

/// What one worker does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The chat server (loopback).
    pub addr: SocketAddr,
    /// The whole run's layout.
    pub layout: Layout,
    /// This worker's number in it.
    pub worker: usize,
    /// Messages per second over the whole run (this worker sends its share).
    pub rate: f64,
    /// Between two pings of one connection.
    pub ping_every: Duration,
    /// The worker exits by itself after this long, whatever happens.
    pub limit: Duration,
}

impl Plan {
    /// The arguments that start this worker (after `soak-worker`).
    pub fn to_args(&self) -> Vec<String> {
        [
            ("addr", self.addr.to_string()),
            ("connections", self.layout.connections.to_string()),
            ("rooms", self.layout.rooms.to_string()),
            ("workers", self.layout.workers.to_string()),
            ("worker", self.worker.to_string()),
            ("rate", self.rate.to_string()),
            ("ping-every-ms", self.ping_every.as_millis().to_string()),
            ("limit", self.limit.as_secs().to_string()),
        ]
        .into_iter()
        .flat_map(|(k, v)| [format!("--{k}"), v])
        .collect()
    }

    /// Reads what [`to_args`](Self::to_args) wrote.
    pub fn from_args(args: &[String]) -> Result<Self, SoakError> {
        let bad = |why: String| SoakError::Plan(why);
        // clap's message on one line, without its usage: the parent shows it.
        let flags = Flags::try_parse_from(args).map_err(|e| {
            let text = e.to_string();
            let lines = text.lines().take_while(|line| !line.is_empty());
            bad(lines.map(str::trim).collect::<Vec<_>>().join(" "))
        })?;
        let addr = flags.addr;
        if !addr.ip().is_loopback() {
            return Err(bad(format!("--addr {addr}: loopback addresses only")));
        }
        let layout = Layout {
            connections: flags.connections.max(1),
            rooms: flags.rooms.max(1),
            workers: flags.workers.max(1),
        };
        let worker = flags.worker;
        if worker >= layout.workers || layout.rooms > layout.connections {
            return Err(bad(format!("worker {worker} of {layout:?}")));
        }
        let rate = flags.rate;
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(bad(format!("--rate {rate}")));
        }
        Ok(Self {
            addr,
            layout,
            worker,
            rate,
            ping_every: Duration::from_millis(flags.ping_every_ms.max(1)),
            limit: Duration::from_secs(flags.limit),
        })
    }

    /// This worker's messages per second: its share of the connections'.
    pub fn own_rate(&self) -> f64 {
        self.rate * self.layout.connections_of(self.worker).len() as f64
            / self.layout.connections as f64
    }

    /// The address its connections leave from: 127.0.0.2 for worker 0,
    /// 127.0.0.3 for worker 1…, each below the ~28,000 ephemeral ports of
    /// one address, and apart from what else on the machine uses 127.0.0.1.
    pub fn source(&self) -> Option<IpAddr> {
        let octet = u8::try_from(self.worker + 2).ok().filter(|&o| o < 255)?;
        self.addr.is_ipv4().then_some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, octet)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            addr: "127.0.0.1:9000".parse().unwrap(),
            layout: Layout::new(19_000, 190, None),
            worker: 1,
            rate: 200.0,
            ping_every: Duration::from_secs(30),
            limit: Duration::from_secs(1_200),
        }
    }

    #[test]
    fn round_trips_as_arguments() {
        let p = plan();
        assert_eq!(Plan::from_args(&p.to_args()).unwrap(), p);
        assert_eq!(p.own_rate(), 100.0);
        assert_eq!(p.source(), Some("127.0.0.3".parse().unwrap()));
    }

    #[test]
    fn refuses_what_makes_no_sense() {
        let mut args = plan().to_args();
        args[1] = "10.1.1.1:9000".into();
        assert!(Plan::from_args(&args).unwrap_err().to_string().contains("loopback"));
        let mut args = plan().to_args();
        args[9] = "2".into(); // --worker 2 of 2
        assert!(Plan::from_args(&args).is_err());
        assert!(Plan::from_args(&["--addr".into()]).is_err());
        let mut args = plan().to_args();
        args[11] = "-1".into(); // --rate
        assert!(Plan::from_args(&args).unwrap_err().to_string().contains("--rate -1"));
        // Every flag is needed, and no other is taken; clap's message on one
        // line.
        let error = Plan::from_args(&plan().to_args()[2..]).unwrap_err().to_string();
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(error.contains("--addr"), "{error}");
        let mut args = plan().to_args();
        args.extend(["--colour".into(), "red".into()]);
        assert!(Plan::from_args(&args).unwrap_err().to_string().contains("--colour"));
    }

    #[test]
    fn a_ping_interval_of_zero_is_a_millisecond() {
        let mut args = plan().to_args();
        args[13] = "0".into(); // --ping-every-ms
        assert_eq!(Plan::from_args(&args).unwrap().ping_every, Duration::from_millis(1));
    }
}
