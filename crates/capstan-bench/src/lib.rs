//! Benchmarks of Capstan, as binaries (`src/bin`). The modules are their
//! parts: a measured server run as a child process, raw WebSocket clients
//! that only count frames, readings from /proc, and the report.

pub mod args;
pub mod child;
pub mod client;
pub mod control;
pub mod deadline;
pub mod fleet;
pub mod frames;
pub mod handshake;
pub mod json;
pub mod mode;
pub mod payload;
pub mod pin;
pub mod procfs;
pub mod progress;
pub mod report;
pub mod run;
pub mod server;
