//! `peer-floor [ADDR]`: the loadgen protocol with the least work a server
//! can do ([`capstan_bench_peers::floor`]): one thread on one `epoll`, no
//! validation. A reference for what the kernel costs, not a peer: the
//! targets compare Capstan with the libraries, never with the floor.
//! `--tuned` is taken and changes nothing (there is nothing to tune).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use capstan_bench_peers::args::{self, Args};
use capstan_bench_peers::floor::Floor;

fn main() -> ExitCode {
    const BIN: &str = "peer-floor";
    let args = Args::parse_for(BIN, "a bare epoll loop (the floor)");
    let (config, addr) = (args.config(), args.addr);
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
