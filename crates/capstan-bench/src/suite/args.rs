//! Command-line flags of `bench-suite`, read by clap (derive): `--help`
//! is the doc comments below, one paragraph each, laid out as written.

use std::path::PathBuf;

use clap::Parser;

use super::plan::Preset;

/// bench-suite: the side-by-side benchmark. Runs loadgen once per (server, scenario), one
/// after the other (the server pinned to CPU 1, loadgen to CPU 0), and writes every run's
/// JSON and table, summary.md and summary.json (tables with ratios against capstan, the
/// best peer per figure, the targets MET or MISSED), SVG charts and machine.md.
#[derive(Debug, Clone, PartialEq, Parser)]
#[command(
    name = "bench-suite",
    override_usage = "bench-suite [OPTIONS]      (from the workspace; scripts/bench.sh builds first)",
    verbatim_doc_comment,
    term_width = 0,
    args_override_self = true,
    after_help = "Exits 0 when every run completed (whatever the targets), 1 when one failed, \
                  2 on bad flags."
)]
pub struct Cli {
    /// full: the comparison's sizes, about 30 minutes for all ten servers;
    /// smoke: every scenario once, tiny (CI: checks only that each run
    /// completes and writes its JSON)
    #[arg(long, value_enum, value_name = "P", default_value_t = Preset::Full)]
    #[arg(hide_possible_values = true, verbatim_doc_comment)]
    pub preset: Preset,
    /// comma-separated ids: capstan, tungstenite-default, tungstenite-tuned,
    /// fastwebsockets-default, fastwebsockets-tuned, ws-default, ws-tuned,
    /// uws-default, uws-tuned, floor (a bare epoll loop: the kernel's
    /// share, no peer); or a library for both its configurations
    /// (tungstenite, fastwebsockets, ws, uws); all (default); available
    /// (every server that can run here, the others skipped with a note).
    /// A server that cannot run (a Rust binary not built, node or
    /// node_modules missing) is an error saying how to get it, but
    /// with `available`
    #[arg(long, value_name = "LIST", default_value = "all", hide_default_value = true)]
    #[arg(verbatim_doc_comment)]
    pub servers: String,
    /// echo-512, echo-512-if4, echo-16k, broadcast, idle, churn; echo (the
    /// preset's echo runs); all (default: the preset's scenarios)
    #[arg(long, value_name = "LIST", default_value = "all", hide_default_value = true)]
    #[arg(verbatim_doc_comment)]
    pub scenarios: String,
    /// the results directory (default bench-results/YYYY-MM-DD-HHMMSS, UTC)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// run nothing: rebuild the summary and charts from DIR's JSON files
    /// (in DIR itself: not with --out)
    #[arg(long, value_name = "DIR", conflicts_with = "out", verbatim_doc_comment)]
    pub from: Option<PathBuf>,
    /// put summary.md, machine.md and links to the charts between the
    /// markers <!-- bench-suite:begin --> and <!-- bench-suite:end --> of
    /// FILE, and copy the charts to docs/bench/ beside FILE
    #[arg(long, value_name = "FILE", verbatim_doc_comment)]
    pub update_doc: Option<PathBuf>,
    /// where loadgen and the server binaries are (default:
    /// $CARGO_TARGET_DIR/release if set, else bench-suite's own directory)
    #[arg(long, value_name = "DIR", verbatim_doc_comment)]
    pub bin_dir: Option<PathBuf>,
    /// print the runs and the estimated duration; run nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Parses the arguments (without the program name). The error is clap's:
/// `--help` is one (exit code 0, the help on stdout), a bad flag another
/// (exit code 2).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("bench-suite".to_string()).chain(args))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    fn cli(args: &str) -> Result<Cli, clap::Error> {
        parse(args.split_whitespace().map(String::from))
    }

    #[test]
    fn flags() {
        let c = cli("--preset smoke --servers capstan,ws --scenarios echo --out /tmp/r --dry-run")
            .unwrap();
        assert_eq!(
            (c.preset, c.servers.as_str(), c.scenarios.as_str()),
            (Preset::Smoke, "capstan,ws", "echo")
        );
        assert_eq!(c.out, Some(PathBuf::from("/tmp/r")));
        assert!(c.dry_run);
        let c = cli("--from /tmp/r --update-doc BENCHMARKS.md --bin-dir b").unwrap();
        assert_eq!(c.from, Some(PathBuf::from("/tmp/r")));
        assert_eq!(c.update_doc, Some(PathBuf::from("BENCHMARKS.md")));
        assert_eq!(c.bin_dir, Some(PathBuf::from("b")));
        // The last of a repeated flag counts, as before clap.
        let c = cli("--servers ws --servers floor --preset smoke --preset full").unwrap();
        assert_eq!((c.servers.as_str(), c.preset), ("floor", Preset::Full));
    }

    #[test]
    fn defaults() {
        let c = cli("").unwrap();
        let expected = Cli {
            preset: Preset::Full,
            servers: "all".into(),
            scenarios: "all".into(),
            out: None,
            from: None,
            update_doc: None,
            bin_dir: None,
            dry_run: false,
        };
        assert_eq!(c, expected);
    }

    #[test]
    fn help() {
        for help in ["--help", "-h"] {
            let e = cli(help).unwrap_err();
            assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayHelp, 0));
        }
        let help = Cli::command().render_help().to_string();
        for words in ["fastwebsockets-tuned", "<!-- bench-suite:begin -->", "2 on bad flags"] {
            assert!(help.contains(words), "{words}: {help}");
        }
    }

    #[test]
    fn refusals() {
        for bad in ["--preset huge", "--servers", "--bogus", "--from a --out b", "help"] {
            let e = cli(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
    }
}
