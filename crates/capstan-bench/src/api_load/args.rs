//! `api-load`'s flags (clap; `api-load --help`).

use std::ffi::OsString;
use std::net::SocketAddr;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, ValueEnum};

/// api-load: API publishes per second from one client to many WebSocket subscribers.
///
/// Connects --subscribers subscribers to the server's WebSocket at /ws, then
/// makes --publishes publishes through its API (POST /api/publish, the key in
/// X-API-Key), --in-flight at a time, and waits until every subscriber has
/// every publication. Prints one line of key=value pairs: publishes per
/// second, the time until the last delivery, and the server's CPU per publish
/// (with --pid). Exits 1 if the run fails (a delivery missing within --timeout),
/// 2 on bad flags.
#[derive(Debug, Parser)]
#[command(name = "api-load", no_binary_name = true, args_override_self = true)]
#[command(verbatim_doc_comment)]
struct Cli {
    #[command(flatten)]
    options: Options,
}

/// What the subscribers speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// The Capstan chat: `add_user` first, then every publication arrives
    /// as a `message` (or a `notice` with `--skip-history`) envelope.
    Chat,
    /// Every text frame is a publication (the Node peer).
    Plain,
}

/// A run's settings.
#[derive(Debug, Clone, Args)]
pub struct Options {
    /// The server (WebSocket at /ws, API at POST /api/publish).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The server's process id: its CPU per publish is reported.
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// The API key sent with each publish (X-API-Key).
    #[arg(long, value_name = "KEY", value_parser = NonEmptyStringValueParser::new())]
    pub key: String,
    /// What the subscribers speak.
    #[arg(long, value_enum, default_value_t = Protocol::Chat)]
    pub protocol: Protocol,
    /// Subscribers connected before the publishes.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub subscribers: usize,
    /// Publishes made.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub publishes: usize,
    /// Publishes in flight at once, each on its own kept-alive connection (0 counts as 1).
    #[arg(long, value_name = "N", default_value = "1", value_parser = at_least_one)]
    pub in_flight: usize,
    /// Publishes with `skip_history`.
    #[arg(long)]
    pub skip_history: bool,
    /// The channel.
    #[arg(long, value_name = "NAME", default_value = "general")]
    pub channel: String,
    /// A label for the report.
    #[arg(long, value_name = "TEXT", default_value = "", hide_default_value = true)]
    pub label: String,
    /// Longest run, in seconds, before giving up.
    #[arg(long = "timeout", value_name = "S", default_value_t = 120)]
    pub timeout_s: u64,
}

/// Reads `args` (without the program name): the options, or clap's error
/// (`--help` too) for [`clap::Error::exit`]: status 0 for help, 2 otherwise.
pub fn parse<I, T>(args: I) -> Result<Options, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    Cli::try_parse_from(args).map(|cli| cli.options)
}

/// A whole number, 0 taken as 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    value.parse::<usize>().map(|n| n.max(1)).map_err(|_| "not a whole number".into())
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parsed(line: &str) -> Result<Options, clap::Error> {
        parse(line.split_whitespace())
    }

    #[test]
    fn flags_and_defaults() {
        let o = parsed("--key k").unwrap();
        assert_eq!((o.addr, o.pid), ("127.0.0.1:8080".parse().unwrap(), None));
        assert_eq!((o.key.as_str(), o.protocol), ("k", Protocol::Chat));
        assert_eq!((o.subscribers, o.publishes, o.in_flight), (1000, 2000, 1));
        assert_eq!((o.skip_history, o.channel.as_str(), o.label.as_str()), (false, "general", ""));
        assert_eq!(o.timeout_s, 120);
        let o = parsed(
            "--addr 127.0.0.1:9 --pid 7 --key k --protocol plain --subscribers 10 \
             --publishes 20 --in-flight 4 --skip-history --channel c --label l --timeout 30",
        )
        .unwrap();
        assert_eq!((o.addr, o.pid), ("127.0.0.1:9".parse().unwrap(), Some(7)));
        assert_eq!((o.subscribers, o.protocol), (10, Protocol::Plain));
        assert_eq!((o.publishes, o.in_flight, o.skip_history), (20, 4, true));
        assert_eq!((o.channel.as_str(), o.label.as_str(), o.timeout_s), ("c", "l", 30));
        assert_eq!(parsed("--key k --in-flight 0").unwrap().in_flight, 1);
        assert_eq!(parsed("--help").unwrap_err().kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn the_key_is_required_and_mistakes_are_named() {
        let error = |line: &str| parsed(line).unwrap_err();
        let e = error("--subscribers 10");
        assert_eq!(e.kind(), ErrorKind::MissingRequiredArgument);
        assert!(e.to_string().contains("--key <KEY>"), "{e}");
        // An empty key was refused too.
        let e = parse(["--key", ""]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue, "{e}");
        assert_eq!(error("--key k --nope").kind(), ErrorKind::UnknownArgument);
        let e = error("--key k --protocol wamp");
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(e.to_string().contains("chat, plain"), "{e}");
        assert_eq!(error("--key k --subscribers many").kind(), ErrorKind::ValueValidation);
        assert_eq!(error("--key k --addr nowhere").kind(), ErrorKind::ValueValidation);
        assert!(error("--key k --addr nowhere").exit_code() == 2);
    }
}
