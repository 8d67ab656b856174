//! loadgen's JSON files read back: the figures the summary compares.
//! Readings loadgen could not take (`null`) are `None`.

use super::loadgen_file::File;

/// An echo run.
#[derive(Debug, Clone, PartialEq)]
pub struct Echo {
    pub connections: u64,
    pub in_flight: u64,
    pub payload_bytes: u64,
    pub echoes_per_second: f64,
    pub server_cpu_us_per_echo: Option<f64>,
    pub rtt_p50_ns: Option<f64>,
    pub rtt_p99_ns: Option<f64>,
    /// Shares of one CPU.
    pub server_cpu_share: Option<f64>,
    pub loadgen_cpu_share: Option<f64>,
    pub connections_lost: u64,
}

/// One offered rate of a broadcast run.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub offered: f64,
    pub deliveries_per_second: f64,
    pub p50_ns: Option<f64>,
    pub p99_ns: Option<f64>,
    pub p999_ns: Option<f64>,
    pub server_cpu_ns_per_delivery: Option<f64>,
    pub missing: u64,
    pub connections_lost: u64,
}

/// A broadcast run.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    pub subscribers: u64,
    pub windows: Vec<Window>,
}

impl Broadcast {
    /// The window with the most deliveries per second.
    pub fn best_window(&self) -> Option<&Window> {
        self.windows
            .iter()
            .max_by(|a, b| a.deliveries_per_second.total_cmp(&b.deliveries_per_second))
    }

    /// The window at an offered rate (within 0.1 %).
    pub fn at(&self, offered: f64) -> Option<&Window> {
        self.windows.iter().find(|w| (w.offered - offered).abs() <= offered * 1e-3)
    }
}

/// An idle run.
#[derive(Debug, Clone, PartialEq)]
pub struct Idle {
    pub connections: u64,
    /// Server RSS growth per connection once open and after holding, KiB.
    pub rss_kib_per_conn_open: Option<f64>,
    pub rss_kib_per_conn_held: Option<f64>,
    /// The kernel's TCP buffer memory and slab growth per connection, KiB
    /// (system-wide: both ends of each loopback connection).
    pub kernel_tcp_kib_per_conn: Option<f64>,
    pub kernel_slab_kib_per_conn: Option<f64>,
    pub connections_lost: u64,
}

/// A churn run.
#[derive(Debug, Clone, PartialEq)]
pub struct Churn {
    pub cycles_asked: u64,
    pub cycles: u64,
    pub failures: u64,
    pub cycles_per_second: f64,
    pub server_cpu_us_per_cycle: Option<f64>,
    /// Cycles run before the reading of RSS before (absent in results
    /// from before the warm-up existed).
    pub warmup_cycles: Option<u64>,
    /// Server RSS, KiB: cold (before any cycle), before the measured cycles
    /// (after the warm-up), right after the last, and 2 s later.
    pub rss_cold_kib: Option<f64>,
    pub rss_before_kib: Option<f64>,
    pub rss_after_kib: Option<f64>,
    pub rss_settled_kib: Option<f64>,
}

impl Churn {
    /// Settled RSS against RSS before, in % (+ for growth).
    pub fn rss_change_percent(&self) -> Option<f64> {
        let (before, settled) = (self.rss_before_kib?, self.rss_settled_kib?);
        (before > 0.0).then(|| (settled - before) / before * 100.0)
    }

