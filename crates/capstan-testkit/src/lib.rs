//! What Capstan's tests and benchmarks share to speak to a server from the
//! outside: one raw WebSocket client that writes frames byte by byte (to
//! send what well-behaved clients never send) and checks what comes back,
//! the opening handshake it makes, a frame counter for load generators,
//! plain HTTP exchanges, and servers started as child processes.
//!
//! The modules, bottom to top:
//!
//! - [`wait`]: the bound on every wait ([`wait::WAIT`]);
//! - [`http`]: a response head read and parsed, a whole exchange;
//! - [`handshake`]: the client's upgrade request and the check of the 101;
//! - [`frame`]: client frames built (masked), server frames split off;
//! - [`counter`]: server frames counted in a byte stream without copying;
//! - [`client`]: the raw client over a TCP stream;
//! - [`session_client`]: a resuming session client (docs/SESSIONS.md)
//!   over WebSocket, written from the document;
//! - [`scratch`]: a free loopback port, a fresh directory;
//! - [`process`]: a server binary started, signalled, awaited;
//! - [`redis`]: a real `redis-server` started, restarted, paused, killed;
//! - [`nats`]: a real `nats-server` started, restarted, killed;
//! - [`nginx`]: a real nginx balancing over server processes;
//! - [`engine_suite`]: the recovery semantics every pub/sub engine must
//!   have, as scenarios each engine crate runs on its own backend.
//!
//! It is a development crate: everything panics on what a test must not
//! see, except the few functions the benchmarks use, which return errors.

#![forbid(unsafe_code)]

pub mod client;
pub mod counter;
pub mod engine_suite;
pub mod frame;
pub mod handshake;
pub mod http;
pub mod nats;
pub mod nginx;
pub mod process;
pub mod redis;
pub mod scratch;
pub mod session_client;
pub mod wait;
