//! `wamp-load table`: two routers' result lines side by side, in
//! Markdown, with the ratio of each figure and the issue's goals (per
//! core: ≥ 10× the reference's events/s and calls/s; ≤ 4 KiB per idle
//! session) marked MET or MISSED.

use std::path::Path;

use serde_json::Value;

use super::error::LoadError;

/// How many times the reference's per-core rates the goal asks for.
pub const PER_CORE_GOAL: f64 = 10.0;
/// The most memory per idle session the goal allows, KiB.
pub const KIB_PER_SESSION_GOAL: f64 = 4.0;

/// One router's result lines, by scenario.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Its name (the lines' `router`).
    pub label: String,
    lines: Vec<Value>,
}

impl Results {
    /// The JSON lines (those starting with `{`) of `text`; other lines
    /// (the human ones) are skipped.
    pub fn parse(text: &str, fallback_label: &str) -> Result<Self, LoadError> {
        let mut lines = Vec::new();
        for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
            let value: Value = serde_json::from_str(line).map_err(|e| {
                LoadError::Usage(format!("a result line that is not JSON ({e}): {line}"))
            })?;
            lines.push(value);
        }
        let label =
            lines.iter().find_map(|l| l["router"].as_str()).unwrap_or(fallback_label).to_owned();
        Ok(Self { label, lines })
    }

    /// Reads `path`; a missing file is a router with no results.
    pub fn read(path: &Path) -> Result<Self, LoadError> {
        let fallback = path.file_stem().and_then(|s| s.to_str()).unwrap_or("router");
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, fallback),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Self { label: fallback.to_owned(), lines: Vec::new() })
            }
            Err(e) => Err(LoadError::Usage(format!("{}: {e}", path.display()))),
        }
    }

    /// A figure of a scenario's (last) line.
    pub fn figure(&self, scenario: &str, key: &str) -> Option<f64> {
        self.line(scenario)?.get(key)?.as_f64()
    }

    fn line(&self, scenario: &str) -> Option<&Value> {
        self.lines.iter().rev().find(|l| l["scenario"] == scenario)
    }
}

/// Whether more or less of a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
    Neither,
}

/// The rows: scenario, JSON key, what it is, which way is better, decimals.
const ROWS: &[(&str, &str, &str, Better, usize)] = &[
    ("events", "deliveries_per_s", "deliveries/s", Better::Higher, 0),
    ("events", "deliveries_per_core_s", "deliveries/s per core of router CPU", Better::Higher, 0),
    ("events", "router_us_per_delivery", "router CPU µs per delivery", Better::Lower, 3),
    ("events", "router_us_per_publication", "router CPU µs per publication", Better::Lower, 1),
    ("events", "router_cores", "router CPU, cores", Better::Neither, 2),
    ("events", "loadgen_cores", "wamp-load CPU, cores", Better::Neither, 2),
    (
        "events",
        "other_cores",
        "other CPU (kernel softirq, other processes), cores",
        Better::Neither,
        2,
    ),
    ("events", "published", "events published", Better::Neither, 0),
    ("events", "lost", "deliveries lost", Better::Lower, 0),
    ("calls", "calls_per_s", "calls/s", Better::Higher, 0),
    ("calls", "calls_per_core_s", "calls/s per core of router CPU", Better::Higher, 0),
    ("calls", "router_us_per_call", "router CPU µs per call", Better::Lower, 2),
    ("calls", "latency_p50_us", "round trip p50, µs", Better::Lower, 0),
    ("calls", "latency_p99_us", "round trip p99, µs", Better::Lower, 0),
    ("calls", "router_cores", "router CPU, cores", Better::Neither, 2),
    ("calls", "loadgen_cores", "wamp-load CPU, cores", Better::Neither, 2),
    (
        "calls",
        "other_cores",
        "other CPU (kernel softirq, other processes), cores",
        Better::Neither,
        2,
    ),
    ("calls", "errors", "errors + unanswered", Better::Lower, 0),
    ("idle", "sessions", "sessions joined", Better::Neither, 0),
    ("idle", "kib_per_session", "router RSS per session, KiB", Better::Lower, 2),
    ("idle", "rss_before_kib", "router RSS before, KiB", Better::Lower, 0),
    ("idle", "joins_per_s", "joins/s (HELLO → WELCOME)", Better::Higher, 0),
];

/// The table and the goals for `ours` (capstan) beside `theirs` (the
/// reference).
pub fn render(ours: &Results, theirs: &Results) -> String {
    let mut out = format!(
        "| scenario | figure | {} | {} | {} ÷ {} | better |\n|:---|:---|---:|---:|---:|:---|\n",
        ours.label, theirs.label, ours.label, theirs.label
    );
    for &(scenario, key, name, better, digits) in ROWS {
        let figure = |r: &Results| {
            let v = r.figure(scenario, key)?;
            Some(if key == "errors" {
                v + r.figure(scenario, "unanswered").unwrap_or(0.0)
            } else {
                v
            })
        };
        let (a, b) = (figure(ours), figure(theirs));
        if a.is_none() && b.is_none() {
            continue;
        }
        let ratio = match (a, b, better) {
            (_, _, Better::Neither) => "".into(),
            (Some(a), Some(b), _) if b != 0.0 => format!("{:.2}×", a / b),
            _ => "–".into(),
        };
        let better = match better {
            Better::Higher => "higher",
            Better::Lower => "lower",
            Better::Neither => "",
        };
        out.push_str(&format!(
            "| {scenario} | {name} | {} | {} | {ratio} | {better} |\n",
            number(a, digits),
            number(b, digits)
        ));
    }
    out.push('\n');
    for goal in goals(ours, theirs) {
        out.push_str(&format!("- {goal}\n"));
    }
    out
}

