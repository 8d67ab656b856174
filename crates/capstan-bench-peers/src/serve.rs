//! What every peer's `main` does around its library: read the command line,
//! start the runtime, listen, print the `LISTENING` line, hand each accepted
//! connection to the library's code, and stop on SIGINT or SIGTERM.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};

use crate::args::{self, Args, Config};

/// Runs the peer `bin` (built on `library`) until SIGINT or SIGTERM, or
/// prints its `--help` (or a usage error, then exits with 2). `handler` is called once, with the configuration asked for, and returns
/// what serves one accepted TCP connection (the HTTP upgrade included); each
/// runs as a task of its own.
///
/// The runtime is Tokio's multi-threaded one with its default worker count,
/// `available_parallelism()`, which counts the CPUs the process may run on:
/// one under `taskset -c 1`, as `loadgen --spawn` runs it.
pub fn run<H, F>(bin: &'static str, library: &str, handler: impl FnOnce(Config) -> H) -> ExitCode
where
    H: Fn(TcpStream) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let args = Args::parse_for(bin, library);
    let (config, addr) = (args.config(), args.addr);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{bin}: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let handle = handler(config);
    match runtime.block_on(accept_until_signal(addr, config, handle)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{bin}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Listens on `addr`, prints the `LISTENING` line, and spawns `handle` for
/// every connection until a signal comes. Accepted sockets get TCP_NODELAY,
/// as Capstan's server sets it, so that Nagle's algorithm does not hold
/// back the small messages of one peer and not another's.
async fn accept_until_signal<H, F>(addr: SocketAddr, config: Config, handle: H) -> io::Result<()>
where
    H: Fn(TcpStream) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    args::print_listening(listener.local_addr()?, config)?;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(handle(stream));
                }
                // Out of descriptors, most likely: wait for some to close.
                Err(e) => {
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
        }
    }
}
