//! What the load tools share around clap: no arguments read as a request
//! for help, and a single-threaded Tokio runtime (a load generator leaves
//! the other cores to the server it measures).

use std::ffi::OsString;
use std::process::ExitCode;

use tokio::runtime::Runtime;

/// `args` (no program name: the command has `no_binary_name`) read into
/// `C`; no arguments at all is a request for help (status 0), as the
/// scenario tools always had it.
pub fn parse_or_help<C, I, T>(args: I) -> Result<C, clap::Error>
where
    C: clap::Parser,
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut args = args.into_iter().peekable();
    match args.peek() {
        None => C::try_parse_from(["--help"]),
        Some(_) => C::try_parse_from(args),
    }
}

/// A current-thread runtime with I/O and time, or the exit code after
/// saying why there is none.
pub fn runtime(name: &str) -> Result<Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        eprintln!("{name}: runtime: {e}");
        ExitCode::FAILURE
    })
}
