//! What the admin page shows of the server's traffic: the application
//! implements [`AdminSource`] over its counters, the feed samples it once
//! a second and turns the cumulative counters into rates itself.

use std::collections::BTreeMap;

/// The server's counters at one instant. Counters (`*_total`, `closes`)
/// only grow; `connections_open` is a gauge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminSample {
    /// WebSocket connections open now.
    pub connections_open: u64,
    /// Connections accepted since the server started.
    pub connections_accepted_total: u64,
    /// Messages received from clients since the start.
    pub messages_in_total: u64,
    /// Messages sent to clients since the start.
    pub messages_out_total: u64,
    /// Payload bytes received since the start.
    pub bytes_in_total: u64,
    /// Payload bytes sent since the start.
    pub bytes_out_total: u64,
    /// Connections closed since the start, by cause (`peer_closed`,
    /// `slow_consumer`, …: names of the application's choosing).
    pub closes: BTreeMap<String, u64>,
}

/// Where the admin page's numbers come from: implemented by the
/// application (over `capstan::stats`, or counters of its own). Called
/// once a second by one task, whatever the number of admin pages open;
/// it should only read counters.
pub trait AdminSource: Send + Sync + 'static {
    /// The counters now.
    fn sample(&self) -> AdminSample;
}

impl<F> AdminSource for F
where
    F: Fn() -> AdminSample + Send + Sync + 'static,
{
    fn sample(&self) -> AdminSample {
        self()
    }
}

/// The admin page's numbers from capstan's own counters
/// (`capstan::stats`): what any Capstan server has without counting
/// anything itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct CapstanStats;

impl AdminSource for CapstanStats {
    fn sample(&self) -> AdminSample {
        let now = capstan::stats::snapshot();
        AdminSample {
            connections_open: now.open,
            connections_accepted_total: now.accepted_plain + now.accepted_tls,
            messages_in_total: now.messages_in,
            messages_out_total: now.messages_out,
            bytes_in_total: now.bytes_in,
            bytes_out_total: now.bytes_out,
            closes: now
                .closed
                .iter()
                .filter(|(_, count)| *count > 0)
                .map(|(kind, count)| (kind.label().to_owned(), count))
                .collect(),
        }
    }
}
