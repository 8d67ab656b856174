//! A worker's share of the run, as the command line its parent starts it
//! with (`chat-load soak-worker --addr … --worker K …`).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::error::SoakError;
use super::layout::Layout;

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
        let mut flags = HashMap::new();
        for pair in args.chunks(2) {
            let [flag, value] = pair else { return Err(bad(format!("{pair:?} needs a value"))) };
            let key = flag.strip_prefix("--").ok_or_else(|| bad(format!("unexpected {flag:?}")))?;
            flags.insert(key, value.as_str());
        }
        let get = |key: &str| flags.get(key).copied().ok_or_else(|| bad(format!("no --{key}")));
        let number = |key: &str| {
            get(key)?.parse::<usize>().map_err(|_| bad(format!("--{key}: not a whole number")))
        };
        let addr: SocketAddr = get("addr")?.parse().map_err(|e| bad(format!("--addr: {e}")))?;
        if !addr.ip().is_loopback() {
            return Err(bad(format!("--addr {addr}: loopback addresses only")));
        }
        let layout = Layout {
            connections: number("connections")?.max(1),
            rooms: number("rooms")?.max(1),
            workers: number("workers")?.max(1),
        };
        let worker = number("worker")?;
        if worker >= layout.workers || layout.rooms > layout.connections {
            return Err(bad(format!("worker {worker} of {layout:?}")));
        }
        let rate: f64 = get("rate")?.parse().map_err(|_| bad("--rate: not a number".into()))?;
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(bad(format!("--rate {rate}")));
        }
        Ok(Self {
            addr,
            layout,
            worker,
            rate,
            ping_every: Duration::from_millis(number("ping-every-ms")?.max(1) as u64),
            limit: Duration::from_secs(number("limit")? as u64),
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
        assert!(Plan::from_args(&args).is_err());
    }
}
