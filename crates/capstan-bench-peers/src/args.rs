//! The command line every peer takes, `BIN [--tuned] [ADDR]`, and the line
//! it prints once listening.

use std::io::Write;
use std::net::SocketAddr;

/// Which settings of its library a peer runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// The library's defaults.
    Default,
    /// What the library's documentation suggests for many connections and
    /// little memory (`--tuned`); each binary says what that is.
    Tuned,
}

impl Config {
    /// The name printed in the `LISTENING` line: `default` or `tuned`.
    pub fn name(self) -> &'static str {
        match self {
            Config::Default => "default",
            Config::Tuned => "tuned",
        }
    }
}

/// What the command line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `--help` or `-h`: print the usage.
    Help,
    /// Serve with `config` on `addr`, a loopback address.
    Serve {
        /// The settings.
        config: Config,
        /// Where to listen (port 0: any free one).
        addr: SocketAddr,
    },
}

/// The address listened on when none is given: any free port on 127.0.0.1.
pub const DEFAULT_ADDR: &str = "127.0.0.1:0";

/// Reads the arguments (the program name left out). An error is a message
/// for stderr; the caller exits with status 2.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let (mut config, mut addr) = (Config::Default, None);
    for arg in args {
        match arg.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--tuned" => config = Config::Tuned,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag:?}")),
            _ if addr.is_some() => return Err(format!("one ADDR only, {arg:?} is another")),
            _ => addr = Some(arg),
        }
    }
    let addr = addr.unwrap_or_else(|| DEFAULT_ADDR.into());
    match addr.parse::<SocketAddr>() {
        Ok(parsed) if parsed.ip().is_loopback() => Ok(Command::Serve { config, addr: parsed }),
        _ => Err(format!("{addr:?} is not a loopback IP:PORT")),
    }
}

/// The text `--help` prints: `bin` serves the protocol with `library`.
pub fn usage(bin: &str, library: &str) -> String {
    format!(
        "{bin} [--tuned] [ADDR]: {library} serving /echo and /broadcast for loadgen\n\
         \n  --tuned  the settings its documentation suggests for many connections and\n           \
         little memory (default: the library's defaults)\n  \
         ADDR     where to listen, a loopback address (default {DEFAULT_ADDR}: any free port)\n\
         \nPrints `LISTENING port=P pid=PID url=ws://ADDR config=NAME` on stdout once\n\
         listening; stops on SIGINT or SIGTERM."
    )
}

/// The line printed once listening on `local`, without its newline.
pub fn listening_line(local: SocketAddr, config: Config) -> String {
    format!(
        "LISTENING port={} pid={} url=ws://{local} config={}",
        local.port(),
        std::process::id(),
        config.name()
    )
}

/// Prints [`listening_line`] on stdout and flushes it.
pub fn print_listening(local: SocketAddr, config: Config) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", listening_line(local, config))?;
    stdout.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Command, String> {
        parse(words.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_config_and_address() {
        let serve = |config, addr: &str| Ok(Command::Serve { config, addr: addr.parse().unwrap() });
        assert_eq!(parse_words(""), serve(Config::Default, "127.0.0.1:0"));
        assert_eq!(parse_words("--tuned"), serve(Config::Tuned, "127.0.0.1:0"));
        assert_eq!(parse_words("127.0.0.2:9000 --tuned"), serve(Config::Tuned, "127.0.0.2:9000"));
        assert_eq!(parse_words("[::1]:9000"), serve(Config::Default, "[::1]:9000"));
        assert_eq!(parse_words("--tuned -h"), Ok(Command::Help));
    }

    #[test]
    fn refuses_other_addresses_and_options() {
        for words in ["0.0.0.0:9000", "192.0.2.1:80", "localhost:80", "9000", "--fast", "a b"] {
            assert!(parse_words(words).is_err(), "{words}");
        }
    }

    #[test]
    fn the_line_holds_what_loadgen_reads() {
        let line = listening_line("127.0.0.1:4000".parse().unwrap(), Config::Tuned);
        let pid = std::process::id();
        assert_eq!(
            line,
            format!("LISTENING port=4000 pid={pid} url=ws://127.0.0.1:4000 config=tuned")
        );
    }
}
