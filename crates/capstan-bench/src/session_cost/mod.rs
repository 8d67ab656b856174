//! `session-cost`: what session mode (docs/SESSIONS.md) costs a Capstan
//! server beside plain WebSocket, measured side by side in one run
//! (issue #17's costs): idle memory per connection, server CPU per echo,
//! and the HTTP fallback's (SSE + batch POSTs) throughput beside a
//! WebSocket's. Each figure is a `loadgen` run against
//! `capstan-bench-server` (`/echo` and `/echo-session`), ROUNDS times per
//! side, the order of the sides turning each round (the machine's drift
//! favours none); the tables give each round, the medians, the bests and
//! the ratios. The binary is `src/bin/session_cost.rs`; the script
//! `scripts/session-cost.sh` builds and runs it.

pub mod args;
pub mod plan;
pub mod report;
pub mod run;
pub mod stats;
