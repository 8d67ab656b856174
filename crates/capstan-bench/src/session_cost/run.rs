//! One `loadgen` run of one side of a comparison: started as a child
//! process with the comparison's arguments, bounded in time, its JSON read
//! back for the comparison's figures.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::args::Options;
use super::plan::{Comparison, run_name, side_flag};
use crate::loadgen::transport::Transport;

/// How long past loadgen's own limit a run may take before it is killed.
const GRACE: Duration = Duration::from_secs(30);

/// What one run gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// The comparison's figures, in its order (`None`: not in the JSON).
    pub figures: Vec<Option<f64>>,
    /// Connections the run lost.
    pub lost: u64,
    /// CPU the rest of the machine used over the window, share of one CPU.
    pub other_load: Option<f64>,
    /// Why the run gave nothing, if it failed.
    pub error: Option<String>,
}

/// The loadgen arguments of `side` of `comparison`, writing `json`.
pub fn loadgen_args(o: &Options, c: &Comparison, side: Transport, json: &Path) -> Vec<String> {
    let mut args = c.args.clone();
    args.extend(side_flag(side).map(String::from));
    args.extend([
        "--spawn".into(),
        o.server.display().to_string(),
        "--timeout".into(),
        c.timeout_seconds.to_string(),
        "--json".into(),
        json.display().to_string(),
    ]);
    args
}

/// Runs `side` of `comparison` in `round`; its files go to `o.out`.
pub fn run(o: &Options, c: &Comparison, side: Transport, round: usize) -> Reading {
    let name = run_name(&c.name, round, side);
    let json = o.out.join(format!("{name}.json"));
    let _ = std::fs::remove_file(&json);
    let args = loadgen_args(o, c, side, &json);
    let failed = |error: String| Reading { error: Some(error), ..Reading::default() };
    let (stdout, stderr) = match (
        File::create(o.out.join(format!("{name}.md"))),
        File::create(o.out.join(format!("{name}.log"))),
    ) {
        (Ok(stdout), Ok(stderr)) => (stdout, stderr),
        (Err(e), _) | (_, Err(e)) => return failed(format!("{name}: files: {e}")),
    };
    let child = Command::new(&o.loadgen)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return failed(format!("{}: {e}", o.loadgen.display())),
    };
    let limit = Duration::from_secs(c.timeout_seconds) + GRACE;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return failed(format!("{name}: killed after {} s", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return failed(format!("{name}: {e}")),
        }
    };
    if !status.success() {
        let log = std::fs::read_to_string(o.out.join(format!("{name}.log"))).unwrap_or_default();
        let last = log.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
        return failed(format!("{name}: loadgen {status}: {last}"));
    }
    match std::fs::read_to_string(&json) {
        Ok(text) => read(&text, c),
        Err(e) => failed(format!("{name}: {}: {e}", json.display())),
    }
}

/// The figures of `c` in loadgen's JSON document `text`.
pub fn read(text: &str, c: &Comparison) -> Reading {
    let document: Value = match serde_json::from_str(text) {
        Ok(document) => document,
        Err(e) => return Reading { error: Some(format!("JSON: {e}")), ..Reading::default() },
    };
    Reading {
        figures: c.figures.iter().map(|f| document[f.key].as_f64()).collect(),
        lost: document["connections_lost"].as_u64().unwrap_or(0),
        other_load: document["other_cpu_share"].as_f64(),
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_cost::{args, plan};

    #[test]
    fn arguments_and_figures() {
        let line = "--loadgen l --server /bin/srv --out /tmp/o --only echo";
        let o = args::parse(line.split_whitespace()).unwrap();
        let c = &plan::comparisons(&o)[0];
        let args = loadgen_args(&o, c, Transport::Session, Path::new("/tmp/o/x.json"));
        let text = args.join(" ");
        assert!(text.starts_with("echo --connections 100 "), "{text}");
        assert!(text.contains(" --session --spawn /bin/srv --timeout "), "{text}");
        assert!(text.ends_with(" --json /tmp/o/x.json"), "{text}");
        assert!(
            !loadgen_args(&o, c, Transport::Plain, Path::new("j")).contains(&"--session".into())
        );
        let reading = read(
            r#"{"server_cpu_us_per_echo": 7.5, "echoes_per_second": 1000, "connections_lost": 2,
                "other_cpu_share": 0.25}"#,
            c,
        );
        assert_eq!(reading.figures, [Some(7.5), Some(1000.0)]);
        assert_eq!((reading.lost, reading.other_load, reading.error), (2, Some(0.25), None));
        let partial = read(r#"{"server_cpu_us_per_echo": null}"#, c);
        assert_eq!(partial.figures, [None, None]);
        assert!(read("nope", c).error.is_some());
    }
}
