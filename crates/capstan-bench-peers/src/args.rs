//! The command line every peer takes, `BIN [--tuned] [ADDR]` (clap, with
//! `--help` generated), and the line it prints once listening.

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;

use clap::error::Error;
use clap::{CommandFactory, FromArgMatches, Parser};

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

/// The address listened on when none is given: any free port on 127.0.0.1.
pub const DEFAULT_ADDR: &str = "127.0.0.1:0";

/// What `--help` says after the flags.
const AFTER_HELP: &str = "Prints `LISTENING port=P pid=PID url=ws://ADDR config=NAME` on stdout \
                          once listening; stops on SIGINT or SIGTERM.";

/// The command line of every peer, `BIN [--tuned] [ADDR]`. Its name and
/// library are the binary's: see [`Args::command_for`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Parser)]
#[command(args_override_self = true, after_help = AFTER_HELP)]
pub struct Args {
    /// The settings its library's documentation suggests for many
    /// connections and little memory (default: the library's defaults).
    #[arg(long)]
    pub tuned: bool,

    /// Where to listen, a loopback IP:PORT (port 0: any free port).
    #[arg(default_value = DEFAULT_ADDR, value_parser = loopback)]
    pub addr: SocketAddr,
}

impl Args {
    /// The command of the peer `bin`, which serves with `library`: its
    /// name and the first line of its `--help`.
    pub fn command_for(bin: &'static str, library: &str) -> clap::Command {
        Self::command()
            .name(bin)
            .bin_name(bin)
            .about(format!("{library} serving /echo and /broadcast for loadgen"))
    }

    /// Reads `args`, the program name first. `--help` and usage errors
    /// come back as clap's errors (exit status 0 and 2).
    pub fn try_parse_for<I, T>(bin: &'static str, library: &str, args: I) -> Result<Args, Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = Self::command_for(bin, library).try_get_matches_from(args)?;
        Self::from_arg_matches(&matches)
    }

    /// Reads the process's arguments; prints the help or the error and
    /// exits (status 0 or 2) if they ask for no run.
    pub fn parse_for(bin: &'static str, library: &str) -> Args {
        Self::try_parse_for(bin, library, std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// The settings asked for.
    pub fn config(&self) -> Config {
        if self.tuned { Config::Tuned } else { Config::Default }
    }
}

/// Parses ADDR: an `IP:PORT` whose IP is a loopback address.
fn loopback(text: &str) -> Result<SocketAddr, String> {
    match text.parse::<SocketAddr>() {
        Ok(addr) if addr.ip().is_loopback() => Ok(addr),
        _ => Err("not a loopback IP:PORT".into()),
    }
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

    use clap::error::ErrorKind;

    fn parse_words(words: &str) -> Result<Args, Error> {
        let args = std::iter::once("peer-test").chain(words.split_whitespace());
        Args::try_parse_for("peer-test", "a test library", args)
    }

    fn serving(words: &str) -> (Config, SocketAddr) {
        let args = parse_words(words).unwrap_or_else(|e| panic!("{words:?}: {e}"));
        (args.config(), args.addr)
    }

    #[test]
    fn parses_config_and_address() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        assert_eq!(serving(""), (Config::Default, any), "the defaults");
        assert_eq!(serving("--tuned"), (Config::Tuned, any));
        assert_eq!(
            serving("127.0.0.2:9000 --tuned"),
            (Config::Tuned, "127.0.0.2:9000".parse().unwrap())
        );
        assert_eq!(serving("[::1]:9000"), (Config::Default, "[::1]:9000".parse().unwrap()));
        assert_eq!(serving("--tuned --tuned"), (Config::Tuned, any), "a flag again is no error");
    }

    #[test]
    fn help_names_the_binary_its_library_and_the_flags() {
        for words in ["-h", "--help", "--tuned -h", "127.0.0.2:1 --help"] {
            let help = parse_words(words).unwrap_err();
            assert_eq!(help.kind(), ErrorKind::DisplayHelp, "{words}");
            assert_eq!(help.exit_code(), 0, "{words}");
        }
        let help = Args::command_for("peer-test", "a test library").render_long_help().to_string();
        for said in [
            "a test library serving /echo and /broadcast for loadgen",
            "Usage: peer-test [OPTIONS] [ADDR]",
            "--tuned",
            "little memory",
            "[default: 127.0.0.1:0]",
            "LISTENING port=P",
            "SIGTERM",
        ] {
            assert!(help.contains(said), "{said:?} in\n{help}");
        }
    }

    #[test]
    fn refuses_other_addresses_and_options() {
        for words in ["0.0.0.0:9000", "192.0.2.1:80", "localhost:80", "9000", "--fast", "a b"] {
            let error = parse_words(words).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{words}: {error}");
        }
        let error = parse_words("0.0.0.0:9000").unwrap_err().to_string();
        assert!(error.contains("not a loopback IP:PORT"), "{error}");
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
