//! What session mode costs a Capstan server beside plain WebSocket
//! (issue #17): `session-cost --loadgen PATH --server PATH --out DIR`;
//! `--help` for the flags. See [`capstan_bench::session_cost`].

#![forbid(unsafe_code)]

use std::process::ExitCode;

use capstan_bench::session_cost::report::{self, Results};
use capstan_bench::session_cost::{args, plan, run};

fn main() -> ExitCode {
    let o = args::parse(std::env::args_os().skip(1)).unwrap_or_else(|e| e.exit());
    if let Err(e) = std::fs::create_dir_all(&o.out) {
        eprintln!("session-cost: {}: {e}", o.out.display());
        return ExitCode::FAILURE;
    }
    let mut results: Vec<Results> = plan::comparisons(&o)
        .into_iter()
        .map(|comparison| Results { comparison, rounds: Vec::new() })
        .collect();
    let mut failed = 0;
    for round in 1..=o.rounds {
        for r in &mut results {
            let mut readings = Vec::new();
            for side in plan::order(&r.comparison.sides, round) {
                eprintln!("[round {round}/{}] {} {}", o.rounds, r.comparison.name, side.name());
                let reading = run::run(&o, &r.comparison, side, round);
                if let Some(error) = &reading.error {
                    eprintln!("  failed: {error}");
                    failed += 1;
                }
                readings.push((side, reading));
            }
            r.rounds.push(readings);
        }
    }
    let text = report::markdown(&results);
    print!("{text}");
    let summary = o.out.join("summary.md");
    if let Err(e) = std::fs::write(&summary, &text) {
        eprintln!("session-cost: {}: {e}", summary.display());
        return ExitCode::FAILURE;
    }
    eprintln!("tables in {}, every run's JSON and log beside them", summary.display());
    if failed > 0 {
        eprintln!("session-cost: {failed} run(s) failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