/// The goals, each MET, MISSED or not evaluated, with its figures.
pub fn goals(ours: &Results, theirs: &Results) -> Vec<String> {
    let mut lines = Vec::new();
    for (scenario, key, what) in [
        ("events", "deliveries_per_core_s", "events delivered/s per core"),
        ("calls", "calls_per_core_s", "calls/s per core"),
    ] {
        let line = match (ours.figure(scenario, key), theirs.figure(scenario, key)) {
            (Some(a), Some(b)) if b > 0.0 => {
                let ratio = a / b;
                format!(
                    "**{}** {what} ≥ {PER_CORE_GOAL}× {}'s: {} {} vs {} {}: {ratio:.1}×",
                    if ratio >= PER_CORE_GOAL { "MET" } else { "MISSED" },
                    theirs.label,
                    ours.label,
                    number(Some(a), 0),
                    theirs.label,
                    number(Some(b), 0),
                )
            }
            _ => format!(
                "**not evaluated** {what} ≥ {PER_CORE_GOAL}× {}'s: a figure is missing",
                theirs.label
            ),
        };
        lines.push(line);
    }
    lines.push(match ours.figure("idle", "kib_per_session") {
        Some(kib) => format!(
            "**{}** {} RSS per idle session ≤ {KIB_PER_SESSION_GOAL} KiB: {kib:.2} KiB at {} sessions",
            if kib <= KIB_PER_SESSION_GOAL { "MET" } else { "MISSED" },
            ours.label,
            number(ours.figure("idle", "sessions"), 0),
        ),
        None => format!("**not evaluated** {} RSS per idle session: no figure", ours.label),
    });
    lines
}

/// `value` with `digits` decimals and thousands separated by commas; `–`
/// for none.
pub fn number(value: Option<f64>, digits: usize) -> String {
    let Some(value) = value else { return "–".into() };
    let text = format!("{:.digits$}", value.abs());
    let (whole, fraction) =
        text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign =
        if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPSTAN: &str = r#"{"scenario":"idle","router":"capstan","sessions":5000,"kib_per_session":3.5,"rss_before_kib":4000}
idle capstan: a human line
{"scenario":"events","router":"capstan","deliveries_per_s":500000.0,"deliveries_per_core_s":600000.0,"router_us_per_delivery":1.6667,"lost":0}
{"scenario":"calls","router":"capstan","calls_per_s":80000.0,"calls_per_core_s":90000.0,"errors":0,"unanswered":0}
"#;
    const CROSSBAR: &str = r#"{"scenario":"events","router":"crossbar","deliveries_per_s":40000.0,"deliveries_per_core_s":40000.0,"router_us_per_delivery":25.0,"lost":0}
{"scenario":"calls","router":"crossbar","calls_per_s":10000.0,"calls_per_core_s":10000.0,"errors":1,"unanswered":2}
"#;

    #[test]
    fn side_by_side_with_ratios_and_goals() {
        let ours = Results::parse(CAPSTAN, "x").unwrap();
        let theirs = Results::parse(CROSSBAR, "y").unwrap();
        assert_eq!((ours.label.as_str(), theirs.label.as_str()), ("capstan", "crossbar"));
        let table = render(&ours, &theirs);
        assert!(
            table.contains("| events | deliveries/s | 500,000 | 40,000 | 12.50× | higher |"),
            "{table}"
        );
        assert!(
            table.contains("| calls | errors + unanswered | 0 | 3 | 0.00× | lower |"),
            "{table}"
        );
        assert!(
            table.contains("| idle | router RSS per session, KiB | 3.50 | – | – | lower |"),
            "{table}"
        );
        assert!(table.contains("**MET** events delivered/s per core ≥ 10× crossbar's: capstan 600,000 vs crossbar 40,000: 15.0×"), "{table}");
        assert!(table.contains("**MISSED** calls/s per core ≥ 10× crossbar's: capstan 90,000 vs crossbar 10,000: 9.0×"), "{table}");
        assert!(
            table.contains(
                "**MET** capstan RSS per idle session ≤ 4 KiB: 3.50 KiB at 5,000 sessions"
            ),
            "{table}"
        );
        // A row neither router has is left out.
        assert!(!table.contains("joins/s"));
    }

    #[test]
    fn a_missing_reference_is_said_so() {
        let ours = Results::parse(CAPSTAN, "x").unwrap();
        let none = Results::parse("", "crossbar").unwrap();
        let goals = goals(&ours, &none);
        assert!(goals[0].starts_with("**not evaluated** events"), "{goals:?}");
        assert!(goals[2].starts_with("**MET**"));
        assert!(Results::parse("{not json", "x").is_err());
        let missing = Results::read(Path::new("/nonexistent/crossbar.jsonl")).unwrap();
        assert_eq!(missing.label, "crossbar");
    }

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(number(Some(1234567.891), 0), "1,234,568");
        assert_eq!(number(Some(999.5), 1), "999.5");
        assert_eq!(number(Some(1000.0), 2), "1,000.00");
        assert_eq!(number(Some(-12345.0), 0), "-12,345");
        assert_eq!(number(Some(-0.001), 1), "0.0");
        assert_eq!(number(None, 1), "–");
    }
}
