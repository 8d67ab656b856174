//! Command-line flags of `deflate_cost`.

use std::path::PathBuf;
use std::time::Duration;

use super::mode::Mode;

/// What the process is asked to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Measure: this process is the client side and starts the servers.
    Measure(Options),
    /// Be the measured server (the hidden `--serve MODE`).
    Serve(Mode),
    /// Print the usage.
    Help,
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

impl Default for Options {
    fn default() -> Self {
        Self {
            connections: 10_000,
            messages: 20,
            modes: Mode::ALL.to_vec(),
            json: None,
            timeout: Duration::from_secs(600),
        }
    }
}

/// The usage text.
pub const USAGE: &str = "\
deflate_cost: what permessage-deflate costs a Capstan server

Usage: deflate_cost [--connections N] [--messages M] [--modes LIST] [--json FILE] [--timeout SECS]

  --connections N  client connections, all subscribed to one topic (default 10000)
  --messages M     messages of ~4 KiB JSON per broadcast run (default 20)
  --modes LIST     comma-separated: off,shared,per-connection (default all three)
  --json FILE      also write the results as JSON to FILE
  --timeout SECS   fail if the whole run takes longer (default 600)

The server runs as a child process (this binary with --serve MODE), pinned
with taskset to another CPU than this one when possible. Results go to
stdout as Markdown; progress goes to stderr.";

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--serve" => {
                let name = value()?;
                return Mode::parse(&name)
                    .map(Command::Serve)
                    .ok_or_else(|| format!("unknown mode {name:?}"));
            }
            "--connections" => options.connections = number(&flag, &value()?)?,
            "--messages" => options.messages = number(&flag, &value()?)?,
            "--timeout" => options.timeout = Duration::from_secs(number(&flag, &value()?)? as u64),
            "--json" => options.json = Some(PathBuf::from(value()?)),
            "--modes" => {
                options.modes = value()?
                    .split(',')
                    .map(|name| Mode::parse(name.trim()).ok_or(format!("unknown mode {name:?}")))
                    .collect::<Result<_, _>>()?;
            }
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    Ok(Command::Measure(options))
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} takes a positive number, not {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &str) -> Result<Command, String> {
        parse(args.split_whitespace().map(String::from))
    }

    #[test]
    fn defaults_and_flags() {
        let Ok(Command::Measure(o)) = parse_str("") else { panic!() };
        assert_eq!((o.connections, o.messages, o.modes.len()), (10_000, 20, 3));
        let Ok(Command::Measure(o)) = parse_str("--connections 5 --modes shared,off --json r.json")
        else {
            panic!()
        };
        assert_eq!(o.connections, 5);
        assert_eq!(o.modes, [Mode::Shared, Mode::Off]);
        assert_eq!(o.json.as_deref(), Some(std::path::Path::new("r.json")));
        assert!(matches!(
            parse_str("--serve per-connection"),
            Ok(Command::Serve(Mode::PerConnection))
        ));
        assert!(parse_str("--connections 0").is_err());
        assert!(parse_str("--modes gzip").is_err());
        assert!(parse_str("--what").is_err());
    }
}
