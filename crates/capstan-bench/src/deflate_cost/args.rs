//! Command-line flags of `deflate_cost`, read by clap (derive): `--help`
//! is the doc comments below.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser};

use super::mode::Mode;

/// What the process is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Measure: this process is the client side and starts the servers.
    Measure(Options),
    /// Be the measured server (the hidden `--serve MODE`).
    Serve(Mode),
}

/// The measurement's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Client connections, all subscribed to the topic.
    pub connections: usize,
    /// Messages per broadcast run.
    pub messages: usize,
    /// Server modes, measured in this order.
    pub modes: Vec<Mode>,
    /// Where to write the results as JSON.
    pub json: Option<PathBuf>,
    /// Limit for the whole run.
    pub timeout: Duration,
}

/// deflate_cost: what permessage-deflate costs a Capstan server
#[derive(Debug, Parser)]
#[command(
    name = "deflate_cost",
    term_width = 0,
    args_override_self = true,
    after_help = "The server runs as a child process (this binary with --serve MODE), pinned\n\
                  with taskset to another CPU than this one when possible. Results go to\n\
                  stdout as Markdown; progress goes to stderr."
)]
struct Cli {
    /// client connections, all subscribed to one topic
    #[arg(long, value_name = "N", value_parser = positive, default_value = "10000")]
    connections: usize,
    /// messages of ~4 KiB JSON per broadcast run
    #[arg(long, value_name = "M", value_parser = positive, default_value = "20")]
    messages: usize,
    /// modes measured, in this order, comma-separated (off, shared, per-connection)
    #[arg(long, value_name = "LIST", value_parser = mode, value_delimiter = ',')]
    #[arg(action = ArgAction::Set, default_value = "off,shared,per-connection")]
    modes: Vec<Mode>,
    /// also write the results as JSON to FILE
    #[arg(long, value_name = "FILE", allow_hyphen_values = true)]
    json: Option<PathBuf>,
    /// fail if the whole run takes longer, seconds
    #[arg(long, value_name = "SECS", value_parser = positive, default_value = "600")]
    timeout: usize,
    /// be the measured server in MODE (how this binary starts its servers)
    #[arg(long, value_name = "MODE", value_parser = mode, hide = true)]
    serve: Option<Mode>,
}

/// Parses the arguments (without the program name). The error is clap's:
/// `--help` is one (exit code 0, the help on stdout), a bad flag another
/// (exit code 2).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, clap::Error> {
    let cli = Cli::try_parse_from(std::iter::once("deflate_cost".to_string()).chain(args))?;
    Ok(match cli.serve {
        Some(mode) => Command::Serve(mode),
        None => Command::Measure(Options {
            connections: cli.connections,
            messages: cli.messages,
            modes: cli.modes,
            json: cli.json,
            timeout: Duration::from_secs(cli.timeout as u64),
        }),
    })
}

/// A positive whole number.
fn positive(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("takes a positive number".into()),
    }
}

/// A mode by its name (spaces around it ignored, as in `off, shared`).
fn mode(name: &str) -> Result<Mode, String> {
    Mode::parse(name.trim()).ok_or_else(|| "modes are off, shared, per-connection".into())
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse_str(args: &str) -> Result<Command, clap::Error> {
        parse(args.split_whitespace().map(String::from))
    }

    fn measure(args: &str) -> Options {
        match parse_str(args) {
            Ok(Command::Measure(o)) => o,
            other => panic!("{args}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let o = measure("");
        assert_eq!((o.connections, o.messages, o.modes.as_slice()), (10_000, 20, &Mode::ALL[..]));
        assert_eq!((o.json, o.timeout), (None, Duration::from_secs(600)));
    }

    #[test]
    fn flags() {
        let o =
            measure("--connections 5 --modes shared,off --json r.json --timeout 7 --messages 3");
        assert_eq!((o.connections, o.messages, o.timeout), (5, 3, Duration::from_secs(7)));
        assert_eq!(o.modes, [Mode::Shared, Mode::Off]);
        assert_eq!(o.json.as_deref(), Some(std::path::Path::new("r.json")));
        // The last --modes counts (not added up), and names may be spaced.
        let o = parse(["--modes", "off", "--modes", "per-connection, shared"].map(String::from));
        let Ok(Command::Measure(o)) = o else { panic!("{o:?}") };
        assert_eq!(o.modes, [Mode::PerConnection, Mode::Shared]);
        assert!(matches!(
            parse_str("--serve per-connection"),
            Ok(Command::Serve(Mode::PerConnection))
        ));
    }

    #[test]
    fn help_and_refusals() {
        let e = parse_str("--help").unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayHelp, 0));
        assert!(
            e.to_string().contains("per-connection") && !e.to_string().contains("--serve <MODE>")
        );
        for bad in
            ["--connections 0", "--modes gzip", "--what", "--timeout 1.5", "--serve both", "--json"]
        {
            assert_eq!(parse_str(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }
}
