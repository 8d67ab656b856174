//! The JSON file `--json` writes: the run's settings, then per mode the
//! server's memory at each phase and what the broadcast cost. Field order
//! is the file's order.

use serde::Serialize;

use super::report::{ModeResult, Report, Snapshot};
use crate::progress::Totals;

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Document<'a> {
    /// Client connections per mode.
    pub connections: usize,
    /// Messages per broadcast.
    pub messages: usize,
    /// Where things ran.
    pub pinning: &'a str,
    /// Clock ticks per second, for the `cpu_*_ticks`.
    pub clock_ticks_per_second: u64,
    /// Bytes per page, for `tcp_mem_pages`.
    pub page_size: u64,
    /// net.core.mem_pcpu_rsv, the granularity of `tcp_mem_pages`.
    pub mem_pcpu_rsv_pages: Option<u64>,
    /// One per mode measured.
    pub results: Vec<ModeJson<'a>>,
}

/// Everything measured for one mode.
#[derive(Debug, Clone, Serialize)]
pub struct ModeJson<'a> {
    /// The mode's name.
    pub mode: &'static str,
    /// The Sec-WebSocket-Extensions answer the clients got.
    pub extensions: Option<&'a str>,
    /// How the server was started.
    pub server_command: &'a str,
    /// The server's threads at the end.
    pub server_threads: usize,
    /// Before the clients connected.
    pub baseline: SnapshotJson,
    /// Every connection open and idle.
    pub idle: SnapshotJson,
    /// After one message each way per connection.
    pub active: SnapshotJson,
    /// After the broadcast.
    pub after_broadcast: SnapshotJson,
    /// RSS growth per connection from the baseline, bytes: idle.
    pub rss_bytes_per_conn_idle: f64,
    /// The same, active.
    pub rss_bytes_per_conn_active: f64,
    /// The same, after the broadcast.
    pub rss_bytes_per_conn_after_broadcast: f64,
    /// The active phase's messages.
    pub echo: EchoJson,
    /// The broadcast.
    pub broadcast: BroadcastJson<'a>,
}

/// Memory readings at one moment.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SnapshotJson {
    /// The server's VmRSS, KiB.
    pub server_rss_kib: u64,
    /// The kernel's TCP sockets in use (system-wide).
    pub tcp_sockets_inuse: u64,
    /// Sockets in TIME_WAIT.
    pub tcp_sockets_time_wait: u64,
    /// Pages charged to TCP socket buffers.
    pub tcp_mem_pages: u64,
    /// The kernel's slab memory, KiB.
    pub slab_kib: u64,
}

/// What the clients received.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TotalsJson {
    /// Data messages.
    pub messages: u64,
    /// Of those, compressed ones.
    pub compressed: u64,
    /// Bytes of their frames, headers included.
    pub wire_bytes: u64,
    /// Ping, pong and close frames.
    pub control_frames: u64,
}

/// The active phase: one message each way per connection.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EchoJson {
    /// Bytes of the JSON texts the clients sent.
    pub text_bytes: u64,
    /// Frame bytes the clients sent.
    pub sent_frame_bytes: u64,
    /// What came back.
    pub received: TotalsJson,
}

/// The broadcast phase.
#[derive(Debug, Clone, Serialize)]
pub struct BroadcastJson<'a> {
    /// Bytes of the M JSON texts, once each.
    pub text_bytes: u64,
    /// What the clients received.
    pub received: TotalsJson,
    /// Server CPU (threads' schedstat), trigger to a short pause after
    /// the last frame.
    pub cpu_ns: u64,
    /// The same, trigger to the last frame received.
    pub cpu_ns_at_last_frame: u64,
    /// Server utime over the same span, clock ticks.
    pub cpu_user_ticks: u64,
    /// Server stime, clock ticks.
    pub cpu_system_ticks: u64,
    /// Trigger to last frame received.
    pub wall_seconds: f64,
    /// Server CPU per broadcast message, ms.
    pub cpu_ms_per_message: f64,
    /// Server CPU per delivered frame, ns.
    pub cpu_ns_per_delivery: f64,
    /// Deliveries per second of wall time.
    pub deliveries_per_second: f64,
    /// The server's answer to "publish M".
    pub server_reply: &'a str,
}

impl<'a> Document<'a> {
    /// The document of `report`.
    pub fn new(report: &'a Report) -> Self {
        Self {
            connections: report.connections,
            messages: report.messages,
            pinning: &report.pinning,
            clock_ticks_per_second: report.ticks_per_second,
            page_size: report.page_size,
            mem_pcpu_rsv_pages: report.mem_pcpu_rsv,
            results: report.results.iter().map(|r| ModeJson::new(r, report)).collect(),
        }
    }

    /// The text of the file.
    pub fn pretty(&self) -> String {
        crate::results_file::pretty(self)
    }
}

impl<'a> ModeJson<'a> {
    fn new(r: &'a ModeResult, report: &Report) -> Self {
        let (n, b) = (report.connections, &r.broadcast);
        Self {
            mode: r.mode.name(),
            extensions: r.extensions.as_deref(),
            server_command: &r.server_command,
            server_threads: r.server_threads,
            baseline: r.baseline.into(),
            idle: r.idle.into(),
            active: r.active.into(),
            after_broadcast: r.after_broadcast.into(),
            rss_bytes_per_conn_idle: r.rss_per_conn(&r.idle, n),
            rss_bytes_per_conn_active: r.rss_per_conn(&r.active, n),
            rss_bytes_per_conn_after_broadcast: r.rss_per_conn(&r.after_broadcast, n),
            echo: EchoJson {
                text_bytes: r.echo.text_bytes,
                sent_frame_bytes: r.echo.sent_bytes,
                received: r.echo.received.into(),
            },
            broadcast: BroadcastJson {
                text_bytes: b.text_bytes,
                received: b.received.into(),
                cpu_ns: b.cpu_ns,
                cpu_ns_at_last_frame: b.cpu_ns_at_last_frame,
                cpu_user_ticks: b.cpu_ticks.user,
                cpu_system_ticks: b.cpu_ticks.system,
                wall_seconds: b.wall.as_secs_f64(),
                cpu_ms_per_message: b.cpu_ns as f64 / 1e6 / report.messages as f64,
                cpu_ns_per_delivery: r.cpu_ns_per_delivery(),
                deliveries_per_second: r.deliveries_per_second(),
                server_reply: &b.reply,
            },
        }
    }
}

impl From<Snapshot> for SnapshotJson {
    fn from(s: Snapshot) -> Self {
        Self {
            server_rss_kib: s.rss_kib,
            tcp_sockets_inuse: s.sockstat.inuse,
            tcp_sockets_time_wait: s.sockstat.tw,
            tcp_mem_pages: s.sockstat.mem_pages,
            slab_kib: s.slab_kib,
        }
    }
}

impl From<Totals> for TotalsJson {
    fn from(t: Totals) -> Self {
        Self {
            messages: t.messages,
            compressed: t.compressed,
            wire_bytes: t.wire_bytes,
            control_frames: t.control_frames,
        }
    }
}
