//! summary.md and summary.json: every run's figures, tables with ratios
//! against Capstan, the best peers, and the targets.

use std::fmt::Write;

use serde_json::{Value, json};

use super::plan::Preset;
use super::record::{Outcome, Records};
use super::results::Figures;
use super::servers::Server;
use super::tables::{self, RATIOS};
use super::targets::{Check, Verdict};

/// What the summary says about the suite as a whole.
#[derive(Debug, Clone)]
pub struct About {
    pub preset: Preset,
    /// When it started (readable).
    pub started: String,
    /// How long it took, s (None when rebuilt with `--from`).
    pub seconds: Option<f64>,
    /// The results directory, as given.
    pub out_dir: String,
    /// Servers left out, and why.
    pub skipped: Vec<(&'static Server, String)>,
}

/// summary.md.
pub fn markdown(about: &About, records: &Records, checks: &[Check]) -> String {
    let done = records.records.iter().filter(|r| matches!(r.outcome, Outcome::Done(_))).count();
    let total = records.records.len();
    let mut out = String::from("## Summary\n\n");
    let took = about.seconds.map_or(String::new(), |s| {
        format!(", took {}", super::plan::human(std::time::Duration::from_secs_f64(s)))
    });
    let _ = writeln!(
        out,
        "- Preset **{}**: {total} runs, {done} completed, {} failed; started {}{took}.",
        about.preset.name(),
        total - done,
        about.started
    );
    if about.preset == Preset::Smoke {
        out.push_str("- A smoke run: tiny sizes, to check that every run completes. Its figures say nothing about speed.\n");
    }
    let mut servers: Vec<&Server> = records.records.iter().map(|r| r.server).collect();
    servers.sort_by_key(|s| s.index());
    servers.dedup_by_key(|s| s.id);
    let names: Vec<String> = servers.iter().map(|s| s.label()).collect();
    let _ = writeln!(out, "- Servers: {}.", names.join(", "));
    for (server, why) in &about.skipped {
        let _ = writeln!(out, "- Skipped: {}: {why}.", server.label());
    }
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    let _ = writeln!(
        out,
        "- Targets: {} MET, {} MISSED, {} not evaluated (each under its scenario below).",
        count(Verdict::Met),
        count(Verdict::Missed),
        count(Verdict::NotEvaluated)
    );
    let _ = writeln!(
        out,
        "- Files: `{}`: per run SCENARIO--SERVER.json (every reading), .md (loadgen's table) and .log (its progress); this summary as summary.md and summary.json; charts as .svg; the machine in machine.md.",
        about.out_dir
    );
    let _ = write!(out, "\n{RATIOS}\n");
    for scenario in records.scenarios() {
        let _ = write!(out, "\n{}", tables::section(records, scenario, checks));
    }
    out
}

/// summary.json.
pub fn json(about: &About, records: &Records, checks: &[Check]) -> Value {
    let runs: Vec<Value> = records
        .records
        .iter()
        .map(|r| {
            let (status, figures, error) = match &r.outcome {
                Outcome::Done(f) => ("done", figures_json(f), Value::Null),
                Outcome::Failed(why) => ("failed", Value::Null, Value::from(why.as_str())),
            };
            let name = super::plan::run_name(r.scenario, r.server);
            json!({
                "scenario": r.scenario.id(),
                "server": r.server.id,
                "server_label": r.server.label(),
                "status": status,
                "error": error,
                "seconds": r.seconds,
                "json": format!("{name}.json"),
                "markdown": format!("{name}.md"),
                "log": format!("{name}.log"),
                "figures": figures,
            })
        })
        .collect();
    let targets: Vec<Value> = checks
        .iter()
        .map(|c| {
            json!({
                "scenario": c.scenario.id(),
                "target": c.target,
                "verdict": c.verdict.to_string(),
                "detail": c.detail,
            })
        })
        .collect();
    let skipped: Vec<Value> = about
        .skipped
        .iter()
        .map(|(s, why)| json!({"server": s.id, "server_label": s.label(), "reason": why}))
        .collect();
    json!({
        "preset": about.preset.name(),
        "started": about.started,
        "seconds": about.seconds,
        "out_dir": about.out_dir,
        "complete": records.all_done(),
        "skipped": skipped,
        "runs": runs,
        "targets": targets,
    })
}

/// A run's figures as JSON (the units in the names).
fn figures_json(figures: &Figures) -> Value {
    match figures {
        Figures::Echo(e) => json!({
            "connections": e.connections,
            "in_flight": e.in_flight,
            "payload_bytes": e.payload_bytes,
            "echoes_per_second": e.echoes_per_second,
            "server_cpu_us_per_echo": e.server_cpu_us_per_echo,
            "rtt_p50_ns": e.rtt_p50_ns,
            "rtt_p99_ns": e.rtt_p99_ns,
            "server_cpu_share": e.server_cpu_share,
            "loadgen_cpu_share": e.loadgen_cpu_share,
            "connections_lost": e.connections_lost,
        }),
        Figures::Broadcast(b) => json!({
            "subscribers": b.subscribers,
            "most_deliveries_per_second": b.best_window().map(|w| w.deliveries_per_second),
            "windows": b.windows.iter().map(|w| json!({
                "offered_deliveries_per_second": w.offered,
                "deliveries_per_second": w.deliveries_per_second,
                "p50_ns": w.p50_ns,
                "p99_ns": w.p99_ns,
                "p999_ns": w.p999_ns,
                "server_cpu_ns_per_delivery": w.server_cpu_ns_per_delivery,
                "missing": w.missing,
                "connections_lost": w.connections_lost,
            })).collect::<Vec<_>>(),
        }),
        Figures::Idle(i) => json!({
            "connections": i.connections,
            "server_rss_kib_per_conn_open": i.rss_kib_per_conn_open,
            "server_rss_kib_per_conn_held": i.rss_kib_per_conn_held,
            "kernel_tcp_mem_kib_per_conn": i.kernel_tcp_kib_per_conn,
            "kernel_slab_kib_per_conn": i.kernel_slab_kib_per_conn,
            "connections_lost": i.connections_lost,
        }),
        Figures::Churn(c) => json!({
            "cycles_asked": c.cycles_asked,
            "cycles": c.cycles,
            "failures": c.failures,
            "cycles_per_second": c.cycles_per_second,
            "server_cpu_us_per_cycle": c.server_cpu_us_per_cycle,
            "server_rss_before_kib": c.rss_before_kib,
            "server_rss_after_kib": c.rss_after_kib,
            "server_rss_settled_kib": c.rss_settled_kib,
            "server_rss_change_percent": c.rss_change_percent(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::plan::Scenario;
    use crate::suite::record::Record;
    use crate::suite::results;
    use crate::suite::servers::ALL;
    use crate::suite::targets;

    #[test]
    fn summary_of_a_smoke_run() {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/suite");
        let mut records = Records::default();
        for scenario in [Scenario::Echo512, Scenario::Broadcast, Scenario::Idle, Scenario::Churn] {
            let path = fixtures.join(format!("{}--capstan.json", scenario.id()));
            let outcome = Outcome::Done(results::read(&path).unwrap());
            records.push(Record { scenario, server: &ALL[0], outcome, seconds: Some(3.0) });
        }
        records.push(Record {
            scenario: Scenario::Echo512,
            server: &ALL[1],
            outcome: Outcome::Failed("loadgen exited with 1".into()),
            seconds: Some(1.0),
        });
        let about = About {
            preset: Preset::Smoke,
            started: "2025-01-01 00:00:00 UTC".into(),
            seconds: Some(20.0),
            out_dir: "/tmp/x".into(),
            skipped: vec![(&ALL[5], "`node` is not on PATH".into())],
        };
        let checks = targets::evaluate(&records);
        let md = markdown(&about, &records, &checks);
        assert!(md.contains("5 runs, 4 completed, 1 failed"), "{md}");
        assert!(md.contains("- Skipped: node ws (default): `node` is not on PATH."), "{md}");
        for heading in [
            "### Echo, 512 B",
            "### Broadcast to 10 subscribers",
            "### Idle: 10 connections",
            "### Churn",
        ] {
            assert!(md.contains(heading), "{heading} missing in {md}");
        }
        assert!(md.contains("| tungstenite (default) | failed |"), "{md}");
        assert!(md.contains("**NOT EVALUATED** echo 512 B"), "{md}");
        let v = json(&about, &records, &checks);
        assert_eq!(v["preset"], "smoke");
        assert_eq!(v["complete"], false);
        assert_eq!(v["runs"].as_array().unwrap().len(), 5);
        assert_eq!(v["runs"][0]["json"], "echo-512--capstan.json");
        assert!(v["runs"][0]["figures"]["echoes_per_second"].as_f64().unwrap() > 0.0);
        assert_eq!(v["runs"][4]["status"], "failed");
        assert_eq!(v["targets"].as_array().unwrap().len(), checks.len());
    }
}
