//! A run's results: a title, notes, one Markdown table, and the JSON
//! document written with `--json`; and the number formats they use.

use std::fmt::Write;

use super::measure::document::Document;

/// What a scenario measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The heading.
    pub title: String,
    /// Lines under the heading: settings, where things ran, caveats.
    pub notes: Vec<String>,
    /// The table's column names.
    pub columns: Vec<String>,
    /// The table's rows.
    pub rows: Vec<Vec<String>>,
    /// Everything, as the JSON document `--json` writes.
    pub json: Document,
}

impl Report {
    /// The results as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("## {}\n\n", self.title);
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        if !self.notes.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "| {} |", self.columns.join(" | "));
        let _ = writeln!(out, "|{}", "---:|".repeat(self.columns.len()));
        for row in &self.rows {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        out
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate, rounded to a whole number, with thousands separators.
pub fn rate(per_second: f64) -> String {
    thousands(per_second.max(0.0).round() as u64)
}

/// Nanoseconds as µs or ms, three significant digits or so.
pub fn latency(ns: Option<u64>) -> String {
    match ns {
        None => "–".into(),
        Some(ns) if ns < 10_000 => format!("{:.2} µs", ns as f64 / 1e3),
        Some(ns) if ns < 1_000_000 => format!("{:.0} µs", ns as f64 / 1e3),
        Some(ns) if ns < 100_000_000 => format!("{:.2} ms", ns as f64 / 1e6),
        Some(ns) => format!("{:.0} ms", ns as f64 / 1e6),
    }
}

/// KiB as MiB with one decimal.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or("–".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// A share of one CPU as a percentage.
pub fn percent(share: Option<f64>) -> String {
    share.map_or("–".into(), |s| format!("{:.0} %", s * 100.0))
}

/// A value that may be unknown, with `digits` decimals.
pub fn maybe(value: Option<f64>, digits: usize) -> String {
    value.map_or("–".into(), |v| format!("{v:.digits$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(rate(99_999.6), "100,000");
        assert_eq!(latency(Some(1_500)), "1.50 µs");
        assert_eq!(latency(Some(250_000)), "250 µs");
        assert_eq!(latency(Some(2_345_678)), "2.35 ms");
        assert_eq!(latency(Some(1_234_000_000)), "1234 ms");
        assert_eq!(latency(None), "–");
        assert_eq!(mib(Some(1536)), "1.5 MiB");
        assert_eq!(percent(Some(0.5)), "50 %");
        assert_eq!(maybe(None, 2), "–");
    }

    #[test]
    fn markdown_table() {
        let report = Report {
            title: "t".into(),
            notes: vec!["n".into()],
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec!["1".into(), "2".into()]],
            json: crate::loadgen::measure::document::Document::Echo(
                crate::loadgen::measure::echo::tests::sample(),
            ),
        };
        assert_eq!(report.markdown(), "## t\n\n- n\n\n| a | b |\n|---:|---:|\n| 1 | 2 |\n");
    }
}
