//! Command-line flags of `bench-suite`.

use std::path::PathBuf;

use super::plan::Preset;

/// What the process is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Run (or rebuild) the suite.
    Run(Cli),
    /// Print the usage.
    Help,
}

/// The settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Cli {
    pub preset: Preset,
    /// `--servers` as given.
    pub servers: String,
    /// `--scenarios` as given.
    pub scenarios: String,
    /// The results directory.
    pub out: Option<PathBuf>,
    /// Rebuild the summary from this directory's JSON files; run nothing.
    pub from: Option<PathBuf>,
    /// The document whose marked section gets the results.
    pub update_doc: Option<PathBuf>,
    /// Where loadgen and the server binaries are.
    pub bin_dir: Option<PathBuf>,
    /// Print the plan only.
    pub dry_run: bool,
}

/// The usage text.
pub const USAGE: &str = "\
bench-suite: the side-by-side benchmark. Runs loadgen once per (server, scenario), one
after the other (the server pinned to CPU 1, loadgen to CPU 0), and writes every run's
JSON and table, summary.md and summary.json (tables with ratios against capstan, the
best peer per figure, the targets MET or MISSED), SVG charts and machine.md.

Usage: bench-suite [options]      (from the workspace; scripts/bench.sh builds first)

Options:
  --preset P         full (default): the comparison's sizes, about 30 minutes for all
                     ten servers; smoke: every scenario once, tiny (CI: checks only
                     that each run completes and writes its JSON)
  --servers LIST     comma-separated ids: capstan, tungstenite-default, tungstenite-tuned,
                     fastwebsockets-default, fastwebsockets-tuned, ws-default, ws-tuned,
                     uws-default, uws-tuned, floor (a bare epoll loop: the kernel's
                     share, no peer); or a library for both its configurations
                     (tungstenite, fastwebsockets, ws, uws); all (default); available
                     (every server that can run here, the others skipped with a note).
                     A server that cannot run (a Rust binary not built, node or
                     node_modules missing) is an error saying how to get it, but
                     with `available`
  --scenarios LIST   echo-512, echo-512-if4, echo-16k, broadcast, idle, churn; echo (the
                     preset's echo runs); all (default: the preset's scenarios)
  --out DIR          the results directory (default bench-results/YYYY-MM-DD-HHMMSS, UTC)
  --from DIR         run nothing: rebuild the summary and charts from DIR's JSON files
  --update-doc FILE  put summary.md, machine.md and links to the charts between the
                     markers <!-- bench-suite:begin --> and <!-- bench-suite:end --> of
                     FILE, and copy the charts to docs/bench/ beside FILE
  --bin-dir DIR      where loadgen and the server binaries are (default:
                     $CARGO_TARGET_DIR/release if set, else bench-suite's own directory)
  --dry-run          print the runs and the estimated duration; run nothing

Exits 0 when every run completed (whatever the targets), 1 when one failed, 2 on bad flags.";

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut cli = Cli {
        preset: Preset::Full,
        servers: "all".into(),
        scenarios: "all".into(),
        out: None,
        from: None,
        update_doc: None,
        bin_dir: None,
        dry_run: false,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" | "help" => return Ok(Command::Help),
            "--preset" => cli.preset = Preset::parse(&value()?)?,
            "--servers" => cli.servers = value()?,
            "--scenarios" => cli.scenarios = value()?,
            "--out" => cli.out = Some(value()?.into()),
            "--from" => cli.from = Some(value()?.into()),
            "--update-doc" => cli.update_doc = Some(value()?.into()),
            "--bin-dir" => cli.bin_dir = Some(value()?.into()),
            "--dry-run" => cli.dry_run = true,
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if cli.from.is_some() && cli.out.is_some() {
        return Err("--from rebuilds in its own directory: give --from or --out, not both".into());
    }
    Ok(Command::Run(cli))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &str) -> Result<Cli, String> {
        match parse(args.split_whitespace().map(String::from))? {
            Command::Run(cli) => Ok(cli),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn flags() {
        let c = cli("").unwrap();
        assert_eq!(
            (c.preset, c.servers.as_str(), c.scenarios.as_str()),
            (Preset::Full, "all", "all")
        );
        let c = cli("--preset smoke --servers capstan,ws --scenarios echo --out /tmp/r --dry-run")
            .unwrap();
        assert_eq!(
            (c.preset, c.servers.as_str(), c.scenarios.as_str()),
            (Preset::Smoke, "capstan,ws", "echo")
        );
        assert_eq!(c.out, Some(PathBuf::from("/tmp/r")));
        assert!(c.dry_run);
        let c = cli("--from /tmp/r --update-doc BENCHMARKS.md").unwrap();
        assert_eq!(c.update_doc, Some(PathBuf::from("BENCHMARKS.md")));
        assert_eq!(parse(["--help".to_string()]), Ok(Command::Help));
    }

    #[test]
    fn refusals() {
        for bad in ["--preset huge", "--servers", "--bogus", "--from a --out b"] {
            assert!(cli(bad).is_err(), "{bad}");
        }
    }
}
