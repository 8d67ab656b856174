//! What every load tool's `main` does once clap has read its flags: a
//! single-threaded Tokio runtime made (a load generator leaves the other
//! cores to the server it measures).

use std::process::ExitCode;

use tokio::runtime::Runtime;

/// A current-thread runtime with I/O and time, or the exit code after
/// saying why there is none.
pub fn runtime(name: &str) -> Result<Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
        eprintln!("{name}: runtime: {e}");
        ExitCode::FAILURE
    })
}
