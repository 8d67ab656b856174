//! `api-load`: API publishes per second from one client to many WebSocket
//! subscribers (loopback only). `api-load --help` for the flags; the code
//! is in `capstan_bench::api_load`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::api_load::main(std::env::args().skip(1).collect())
}
