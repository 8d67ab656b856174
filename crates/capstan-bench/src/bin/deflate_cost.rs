//! What permessage-deflate costs a Capstan server: resident memory per
//! connection (idle and after one message each way) and CPU per broadcast,
//! with compression off, shared (no context takeover) and per connection
//! (context takeover). `deflate_cost --help` for the flags.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use capstan_bench::deadline::Deadline;
use capstan_bench::deflate_cost::args::{self, Command, Options};
use capstan_bench::deflate_cost::report::Report;
use capstan_bench::deflate_cost::run::{self, Plan};
use capstan_bench::deflate_cost::server;
use capstan_bench::pin::{self, Pinning};
use capstan_bench::procfs;

fn main() -> ExitCode {
    let options = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Measure(options)) => options,
        Ok(Command::Serve(mode)) => {
            return match server::serve(mode) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("server: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        // --help (exit code 0) or a bad flag (2), as clap says.
        Err(e) => e.exit(),
    };
    // Before any thread starts: threads inherit the pinning.
    let pinning = pin::pin_this_process();
    eprintln!("{}", pinning.description);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("deflate_cost: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(measure(&options, &pinning)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deflate_cost: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn measure(options: &Options, pinning: &Pinning) -> Result<(), String> {
    // The clients hold a descriptor per connection, as does the server.
    let needed = options.connections as u64 + 64;
    if let Some(limit) = procfs::open_files_limit().filter(|&limit| limit < needed) {
        return Err(format!(
            "{} connections need about {needed} open files, the limit is {limit} (ulimit -n)",
            options.connections
        ));
    }
    let deadline = Deadline::new(options.timeout);
    let plan = Plan {
        connections: options.connections,
        messages: options.messages,
        server_cpu: pinning.server_cpu,
    };
    let mut report = Report {
        connections: options.connections,
        messages: options.messages,
        pinning: pinning.description.clone(),
        ticks_per_second: procfs::clock_ticks_per_second(),
        page_size: procfs::page_size(),
        mem_pcpu_rsv: procfs::mem_pcpu_rsv(),
        results: Vec::new(),
    };
    let mut failure = None;
    for &mode in &options.modes {
        match run::measure(mode, plan, &deadline).await {
            Ok(result) => report.results.push(result),
            Err(e) => {
                failure = Some(format!("{} mode: {e}", mode.name()));
                break;
            }
        }
    }
    if !report.results.is_empty() {
        print!("{}", report.markdown());
        if let Some(path) = &options.json {
            std::fs::write(path, report.json().pretty())
                .map_err(|e| format!("writing {}: {e}", path.display()))?;
            eprintln!("results written to {}", path.display());
        }
    }
    failure.map_or(Ok(()), Err)
}
