//! The tables: for each comparison and figure, each round's value per
//! side, the medians, the bests and the ratios to the reference side; and
//! where issue #17's goals stand.

use std::fmt::Write;

use super::plan::{Comparison, Figure, Part};
use super::run::Reading;
use super::stats::{self, Versus};
use crate::loadgen::report::thousands;
use crate::loadgen::transport::Transport;

/// Session RSS per idle connection, at most (KiB).
pub const IDLE_GOAL_KIB: f64 = 3.0;

/// Session ÷ plain server CPU per echo, at most.
pub const ECHO_GOAL_RATIO: f64 = 1.15;

/// A comparison's runs: per round, each side's reading in the order run.
#[derive(Debug, Clone)]
pub struct Results {
    /// What was compared.
    pub comparison: Comparison,
    /// Per round, `(side, reading)` in the order the sides ran.
    pub rounds: Vec<Vec<(Transport, Reading)>>,
}

impl Results {
    /// Figure `figure` (its index) of `side`, round by round.
    pub fn values(&self, side: Transport, figure: usize) -> Vec<Option<f64>> {
        self.rounds
            .iter()
            .map(|round| {
                let reading = round.iter().find(|(s, _)| *s == side).map(|(_, r)| r)?;
                reading.figures.get(figure).copied().flatten()
            })
            .collect()
    }

    /// Connections lost by `side` over every round.
    fn lost(&self, side: Transport) -> u64 {
        self.rounds.iter().flatten().filter(|(s, _)| *s == side).map(|(_, r)| r.lost).sum()
    }
}

fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        None => "–".into(),
        Some(v) if decimals == 0 => thousands(v.round() as u64),
        Some(v) => format!("{v:.decimals$}"),
    }
}

fn times(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.3}×"))
}

/// The Markdown of every comparison, then the goals.
pub fn markdown(results: &[Results]) -> String {
    let mut out = String::new();
    for r in results {
        comparison(&mut out, r);
    }
    let goals = goals(results);
    if !goals.is_empty() {
        out.push_str("### Goals (issue #17)\n\n");
        for goal in goals {
            let _ = writeln!(out, "- {goal}");
        }
        out.push('\n');
    }
    out
}

fn comparison(out: &mut String, r: &Results) {
    let c = &r.comparison;
    let _ = writeln!(out, "### {}\n", c.title);
    for (index, figure) in c.figures.iter().enumerate() {
        figure_table(out, r, index, figure);
    }
    let lost: Vec<String> =
        c.sides.iter().map(|&s| format!("{} {}", s.name(), thousands(r.lost(s)))).collect();
    let loads: Vec<f64> = r.rounds.iter().flatten().filter_map(|(_, x)| x.other_load).collect();
    let errors: Vec<&str> =
        r.rounds.iter().flatten().filter_map(|(_, x)| x.error.as_deref()).collect();
    let _ = write!(out, "Connections lost: {}.", lost.join(", "));
    if let (Some(low), Some(high)) = (stats::best(&loads, true), stats::best(&loads, false)) {
        let _ = write!(
            out,
            " Other load (CPU the rest of the machine used, share of one CPU): {:.0}–{:.0} %.",
            low * 100.0,
            high * 100.0
        );
    }
    out.push('\n');
    for error in errors {
        let _ = writeln!(out, "\n**Failed run:** {error}");
    }
    out.push('\n');
}

