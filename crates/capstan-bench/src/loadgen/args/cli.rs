//! `loadgen`'s command line as clap reads it: the scenario (or the hidden
//! `worker`) is a subcommand, and every flag is global, so that it may
//! come before or after the scenario and `--help` lists them all. Each
//! doc comment is the flag's help, kept to one paragraph (its lines as
//! written) so that `-h` and `--help` both show all of it, laid out as
//! written (`term_width = 0`: clap wraps nothing here anyway).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

use super::values;
use crate::loopback::LoopbackUrl;

/// loadgen: a load generator for WebSocket servers on this machine (loopback only)
#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    override_usage = "loadgen <SCENARIO> (--url ws://127.0.0.1:PORT[/PATH]... \
                      [--server-pid PID]... | --spawn \"CMD ARGS\") [OPTIONS]",
    subcommand_value_name = "SCENARIO",
    subcommand_help_heading = "Scenarios",
    subcommand_required = true,
    args_override_self = true,
    term_width = 0,
    after_help = "Results go to stdout as a Markdown table; progress goes to stderr."
)]
pub struct Cli {
    /// The scenario.
    #[command(subcommand)]
    pub scenario: ScenarioArg,
    /// How much load, how long.
    #[command(flatten)]
    pub load: LoadFlags,
    /// Where the server is (listed under its own heading, after the rest).
    #[command(flatten)]
    pub server: ServerFlags,
}

/// The scenario, or a worker process.
#[derive(Debug, Subcommand)]
pub enum ScenarioArg {
    /// N connections, each keeping F messages of S bytes in flight to
    /// /echo; messages/s, round-trip latency, server CPU per message
    #[command(verbatim_doc_comment)]
    Echo,
    /// one publisher and N subscribers on /broadcast, one window per
    /// offered rate; deliveries/s, latency p50/p99/p99.9 (publisher's
    /// timestamp in the payload), server CPU per delivery
    #[command(verbatim_doc_comment)]
    Broadcast,
    /// N connections held open with pings; server RSS per connection,
    /// and the kernel's socket memory (/proc/net/sockstat) separately
    #[command(verbatim_doc_comment)]
    Idle,
    /// connect, echo M messages, close: a bounded number of cycles (and
    /// time); server RSS and open descriptors before and after
    #[command(verbatim_doc_comment)]
    Churn,
    /// One of the worker processes the coordinator starts (this program
    /// again), with its plan as `key=value` words (`WorkerPlan::to_args`).
    #[command(hide = true)]
    Worker {
        /// The plan, passed on untouched.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        plan: Vec<String>,
    },
}

/// Where the server is, and how to speak to it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerFlags {
    /// a running server: ws:// to 127.0.0.0/8, [::1] or localhost only;
    /// repeated for the nodes of a cluster: connection i goes to the
    /// (i mod nodes)-th, the broadcast publisher to the first
    #[arg(long, global = true, value_name = "URL", value_parser = LoopbackUrl::parse)]
    #[arg(verbatim_doc_comment)]
    pub url: Vec<LoopbackUrl>,
    /// read that server's CPU time and memory from /proc (with --url);
    /// one per --url, in the same order: the figures are added up
    #[arg(long, global = true, value_name = "PID", value_parser = values::pid)]
    #[arg(verbatim_doc_comment)]
    pub server_pid: Vec<u32>,
    /// read that process too (a cluster's Redis), reported apart;
    /// repeatable
    #[arg(long, global = true, value_name = "NAME=PID", value_parser = values::watched)]
    #[arg(verbatim_doc_comment)]
    pub watch_pid: Vec<(String, u32)>,
    /// start the server: one argument, split on spaces (no quoting); it
    /// must print `port=P` (and `pid=PID` if it is not the spawned
    /// process) in its first stdout line and listen on 127.0.0.1. It is
    /// pinned to CPU 1 and the load generator to CPU 0 (taskset), unless
    /// --no-pin
    #[arg(long, global = true, value_name = "\"CMD ARGS\"", allow_hyphen_values = true)]
    #[arg(verbatim_doc_comment)]
    pub spawn: Option<String>,
    /// request path (default: the URL's, else /echo or /broadcast;
    /// /echo-session in session mode)
    #[arg(long, global = true, value_name = "PATH", value_parser = values::request_path)]
    #[arg(verbatim_doc_comment)]
    pub path: Option<String>,
    /// do not pin
    #[arg(long, global = true)]
    pub no_pin: bool,
    /// echo, idle: session mode (docs/SESSIONS.md) over WebSocket:
    /// `hello` then `welcome` before a connection counts as open, data
    /// messages prefixed `m`, an `ack` every 32 received; path
    /// /echo-session (the last of --session and --sse counts)
    #[arg(long, global = true, overrides_with = "sse", verbatim_doc_comment)]
    pub session: bool,
    /// echo: session mode over the HTTP fallback: each connection is a
    /// session opened by POST, read as Server-Sent Events, fed by one
    /// batch POST at a time (a connection each: the server closes them)
    #[arg(long, global = true, overrides_with = "session", verbatim_doc_comment)]
    pub sse: bool,
}

