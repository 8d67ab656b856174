//! `bench-suite`: runs loadgen against Capstan and the peer servers, one
//! run per server and scenario, and writes tables with ratios, the targets
//! and SVG charts. `bench-suite --help` for the flags; the code is in
//! `capstan_bench::suite`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::suite::main(std::env::args().skip(1).collect())
}
