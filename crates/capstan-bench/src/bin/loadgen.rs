//! `loadgen SCENARIO …`: load for WebSocket servers on this machine
//! (loopback only). `loadgen --help` for the flags; the code is in
//! `capstan_bench::loadgen`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::loadgen::main(std::env::args().skip(1).collect())
}