fn figure_table(out: &mut String, r: &Results, index: usize, figure: &Figure) {
    let c = &r.comparison;
    let reference = c.sides[0];
    let others = &c.sides[1..];
    let d = figure.decimals;
    let mut head = format!(
        "| {} | {}",
        figure.label,
        c.sides.iter().map(|s| s.name()).collect::<Vec<_>>().join(" | ")
    );
    for side in others {
        let _ = write!(head, " | {} ÷ {}", side.name(), reference.name());
    }
    let _ = writeln!(out, "{head} |");
    let _ = writeln!(out, "|:---|{}", "---:|".repeat(c.sides.len() + others.len()));
    let values: Vec<Vec<Option<f64>>> = c.sides.iter().map(|&s| r.values(s, index)).collect();
    for (round, run) in r.rounds.iter().enumerate() {
        let order: Vec<&str> = run.iter().map(|(s, _)| s.name()).collect();
        let mut row = format!("| round {} ({})", round + 1, order.join(", "));
        for side in &values {
            let _ = write!(row, " | {}", number(side[round], d));
        }
        for side in &values[1..] {
            let _ = write!(row, " | {}", times(stats::ratio(side[round], values[0][round])));
        }
        let _ = writeln!(out, "{row} |");
    }
    let flat = |v: &[Option<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
    let versus: Vec<Versus> =
        values[1..].iter().map(|v| stats::versus(v, &values[0], figure.lower_is_better)).collect();
    let mut median = "| **median**".to_string();
    let best_name = if figure.lower_is_better { "least" } else { "most" };
    let mut best = format!("| **{best_name}**");
    for side in &values {
        let _ = write!(median, " | {}", number(stats::median(&flat(side)), d));
        let _ = write!(best, " | {}", number(stats::best(&flat(side), figure.lower_is_better), d));
    }
    let mut per_round = "| per-round ratio: median [range] |".to_string();
    for _ in &c.sides {
        per_round.push_str(" |");
    }
    for v in &versus {
        let _ = write!(median, " | {}", times(v.of_medians));
        let _ = write!(best, " | {}", times(v.of_bests));
        let range = v.range.map_or(String::new(), |(lo, hi)| format!(" [{lo:.3}–{hi:.3}]"));
        let _ = write!(per_round, " {}{range} |", times(v.median_of_ratios));
    }
    let _ = writeln!(out, "{median} |\n{best} |");
    if r.rounds.len() > 1 {
        let _ = writeln!(out, "{per_round}");
    }
    out.push('\n');
}

/// Where the goals stand, one line each (none for a comparison not run).
pub fn goals(results: &[Results]) -> Vec<String> {
    let mut lines = Vec::new();
    for r in results {
        let c = &r.comparison;
        let of = |side| stats::median(&r.values(side, 0).into_iter().flatten().collect::<Vec<_>>());
        match c.part {
            Part::Idle => {
                let (session, plain) = (of(Transport::Session), of(Transport::Plain));
                let met = session.is_some_and(|s| s <= IDLE_GOAL_KIB);
                lines.push(format!(
                    "**{}** idle RSS per session connection ≤ {IDLE_GOAL_KIB} KiB: median {} KiB \
                     with sessions, {} KiB plain ({} plain)",
                    if met { "MET" } else { "MISSED" },
                    number(session, 2),
                    number(plain, 2),
                    times(stats::ratio(session, plain))
                ));
            }
            Part::Echo => {
                let v = stats::versus(
                    &r.values(Transport::Session, 0),
                    &r.values(Transport::Plain, 0),
                    true,
                );
                let met = v.median_of_ratios.is_some_and(|x| x <= ECHO_GOAL_RATIO);
                lines.push(format!(
                    "**{}** server CPU per echo with sessions ≤ {ECHO_GOAL_RATIO}× plain: \
                     per-round ratio median {} (ratio of medians {}, of minimums {})",
                    if met { "MET" } else { "MISSED" },
                    times(v.median_of_ratios),
                    times(v.of_medians),
                    times(v.of_bests)
                ));
            }
            Part::Fallback => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_cost::plan::{CPU_PER_ECHO, ECHOES_PER_SECOND, RSS_PER_CONN};

    fn reading(figures: &[f64]) -> Reading {
        Reading { figures: figures.iter().map(|&f| Some(f)).collect(), ..Reading::default() }
    }

    fn results(
        part: Part,
        figures: Vec<Figure>,
        rounds: Vec<Vec<(Transport, Reading)>>,
    ) -> Results {
        let sides = rounds[0].iter().map(|(s, _)| *s).collect();
        Results {
            comparison: Comparison {
                part,
                name: part.name().into(),
                title: "T".into(),
                sides,
                args: Vec::new(),
                figures,
                timeout_seconds: 1,
            },
            rounds,
        }
    }

    #[test]
    fn tables_and_goals() {
        use Transport::*;
        let echo = results(
            Part::Echo,
            vec![CPU_PER_ECHO, ECHOES_PER_SECOND],
            vec![
                vec![(Plain, reading(&[7.0, 100_000.0])), (Session, reading(&[7.7, 90_000.0]))],
                vec![(Session, reading(&[8.4, 80_000.0])), (Plain, reading(&[7.0, 95_000.0]))],
            ],
        );
        assert_eq!(echo.values(Session, 0), [Some(7.7), Some(8.4)]);
        let idle = results(
            Part::Idle,
            vec![RSS_PER_CONN],
            vec![vec![(Plain, reading(&[2.0])), (Session, reading(&[3.5]))]],
        );
        let text = markdown(&[idle, echo]);
        assert!(text.contains("| round 2 (session, plain) | 7.00 | 8.40 | 1.200× |"), "{text}");
        assert!(text.contains("| **median** | 7.00 | 8.05 | 1.150× |"), "{text}");
        assert!(text.contains("| **least** | 7.00 | 7.70 | 1.100× |"), "{text}");
        assert!(text.contains("| **most** | 100,000 | 90,000 | 0.900× |"), "{text}");
        assert!(
            text.contains("per-round ratio: median [range] | | | 1.150× [1.100–1.200] |"),
            "{text}"
        );
        assert!(text.contains("**MISSED** idle RSS"), "{text}");
        assert!(text.contains("**MET** server CPU per echo"), "{text}");
    }
}
