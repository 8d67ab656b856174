//! The client's side of session mode (docs/SESSIONS.md), as much as the
//! load generator needs: the `hello` → `welcome` opening over WebSocket,
//! the `m`/`c` prefixes and `ack` controls, and the HTTP fallback's
//! pieces (the open and batch POSTs, the Server-Sent Events downstream).
//! The parsing and the text are pure; [`greet`] and [`http`] do the I/O.

pub mod batch;
pub mod greet;
pub mod http;
pub mod prefix;
pub mod sse;
