//! `game-load --addr 127.0.0.1:PORT --server-pid PID …`: games of
//! Connect-5 against capstan-game on this machine (loopback only).
//! `game-load --help` for the flags; the code is in
//! `capstan_bench::game_load`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::game_load::main(std::env::args().skip(1).collect())
}
