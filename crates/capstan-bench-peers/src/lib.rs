//! Peer servers for `loadgen`: the protocol of crates/capstan-bench/README.md
//! ("The protocol a measured server speaks") written with other Rust
//! WebSocket libraries, so that the load generator measures them beside
//! `capstan-bench-server`.
//!
//! The binaries (`src/bin/`) hold what is particular to each library; the
//! parts they share are here: the command line and the `LISTENING` line
//! ([`args`]), the runtime and the accept loop ([`serve`]), and the
//! registry of `/broadcast` subscribers ([`topic`]). [`floor`] is no library
//! but the least a server can do, a bare epoll loop: the kernel's share.

#![forbid(unsafe_code)]

pub mod args;
pub mod floor;
pub mod serve;
pub mod topic;

/// The largest message (and frame) a peer accepts, as in
/// `capstan-bench-server`: 64 MiB.
pub const MAX_MESSAGE_SIZE: usize = 64 << 20;
