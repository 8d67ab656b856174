//! `peer-floor [ADDR]`: the loadgen protocol with the least work a server
//! can do ([`capstan_bench_peers::floor`]): one thread on one `epoll`, no
//! validation. A reference for what the kernel costs, not a peer: the
//! targets compare Capstan with the libraries, never with the floor.
//! `--tuned` is taken and changes nothing (there is nothing to tune).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use capstan_bench_peers::args::{self, Command};
use capstan_bench_peers::floor::Floor;

fn main() -> ExitCode {
    const BIN: &str = "peer-floor";
    let (config, addr) = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            println!("{}", args::usage(BIN, "a bare epoll loop (the floor)"));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Serve { config, addr }) => (config, addr),
        Err(e) => {
            eprintln!("{BIN}: {e}\n\n{}", args::usage(BIN, "a bare epoll loop (the floor)"));
            return ExitCode::from(2);
        }
    };
    let served = Floor::bind(addr).and_then(|floor| {
        args::print_listening(floor.local_addr()?, config)?;
        floor.run()
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{BIN}: {e}");
            ExitCode::FAILURE
        }
    }
}
