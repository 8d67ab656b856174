//! `bench-suite`: the side-by-side benchmark. Runs `loadgen` (a child
//! process, `--spawn`ing each server pinned to its own CPU) once per
//! server and scenario, one at a time, reads the JSON files back, and
//! writes tables with ratios against Capstan, the targets MET or MISSED,
//! SVG charts and the machine's description; optionally puts them into a
//! document between markers. The binary is `src/bin/bench_suite.rs`.

pub mod args;
pub mod charts;
pub mod doc;
pub mod loadgen_file;
pub mod machine;
pub mod paths;
pub mod plan;
pub mod plot;
pub mod previous;
pub mod ratio;
pub mod record;
pub mod results;
pub mod runner;
pub mod servers;
pub mod summary;
pub mod tables;
pub mod targets;
pub mod timestamp;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use args::Cli;
use machine::Machine;
use paths::Paths;
use plan::{Preset, Scenario, human};
use previous::Previous;
use record::{Outcome, Record, Records};
use runner::Files;
use summary::About;
use timestamp::Utc;

/// Runs `bench-suite` with `args` (without the program name).
pub fn main(args: Vec<String>) -> ExitCode {
    let cli = match args::parse(args) {
        Ok(cli) => cli,
        // --help (exit code 0) or a bad flag (2), as clap says.
        Err(e) => e.exit(),
    };
    let result = match &cli.from {
        Some(dir) => rebuild(&cli, dir),
        None => run(&cli),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench-suite: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the plan; true if every run completed.
fn run(cli: &Cli) -> Result<bool, String> {
    let paths = Paths::discover(cli.bin_dir.clone())?;
    let selection = servers::select(&cli.servers, &paths)?;
    for (server, why) in &selection.skipped {
        eprintln!("bench-suite: skipping {}: {why}", server.label());
    }
    if selection.servers.is_empty() {
        return Err("no server left to run".into());
    }
    let scenarios = Scenario::parse_list(&cli.scenarios, cli.preset)?;
    let runs = plan::runs(cli.preset, &scenarios, &selection.servers);
    let estimate = plan::total(&runs);
    let caveat = if scenarios.contains(&Scenario::Broadcast) {
        " (more or less as servers saturate: a broadcast window's drain takes up to 30 s)"
    } else {
        ""
    };
    eprintln!(
        "bench-suite: preset {}, {} server(s) × {} scenario(s) = {} runs, estimated {}{caveat}",
        cli.preset.name(),
        selection.servers.len(),
        scenarios.len(),
        runs.len(),
        human(estimate)
    );
    if cli.dry_run {
        let out = Path::new("DIR");
        for r in &runs {
            let files = Files::new(out, &r.name());
            let args = runner::arguments(r, &paths, &files, "…");
            eprintln!("  ~{:>9}  loadgen {}", human(r.estimate), args.join(" "));
        }
        return Ok(true);
    }
    let loadgen = paths.loadgen();
    if !loadgen.is_file() {
        return Err(format!(
            "{} not found: build it with `cargo build --release -p capstan-bench`",
            loadgen.display()
        ));
    }
    let started = Utc::now();
    let out_arg =
        cli.out.clone().unwrap_or_else(|| PathBuf::from("bench-results").join(started.dir_name()));
    std::fs::create_dir_all(&out_arg).map_err(|e| format!("{}: {e}", out_arg.display()))?;
    // loadgen runs from the workspace root: give it absolute paths.
    let out = out_arg.canonicalize().map_err(|e| format!("{}: {e}", out_arg.display()))?;
    let machine = Machine::read(&paths.root, paths.node_found()).markdown();
    write(&out.join("machine.md"), &machine)?;
    eprintln!("bench-suite: results in {}", out.display());

    let clock = Instant::now();
    let mut records = Records::default();
    let mut left = estimate;
    for (i, r) in runs.iter().enumerate() {
        eprintln!(
            "[{}/{}] {} on {} (~{}; {} elapsed, ~{} left)",
            i + 1,
            runs.len(),
            r.scenario.id(),
            r.server.label(),
            human(r.estimate),
            human(clock.elapsed()),
            human(left)
        );
        let note = format!(
            "bench-suite, preset {}, run {}/{}: {} on {}",
            cli.preset.name(),
            i + 1,
            runs.len(),
            r.scenario.id(),
            r.server.label()
        );
        let files = Files::new(&out, &r.name());
        let (outcome, took) =
            runner::execute(r, &paths, &files, &note, |line| eprintln!("      … {line}"));
        match &outcome {
            Outcome::Done(f) => eprintln!("      done in {}: {}", human(took), f.headline()),
            Outcome::Failed(why) => eprintln!("      FAILED after {}: {why}", human(took)),
        }
        records.push(Record {
            scenario: r.scenario,
            server: r.server,
            outcome,
            seconds: Some(took.as_secs_f64()),
        });
        left = left.saturating_sub(r.estimate);
    }
    let about = About {
        preset: cli.preset,
        started: started.readable(),
        seconds: Some(clock.elapsed().as_secs_f64()),
        out_dir: out_arg.display().to_string(),
        skipped: selection.skipped,
    };
    report(cli, &out, &about, &records, &machine)?;
    Ok(records.all_done())
}

/// `--from DIR`: the records from DIR's files (a run with a log and no
/// JSON failed), then the same report.
fn rebuild(cli: &Cli, dir: &Path) -> Result<bool, String> {
    if !dir.is_dir() {
        return Err(format!("{}: no such directory", dir.display()));
    }
    let previous = Previous::read(dir).unwrap_or_default();
    let preset = previous.preset.as_deref().map(Preset::parse).transpose()?.unwrap_or(cli.preset);
    let mut records = Records::default();
    for scenario in Scenario::ALL {
        for server in &servers::ALL {
            let files = Files::new(dir, &plan::run_name(scenario, server));
            let outcome = if files.json.is_file() {
                match results::read(&files.json) {
                    Ok(figures) => Outcome::Done(figures),
                    Err(e) => Outcome::Failed(e),
                }
            } else if files.log.is_file() {
                Outcome::Failed(runner::error_lines(&files.log))
            } else {
                continue;
            };
            records.push(Record { scenario, server, outcome, seconds: None });
        }
    }
    if records.records.is_empty() {
        return Err(format!("{}: no SCENARIO--SERVER.json files", dir.display()));
    }
    let skipped = previous.skipped();
    let machine_path = dir.join("machine.md");
    let machine = match std::fs::read_to_string(&machine_path) {
        Ok(text) => text,
        Err(_) => {
            let paths = Paths::discover(cli.bin_dir.clone())?;
            let text = Machine::read(&paths.root, paths.node_found()).markdown();
            write(&machine_path, &text)?;
            text
        }
    };
    let about = About {
        preset,
        started: previous.started.unwrap_or_else(|| "unknown".into()),
        seconds: previous.seconds,
        out_dir: dir.display().to_string(),
        skipped,
    };
    report(cli, dir, &about, &records, &machine)?;
    Ok(records.all_done())
}

/// Writes summary.md, summary.json and the charts into `out`, updates the
/// document if asked, and prints the targets.
fn report(
    cli: &Cli,
    out: &Path,
    about: &About,
    records: &Records,
    machine: &str,
) -> Result<(), String> {
    let checks = targets::evaluate(records);
    let summary_md = summary::markdown(about, records, &checks);
    write(&out.join("summary.md"), &summary_md)?;
    let json = summary::json(about, records, &checks);
    let text = serde_json::to_string_pretty(&json).map_err(|e| format!("summary.json: {e}"))?;
    write(&out.join("summary.json"), &(text + "\n"))?;
    let charts = charts::all(records)?;
    for chart in &charts {
        write(&out.join(&chart.file), &chart.svg)?;
    }
    if let Some(file) = &cli.update_doc {
        let images = doc::update(file, &summary_md, machine, &charts, &about.out_dir)?;
        eprintln!("bench-suite: {} updated, charts copied to {}", file.display(), images.display());
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "bench-suite: {} runs, {} failed; results in {}",
        records.records.len(),
        records.records.iter().filter(|r| matches!(r.outcome, Outcome::Failed(_))).count(),
        out.display()
    );
    for check in &checks {
        let _ = writeln!(
            stdout,
            "  {:<13} {}: {}",
            check.verdict.to_string(),
            check.target,
            check.detail
        );
    }
    for r in &records.records {
        if let Outcome::Failed(why) = &r.outcome {
            let _ =
                writeln!(stdout, "  FAILED run    {}: {why}", plan::run_name(r.scenario, r.server));
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