/// How much load, and for how long. Without a default here, the default
/// depends on the scenario (`Options`).
#[derive(Debug, Args)]
pub struct LoadFlags {
    /// connections: echo 100, broadcast 1000 (subscribers), idle 1000
    #[arg(long, global = true, value_name = "N", value_parser = values::positive)]
    pub connections: Option<usize>,
    /// message size, at least 25 (echo 512, broadcast 64, churn 512)
    #[arg(long, global = true, value_name = "BYTES", value_parser = values::positive)]
    pub size: Option<usize>,
    /// echo: messages in flight per connection
    #[arg(long, global = true, value_name = "F", value_parser = values::positive)]
    #[arg(default_value = "1")]
    pub in_flight: usize,
    /// broadcast: offered deliveries/s, comma-separated, one window each
    #[arg(long = "rate", global = true, value_name = "LIST", value_parser = values::rate)]
    #[arg(value_delimiter = ',', action = ArgAction::Set, default_value = "100000")]
    pub rates: Vec<f64>,
    /// broadcast: most messages published per window
    #[arg(long, global = true, value_name = "M", value_parser = values::positive)]
    #[arg(default_value = "1000000")]
    pub max_messages: usize,
    /// idle: seconds between pings on one connection
    #[arg(long, global = true, value_name = "S", value_parser = values::seconds)]
    #[arg(default_value = "10")]
    pub ping_interval: Duration,
    /// churn: connect/close cycles
    #[arg(long, global = true, value_name = "N", value_parser = values::positive)]
    #[arg(default_value = "10000")]
    pub cycles: usize,
    /// churn: cycles in flight at once
    #[arg(long, global = true, value_name = "C", value_parser = values::positive)]
    #[arg(default_value = "32")]
    pub concurrency: usize,
    /// churn: messages echoed before closing
    #[arg(long, global = true, value_name = "M", value_parser = values::whole)]
    #[arg(default_value = "1")]
    pub messages_per_cycle: usize,
    /// churn: cycles before the reading of RSS before (0: none); the
    /// RSS of the cold server is reported too
    #[arg(long, global = true, value_name = "W", value_parser = values::whole)]
    #[arg(default_value = "1000", verbatim_doc_comment)]
    pub warmup_cycles: usize,
    /// measured window, seconds; churn's time bound
    #[arg(long, global = true, value_name = "S", value_parser = values::seconds)]
    #[arg(default_value = "10")]
    pub duration: Duration,
    /// echo: load before the window, seconds (0: none)
    #[arg(long, global = true, value_name = "S", value_parser = values::seconds_or_zero)]
    #[arg(default_value = "1")]
    pub warmup: Duration,
    /// limit for the whole run, seconds
    #[arg(long, global = true, value_name = "S", value_parser = values::seconds)]
    #[arg(default_value = "600")]
    pub timeout: Duration,
    /// worker processes (default: enough for 18,000 connections each)
    #[arg(long, global = true, value_name = "K", value_parser = values::positive)]
    pub procs: Option<usize>,
    /// source addresses 127.0.0.1..N (default: 1 up to 25,000
    /// connections, else one per 12,000: bound sockets, see
    /// src/sources.rs)
    #[arg(long, global = true, value_name = "N", value_parser = values::positive)]
    #[arg(verbatim_doc_comment)]
    pub sources: Option<usize>,
    /// handshakes in flight per worker
    #[arg(long, global = true, value_name = "C", value_parser = values::positive)]
    #[arg(default_value = "128")]
    pub connect_concurrency: usize,
    /// also write the results as JSON to FILE
    #[arg(long, global = true, value_name = "FILE", allow_hyphen_values = true)]
    pub json: Option<PathBuf>,
    /// a remark printed with the results (e.g. what else ran);
    /// repeatable
    #[arg(long = "note", global = true, value_name = "TEXT", allow_hyphen_values = true)]
    #[arg(verbatim_doc_comment)]
    pub notes: Vec<String>,
}