    /// Settled RSS against the cold server's, in % (+ for growth): what the
    /// warm-up's first connections add (code pages, the allocator's
    /// high-water mark) counted in.
    pub fn rss_change_from_cold_percent(&self) -> Option<f64> {
        let (cold, settled) = (self.rss_cold_kib?, self.rss_settled_kib?);
        (cold > 0.0).then(|| (settled - cold) / cold * 100.0)
    }
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Figures {
    Echo(Echo),
    Broadcast(Broadcast),
    Idle(Idle),
    Churn(Churn),
}

impl Figures {
    /// The main figures on one line, for progress.
    pub fn headline(&self) -> String {
        use crate::loadgen::report::{rate, thousands};
        let or_dash =
            |v: Option<f64>, digits: usize| v.map_or("–".into(), |v| format!("{v:.digits$}"));
        match self {
            Figures::Echo(e) => format!(
                "{} echoes/s, server CPU {} µs/echo",
                rate(e.echoes_per_second),
                or_dash(e.server_cpu_us_per_echo, 2)
            ),
            Figures::Broadcast(b) => match b.best_window() {
                Some(w) => format!(
                    "most {} deliveries/s (at {} offered)",
                    rate(w.deliveries_per_second),
                    rate(w.offered)
                ),
                None => "no window".into(),
            },
            Figures::Idle(i) => format!(
                "{} connections, server RSS {} KiB/conn",
                thousands(i.connections),
                or_dash(i.rss_kib_per_conn_held, 2)
            ),
            Figures::Churn(c) => format!(
                "{} of {} cycles, {} cycles/s, server RSS {} %",
                thousands(c.cycles),
                thousands(c.cycles_asked),
                rate(c.cycles_per_second),
                c.rss_change_percent().map_or("–".into(), |p| format!("{p:+.1}"))
            ),
        }
    }
}

/// Reads a loadgen JSON file.
pub fn read(path: &std::path::Path) -> Result<Figures, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a loadgen JSON document.
pub fn parse(text: &str) -> Result<Figures, String> {
    match serde_json::from_str::<File>(text) {
        Ok(file) => Ok(file.into()),
        Err(e) if e.is_data() => Err(e.to_string()),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded by a smoke run (`bench-suite --preset smoke --servers
    /// capstan`) of capstan-bench-server.
    fn fixture(name: &str) -> Figures {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/suite")
            .join(format!("{name}--capstan.json"));
        read(&path).unwrap()
    }

    #[test]
    fn echo() {
        let Figures::Echo(e) = fixture("echo-512") else { panic!() };
        assert_eq!((e.connections, e.in_flight, e.payload_bytes), (10, 1, 512));
        assert!(e.echoes_per_second > 0.0);
        assert!(e.server_cpu_us_per_echo.unwrap() > 0.0);
        assert!(e.rtt_p99_ns.unwrap() >= e.rtt_p50_ns.unwrap());
        assert!(e.loadgen_cpu_share.is_some());
        assert_eq!(e.connections_lost, 0);
    }

    #[test]
    fn broadcast() {
        let Figures::Broadcast(b) = fixture("broadcast") else { panic!() };
        assert_eq!(b.subscribers, 10);
        let offered: Vec<f64> = b.windows.iter().map(|w| w.offered).collect();
        assert_eq!(offered, [20_000.0, 100_000.0]);
        assert!(b.at(20_000.0).unwrap().p99_ns.is_some());
        assert!(b.at(30_000.0).is_none());
        assert!(b.best_window().unwrap().deliveries_per_second > 0.0);
        assert!(b.windows.iter().all(|w| w.server_cpu_ns_per_delivery.is_some()));
    }

    #[test]
    fn idle_and_churn() {
        let Figures::Idle(i) = fixture("idle") else { panic!() };
        assert_eq!(i.connections, 10);
        assert!(i.rss_kib_per_conn_held.is_some() && i.kernel_tcp_kib_per_conn.is_some());
        let Figures::Churn(c) = fixture("churn") else { panic!() };
        assert_eq!((c.cycles_asked, c.cycles, c.failures), (200, 200, 0));
        assert!(c.rss_before_kib.is_some() && c.rss_settled_kib.is_some());
        assert!(c.rss_change_percent().is_some());
    }

    #[test]
    fn unknown_readings_and_errors() {
        let text = r#"{"scenario": "idle", "connections": 3, "server_rss_kib_per_conn_held": null,
                       "connections_lost": 0}"#;
        let Ok(Figures::Idle(i)) = parse(text) else { panic!() };
        assert_eq!(i.rss_kib_per_conn_held, None);
        assert!(parse("{").unwrap_err().starts_with("not JSON"));
        assert!(parse(r#"{"scenario": "flood"}"#).is_err());
        let missing = parse(r#"{"scenario": "echo"}"#).unwrap_err();
        assert!(missing.starts_with("missing field `connections`"), "{missing}");
        let not_whole = parse(r#"{"scenario": "idle", "connections": 2.5, "connections_lost": 0}"#);
        assert!(not_whole.unwrap_err().starts_with("invalid type: floating point `2.5`"));
        let churn = Churn {
            cycles_asked: 1,
            cycles: 1,
            failures: 0,
            cycles_per_second: 1.0,
            server_cpu_us_per_cycle: None,
            warmup_cycles: Some(10),
            rss_cold_kib: Some(3500.0),
            rss_before_kib: Some(4000.0),
            rss_after_kib: None,
            rss_settled_kib: Some(4200.0),
        };
        assert_eq!(churn.rss_change_percent(), Some(5.0));
        assert_eq!(churn.rss_change_from_cold_percent(), Some(20.0));
    }

    /// What loadgen's document structs write, read back: a field renamed
    /// on one side only fails here.
    #[test]
    fn reads_what_loadgen_writes() {
        use crate::loadgen::measure::document::Document;
        use crate::loadgen::measure::{broadcast, churn, echo, idle};
        let read = |d: Document| parse(&d.pretty()).unwrap();

        let Figures::Echo(e) = read(Document::Echo(echo::tests::sample())) else { panic!() };
        let written = echo::tests::sample();
        assert_eq!((e.connections, e.in_flight, e.payload_bytes), (4, 1, 512));
        assert_eq!(e.echoes_per_second, written.echoes_per_second);
        assert_eq!(e.server_cpu_us_per_echo, written.server_cpu_us_per_echo);
        assert_eq!(e.rtt_p50_ns, written.rtt.p50_ns.map(|ns| ns as f64));
        assert_eq!(e.rtt_p99_ns, written.rtt.p99_ns.map(|ns| ns as f64));
        assert_eq!(e.server_cpu_share, written.server_cpu_share);
        assert_eq!(e.loadgen_cpu_share, Some(written.loadgen_cpu_share));
        assert_eq!(e.connections_lost, written.connections_lost);

        let written = broadcast::tests::sample();
        let Figures::Broadcast(b) = read(Document::Broadcast(written.clone())) else { panic!() };
        let (w, ww) = (&b.windows[0], &written.windows[0]);
        assert_eq!((b.subscribers, b.windows.len()), (20, 1));
        assert_eq!((w.offered, w.deliveries_per_second), (2000.0, ww.deliveries_per_second));
        assert_eq!(w.p999_ns, ww.latency.p999_ns.map(|ns| ns as f64));
        assert_eq!(w.server_cpu_ns_per_delivery, ww.server_cpu_ns_per_delivery);
        assert_eq!((w.missing, w.connections_lost), (ww.missing, ww.connections_lost));

        let written = idle::tests::sample();
        let Figures::Idle(i) = read(Document::Idle(written.clone())) else { panic!() };
        assert_eq!(i.connections, 20);
        assert_eq!(i.rss_kib_per_conn_open, written.server_rss_kib_per_conn_open);
        assert_eq!(i.rss_kib_per_conn_held, written.server_rss_kib_per_conn_held);
        assert_eq!(i.kernel_tcp_kib_per_conn, Some(written.kernel_tcp_mem_kib_per_conn));
        assert_eq!(i.kernel_slab_kib_per_conn, Some(written.kernel_slab_kib_per_conn));

        let written = churn::tests::sample();
        let Figures::Churn(c) = read(Document::Churn(written.clone())) else { panic!() };
        assert_eq!((c.cycles_asked, c.cycles, c.failures), (200, 200, 0));
        assert_eq!(c.cycles_per_second, written.cycles_per_second);
        assert_eq!(c.server_cpu_us_per_cycle, written.server_cpu_us_per_cycle);
        assert_eq!(c.warmup_cycles, Some(1000));
        let rss = |s: &crate::loadgen::snapshot::Snapshot| s.rss_kib().map(|k| k as f64);
        assert_eq!(c.rss_cold_kib, rss(&written.cold));
        assert_eq!(c.rss_before_kib, rss(&written.before));
        assert_eq!(c.rss_after_kib, rss(&written.after));
        assert_eq!(c.rss_settled_kib, rss(&written.settled));
    }
}
