//! The hook tests' backend: session_backend.py (a small web app with
//! sessions of its own, Python's standard library only) run as a child
//! process on a free loopback port; killed when dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use capstan_api::hooks::HookConfig;
use capstan_testkit::process::Process;
use capstan_testkit::wait::WAIT;

/// The running backend.
pub struct Backend {
    process: Process,
}

impl Backend {
    /// Starts session_backend.py with python3; waits for its first line.
    pub fn start() -> Backend {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/backend/session_backend.py");
        let process = Process::start(Command::new("python3").arg(script), WAIT)
            .unwrap_or_else(|e| panic!("the session backend (python3 is needed): {e}"));
        Backend { process }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.process.address()
    }

    /// A hook calling its `path`, with the default settings.
    pub fn hook(&self, path: &str) -> HookConfig {
        HookConfig::new(&format!("http://{}{path}", self.addr())).unwrap()
    }
}
