//! loadgen's JSON file as bench-suite reads it back: only the figures it
//! compares, under the names loadgen writes them (src/loadgen/measure).
//! A reading loadgen could not take (`null`), or a field an older file
//! lacks, is `None`; other fields are ignored.

use serde::Deserialize;

use super::results::{Broadcast, Churn, Echo, Figures, Idle, Window};

/// A file, by its `scenario`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "scenario", rename_all = "lowercase")]
pub enum File {
    /// An echo run.
    Echo(EchoFile),
    /// A broadcast run.
    Broadcast(BroadcastFile),
    /// An idle run.
    Idle(IdleFile),
    /// A churn run.
    Churn(ChurnFile),
}

/// A latency summary's quantiles, ns.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Latency {
    /// Median.
    pub p50_ns: Option<f64>,
    /// 99th percentile.
    pub p99_ns: Option<f64>,
    /// 99.9th percentile.
    pub p999_ns: Option<f64>,
}

/// An echo run's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct EchoFile {
    /// Connections.
    pub connections: u64,
    /// Messages in flight per connection.
    pub in_flight: u64,
    /// Message size.
    pub payload_bytes: u64,
    /// Echoes per second.
    pub echoes_per_second: f64,
    /// Server CPU per echo, µs.
    pub server_cpu_us_per_echo: Option<f64>,
    /// Round trips.
    #[serde(default)]
    pub rtt: Latency,
    /// Server CPU, share of one CPU.
    pub server_cpu_share: Option<f64>,
    /// loadgen's CPU, share of one CPU.
    pub loadgen_cpu_share: Option<f64>,
    /// Connections lost.
    pub connections_lost: u64,
}

/// A broadcast run's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct BroadcastFile {
    /// Subscribers.
    pub subscribers: u64,
    /// One per offered rate.
    pub windows: Vec<WindowFile>,
}

/// One offered rate of a broadcast run.
#[derive(Debug, Clone, Deserialize)]
pub struct WindowFile {
    /// Deliveries per second offered.
    pub offered_deliveries_per_second: f64,
    /// Deliveries per second achieved.
    pub deliveries_per_second: f64,
    /// Publisher's send to a subscriber's read.
    #[serde(default)]
    pub latency: Latency,
    /// Server CPU per delivery, ns.
    pub server_cpu_ns_per_delivery: Option<f64>,
    /// Deliveries that never arrived.
    pub missing: u64,
    /// Connections lost.
    pub connections_lost: u64,
}

/// An idle run's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct IdleFile {
    /// Connections held.
    pub connections: u64,
    /// Server RSS growth per connection once open, KiB.
    pub server_rss_kib_per_conn_open: Option<f64>,
    /// The same after holding.
    pub server_rss_kib_per_conn_held: Option<f64>,
    /// The kernel's TCP buffer memory per connection, KiB.
    pub kernel_tcp_mem_kib_per_conn: Option<f64>,
    /// The kernel's slab growth per connection, KiB.
    pub kernel_slab_kib_per_conn: Option<f64>,
    /// Connections lost.
    pub connections_lost: u64,
}

/// A churn run's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct ChurnFile {
    /// Cycles asked for.
    pub cycles_asked: u64,
    /// Cycles run.
    pub cycles: u64,
    /// Cycles that failed.
    pub failures: u64,
    /// Cycles per second.
    pub cycles_per_second: f64,
    /// Server CPU per cycle, µs.
    pub server_cpu_us_per_cycle: Option<f64>,
    /// Warm-up cycles (absent in files from before the warm-up existed).
    pub warmup_cycles: Option<u64>,
    /// Readings before any cycle.
    #[serde(default)]
    pub cold: Readings,
    /// Before the measured cycles.
    #[serde(default)]
    pub before: Readings,
    /// Right after the last.
    #[serde(default)]
    pub after: Readings,
    /// A settling pause later.
    #[serde(default)]
    pub settled: Readings,
}

/// Readings at one moment: the server's (its processes added up).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct Readings {
    /// `None`: no server process known.
    pub server: Option<Server>,
}

/// The server's resident memory.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Server {
    /// VmRSS, KiB.
    pub rss_kib: Option<f64>,
}

impl Readings {
    fn rss_kib(self) -> Option<f64> {
        self.server?.rss_kib
    }
}

impl From<File> for Figures {
    fn from(file: File) -> Self {
        match file {
            File::Echo(e) => Figures::Echo(Echo {
                connections: e.connections,
                in_flight: e.in_flight,
                payload_bytes: e.payload_bytes,
                echoes_per_second: e.echoes_per_second,
                server_cpu_us_per_echo: e.server_cpu_us_per_echo,
                rtt_p50_ns: e.rtt.p50_ns,
                rtt_p99_ns: e.rtt.p99_ns,
                server_cpu_share: e.server_cpu_share,
                loadgen_cpu_share: e.loadgen_cpu_share,
                connections_lost: e.connections_lost,
            }),
            File::Broadcast(b) => Figures::Broadcast(Broadcast {
                subscribers: b.subscribers,
                windows: b
                    .windows
                    .into_iter()
                    .map(|w| Window {
                        offered: w.offered_deliveries_per_second,
                        deliveries_per_second: w.deliveries_per_second,
                        p50_ns: w.latency.p50_ns,
                        p99_ns: w.latency.p99_ns,
                        p999_ns: w.latency.p999_ns,
                        server_cpu_ns_per_delivery: w.server_cpu_ns_per_delivery,
                        missing: w.missing,
                        connections_lost: w.connections_lost,
                    })
                    .collect(),
            }),
            File::Idle(i) => Figures::Idle(Idle {
                connections: i.connections,
                rss_kib_per_conn_open: i.server_rss_kib_per_conn_open,
                rss_kib_per_conn_held: i.server_rss_kib_per_conn_held,
                kernel_tcp_kib_per_conn: i.kernel_tcp_mem_kib_per_conn,
                kernel_slab_kib_per_conn: i.kernel_slab_kib_per_conn,
                connections_lost: i.connections_lost,
            }),
            File::Churn(c) => Figures::Churn(Churn {
                cycles_asked: c.cycles_asked,
                cycles: c.cycles,
                failures: c.failures,
                cycles_per_second: c.cycles_per_second,
                server_cpu_us_per_cycle: c.server_cpu_us_per_cycle,
                warmup_cycles: c.warmup_cycles,
                rss_cold_kib: c.cold.rss_kib(),
                rss_before_kib: c.before.rss_kib(),
                rss_after_kib: c.after.rss_kib(),
                rss_settled_kib: c.settled.rss_kib(),
            }),
        }
    }
}
