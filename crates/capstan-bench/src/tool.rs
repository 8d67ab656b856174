//! What every load tool's `main` does first: its flags read (`--help`
//! prints the usage and exits 0; a bad flag prints why and the usage and
//! exits 2) and a single-threaded Tokio runtime made (a load generator
//! leaves the other cores to the server it measures).

use std::process::ExitCode;

use tokio::runtime::Runtime;

/// The options `parse` reads from `args`, or the exit code when there is
/// nothing to run (`--help`: 0; a bad flag: 2, after saying why).
pub fn options<O, E: std::fmt::Display>(
    name: &str,
    args: &[String],
    parse: impl FnOnce(&[String]) -> Result<Option<O>, E>,
    usage: &str,
) -> Result<O, ExitCode> {
    match parse(args) {
        Ok(Some(options)) => Ok(options),
        Ok(None) => {
            print!("{usage}");
            Err(ExitCode::SUCCESS)
        }
        Err(message) => {
            eprintln!("{name}: {message}\n\n{usage}");
            Err(ExitCode::from(2))
        }
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
