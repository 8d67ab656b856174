//! The suite's charts, drawn from the records: server CPU per echo,
//! broadcast deliveries achieved against offered and p99 latency at
//! 20,000/s offered, and idle memory per connection.

use super::plan::{P99_RATE, Scenario};
use plotters::style::RGBColor;

use super::plot::{self, Bar, Colour, Series};
use super::record::Records;
use super::servers::Server;
use crate::loadgen::report::{latency, thousands};

/// A chart: its file name, a title (the alt text of its link) and the SVG.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file: String,
    pub title: String,
    pub svg: String,
}

/// A colour per server that stays the same in every chart: one hue per
/// library, darker for the tuned configuration.
pub fn colour(server: &Server) -> Colour {
    const COLOURS: [Colour; 10] = [
        RGBColor(214, 39, 40),   // capstan
        RGBColor(140, 180, 230), // tungstenite default
        RGBColor(31, 90, 180),   // tungstenite tuned
        RGBColor(150, 215, 140), // fastwebsockets default
        RGBColor(30, 130, 50),   // fastwebsockets tuned
        RGBColor(200, 170, 225), // ws default
        RGBColor(110, 60, 160),  // ws tuned
        RGBColor(240, 190, 120), // uWS default
        RGBColor(190, 110, 20),  // uWS tuned
        RGBColor(128, 128, 128), // floor
    ];
    COLOURS[server.index() % COLOURS.len()]
}

/// Every chart the records allow.
pub fn all(records: &Records) -> Result<Vec<Chart>, String> {
    let mut charts = Vec::new();
    for scenario in [Scenario::Echo512, Scenario::Echo512InFlight4, Scenario::Echo16k] {
        let rows = records.echoes(scenario);
        let bars: Vec<Bar> =
            rows.iter().filter_map(|(s, e)| Some(bar(s, e.server_cpu_us_per_echo?))).collect();
        if let (Some((_, first)), false) = (rows.first(), bars.is_empty()) {
            let title = format!(
                "Echo, {} B, {} in flight × {} connections: server CPU per echo (lower is better)",
                thousands(first.payload_bytes),
                first.in_flight,
                first.connections
            );
            let svg = plot::bars(&title, "server CPU time per echo, µs", &bars, |v| {
                format!("{v:.2} µs")
            })?;
            charts.push(Chart { file: format!("{}-cpu.svg", scenario.id()), title, svg });
        }
    }
    let broadcasts = records.broadcasts();
    // Capstan drawn last and wider, so that no peer's line hides it.
    let mut series: Vec<Series> = broadcasts
        .iter()
        .map(|(s, b)| Series {
            name: s.label(),
            colour: colour(s),
            points: b.windows.iter().map(|w| (w.offered, w.deliveries_per_second)).collect(),
            width: if s.is_capstan() { 3 } else { 2 },
        })
        .collect();
    series.sort_by_key(|s| s.width);
    if let Some((_, first)) = broadcasts.first() {
        let title = format!(
            "Broadcast to {} subscribers: deliveries/s achieved vs offered",
            thousands(first.subscribers)
        );
        let svg = plot::log_lines(
            &title,
            "offered deliveries/s",
            "achieved deliveries/s",
            &series,
            true,
        )?;
        charts.push(Chart { file: "broadcast-deliveries.svg".into(), title, svg });
        let bars: Vec<Bar> = broadcasts
            .iter()
            .filter_map(|(s, b)| Some(bar(s, b.at(P99_RATE)?.p99_ns? / 1e6)))
            .collect();
        if !bars.is_empty() {
            let title = format!(
                "Broadcast to {} subscribers: p99 latency at {} deliveries/s offered (lower is better)",
                thousands(first.subscribers),
                thousands(P99_RATE as u64)
            );
            let svg =
                plot::bars(&title, "p99 latency, ms", &bars, |v| latency(Some((v * 1e6) as u64)))?;
            charts.push(Chart { file: "broadcast-p99-20k.svg".into(), title, svg });
        }
    }
    let idles = records.idles();
    let bars: Vec<Bar> =
        idles.iter().filter_map(|(s, i)| Some(bar(s, i.rss_kib_per_conn_held?))).collect();
    if let (Some((_, first)), false) = (idles.first(), bars.is_empty()) {
        let title = format!(
            "Idle: server RSS per connection at {} connections (lower is better)",
            thousands(first.connections)
        );
        let svg =
            plot::bars(&title, "server RSS per connection, KiB", &bars, |v| format!("{v:.2} KiB"))?;
        charts.push(Chart { file: "idle-rss.svg".into(), title, svg });
    }
    Ok(charts)
}

fn bar(server: &Server, value: f64) -> Bar {
    Bar { label: server.label(), value, colour: colour(server) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::record::{Outcome, Record};
    use crate::suite::results::{Broadcast, Figures, Window};
    use crate::suite::servers::ALL;

    #[test]
    fn broadcast_charts_name_every_server() {
        let mut records = Records::default();
        for (server, most) in [(&ALL[0], 900_000.0), (&ALL[4], 400_000.0)] {
            let window = |offered: f64, per_second: f64| Window {
                offered,
                deliveries_per_second: per_second,
                p50_ns: Some(1e6),
                p99_ns: Some(3e6),
                p999_ns: Some(4e6),
                server_cpu_ns_per_delivery: Some(300.0),
                missing: 0,
                connections_lost: 0,
            };
            let windows = vec![window(20_000.0, 20_000.0), window(1e6, most)];
            records.push(Record {
                scenario: Scenario::Broadcast,
                server,
                outcome: Outcome::Done(Figures::Broadcast(Broadcast {
                    subscribers: 10_000,
                    windows,
                })),
                seconds: None,
            });
        }
        let charts = all(&records).unwrap();
        let files: Vec<&str> = charts.iter().map(|c| c.file.as_str()).collect();
        assert_eq!(files, ["broadcast-deliveries.svg", "broadcast-p99-20k.svg"]);
        for chart in &charts {
            let doc = roxmltree::Document::parse(&chart.svg).unwrap();
            let texts: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text().map(str::trim))
                .collect();
            assert!(texts.contains(&"capstan"), "{texts:?}");
            assert!(texts.contains(&"fastwebsockets (tuned)"), "{texts:?}");
            assert!(texts.contains(&chart.title.as_str()), "{texts:?}");
        }
    }
}
