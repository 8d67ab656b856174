//! `wamp-load events|calls|idle|table …`: WAMP v2 load for a router on
//! this machine (loopback only). `wamp-load --help` for the flags; the
//! code is in `capstan_bench::wamp_load`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::wamp_load::main(std::env::args().skip(1).collect())
}
