//! `chat-load presence|flood|soak …`: load for the capstan-chat server on this
//! machine (loopback only). `chat-load --help` for the flags; the code is
//! in `capstan_bench::chat_load`.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    capstan_bench::chat_load::main(std::env::args().skip(1).collect())
}
