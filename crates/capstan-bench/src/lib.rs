//! Benchmarks of Capstan, as binaries (`src/bin`):
//!
//! - `deflate_cost`: what permessage-deflate costs a server ([`deflate_cost`]);
//! - `loadgen`: a load generator with echo, broadcast, idle and churn
//!   scenarios, for Capstan and peer servers ([`loadgen`]);
//! - `capstan-bench-server`: Capstan serving the load generator's protocol;
//! - `bench-suite`: loadgen run against Capstan and peer servers, with
//!   tables, ratios, targets and charts ([`suite`]);
//! - `chat-load`: presence and flood load for the chat server
//!   ([`chat_load`]);
//! - `game-load`: many Connect-5 games at once against capstan-game, the
//!   latency of each move to its players and spectators ([`game_load`]);
//! - `session-cost`: what session mode costs beside plain WebSocket, run
//!   side by side through `loadgen --session`/`--sse` ([`session_cost`]);
//! - `wamp-load`: WAMP v2 load (events, calls, idle sessions) for
//!   capstan-router and the reference router, crossbar ([`wamp_load`]).
//!
//! The modules at the top are the parts they share: a measured server run
//! as a child process, connections that count frames (over the raw client,
//! frame counter and process helpers of `capstan-testkit`), timestamps in
//! payloads, readings from /proc, and results as JSON.

#![forbid(unsafe_code)]

pub mod api_load;
pub mod chat_load;
pub mod child;
pub mod client;
pub mod clock;
pub mod deadline;
pub mod deflate_cost;
pub mod fleet;
pub mod game_load;
pub mod histogram;
pub mod histogram_text;
pub mod loadgen;
pub mod loopback;
pub mod pairs;
pub mod pin;
pub mod procfs;
pub mod progress;
pub mod results_file;
pub mod session_cost;
pub mod session_mode;
pub mod sources;
pub mod stamp;
pub mod stdin_lines;
pub mod suite;
pub mod tool;
pub mod wamp_load;
