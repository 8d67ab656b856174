//! What one worker process does, passed on its command line, and how the
//! work is split between workers.

use std::net::SocketAddr;
use std::time::Duration;

use super::scenario::Scenario;
use super::transport::Transport;
use super::wire::Line;

/// Connections one worker holds at most: each is a descriptor, and a
/// process here may hold 20,000.
pub const MAX_PER_WORKER: usize = 18_000;

/// One worker's share of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerPlan {
    /// The scenario.
    pub scenario: Scenario,
    /// The worker's number, from 0.
    pub index: usize,
    /// The run-wide number of its first connection (or cycle): picks
    /// source addresses and handshake keys.
    pub first: usize,
    /// Its connections (echo, broadcast, idle) or cycles (churn).
    pub count: usize,
    /// The servers: run-wide connection `i` goes to `addrs[i % len]`.
    pub addrs: Vec<SocketAddr>,
    /// The request path.
    pub path: String,
    /// Plain WebSocket or session mode (echo, idle).
    pub transport: Transport,
    /// Source addresses, run-wide (127.0.0.1 to 127.0.0.N).
    pub sources: usize,
    /// Message size, bytes.
    pub size: usize,
    /// Messages in flight per connection (echo).
    pub in_flight: usize,
    /// Time between two pings on one connection (idle).
    pub ping_interval: Duration,
    /// Handshakes (or churn cycles) in flight at once.
    pub concurrency: usize,
    /// Echoed messages per churn cycle.
    pub messages_per_cycle: usize,
    /// Churn stops starting cycles after this long.
    pub duration: Duration,
    /// The worker exits after this long, whatever happens.
    pub timeout: Duration,
}

impl WorkerPlan {
    /// The plan as command-line arguments (after `worker`).
    pub fn to_args(&self) -> Vec<String> {
        let ms = |d: Duration| d.as_millis();
        let line = Line::new("plan")
            .with("scenario", self.scenario.name())
            .with("index", self.index)
            .with("first", self.first)
            .with("count", self.count)
            .with("addrs", self.addrs.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))
            .with("path", &self.path)
            .with("transport", self.transport.name())
            .with("sources", self.sources)
            .with("size", self.size)
            .with("in_flight", self.in_flight)
            .with("ping_ms", ms(self.ping_interval))
            .with("concurrency", self.concurrency)
            .with("messages_per_cycle", self.messages_per_cycle)
            .with("duration_ms", ms(self.duration))
            .with("timeout_ms", ms(self.timeout));
        line.to_text().split(' ').skip(1).map(String::from).collect()
    }

    /// Reads what [`to_args`](Self::to_args) wrote.
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        let line = Line::parse(&format!("plan {}", args.join(" ")))?;
        let ms = |key: &str| line.parse_field::<u64>(key).map(Duration::from_millis);
        let scenario = line.parse_field::<String>("scenario")?;
        let transport = line.parse_field::<String>("transport")?;
        Ok(Self {
            scenario: Scenario::parse(&scenario)
                .ok_or_else(|| format!("unknown scenario {scenario:?}"))?,
            index: line.parse_field("index")?,
            first: line.parse_field("first")?,
            count: line.parse_field("count")?,
            addrs: line
                .parse_field::<String>("addrs")?
                .split(',')
                .map(|a| a.parse().map_err(|_| format!("bad address {a:?}")))
                .collect::<Result<_, String>>()?,
            path: line.parse_field("path")?,
            transport: Transport::parse(&transport)
                .ok_or_else(|| format!("unknown transport {transport:?}"))?,
            sources: line.parse_field("sources")?,
            size: line.parse_field("size")?,
            in_flight: line.parse_field("in_flight")?,
            ping_interval: ms("ping_ms")?,
            concurrency: line.parse_field("concurrency")?,
            messages_per_cycle: line.parse_field("messages_per_cycle")?,
            duration: ms("duration_ms")?,
            timeout: ms("timeout_ms")?,
        })
    }
}

/// Splits `total` into `parts` shares as even as can be: `(first, count)`.
pub fn split(total: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.max(1);
    let mut first = 0;
    (0..parts)
        .map(|i| {
            let count = total / parts + usize::from(i < total % parts);
            first += count;
            (first - count, count)
        })
        .collect()
}

/// Worker processes for `connections` held at once, at least `asked`.
pub fn workers_needed(connections: usize, asked: Option<usize>) -> usize {
    asked.unwrap_or(1).max(connections.div_ceil(MAX_PER_WORKER)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_round_trips() {
        let plan = WorkerPlan {
            scenario: Scenario::Broadcast,
            index: 1,
            first: 9000,
            count: 9000,
            addrs: vec!["127.0.0.1:4000".parse().unwrap(), "127.0.0.1:4001".parse().unwrap()],
            path: "/broad cast?x=1%".into(),
            transport: Transport::Sse,
            sources: 2,
            size: 64,
            in_flight: 1,
            ping_interval: Duration::from_millis(2500),
            concurrency: 128,
            messages_per_cycle: 1,
            duration: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        };
        assert_eq!(WorkerPlan::from_args(&plan.to_args()), Ok(plan));
        assert!(WorkerPlan::from_args(&["scenario=echo".into()]).is_err());
    }

    #[test]
    fn splits_evenly() {
        assert_eq!(split(10, 3), [(0, 4), (4, 3), (7, 3)]);
        assert_eq!(split(2, 1), [(0, 2)]);
        assert_eq!(workers_needed(100, None), 1);
        assert_eq!(workers_needed(19_000, None), 2);
        assert_eq!(workers_needed(19_000, Some(3)), 3);
        assert_eq!(workers_needed(40_000, Some(1)), 3);
    }
}
