//! Resumable sessions (docs/SESSIONS.md), sans-IO: a session-mode
//! connection's messages carry a type prefix (`prefix`), its controls are
//! small JSON objects (`control`), its data messages are numbered
//! implicitly per direction; what the server sent is kept until the client
//! acknowledges it (`retention`), what it received is counted (`inbound`)
//! and acknowledged in turn (`acks`); `state` puts them together with the
//! heartbeat, the grace period and the resume decision. Fed messages,
//! events and instants, it says what to send, what to resend, or that the
//! session is over; it knows no socket and starts no task. The WebSocket
//! driver (and the fallback transports) wire it.

pub mod acks;
pub mod config;
pub mod control;
pub mod error_code;
pub mod id;
pub mod identity;
pub mod inbound;
pub mod kept;
pub mod prefix;
pub mod retention;
pub mod state;

pub use acks::{AckClock, AckPolicy};
pub use config::SessionConfig;
pub use control::{ClientControl, ControlError, ServerControl, Welcome};
pub use error_code::ErrorCode;
pub use id::{SessionId, SessionIdError};
pub use identity::Identity;
pub use inbound::{Gap, Inbound, Received};
pub use kept::{Kept, KeptIter};
pub use prefix::{Incoming, PrefixError, PrefixedData};
pub use retention::{AckError, Committed, ResumeError, Retention, RetentionBound, RetentionFull};
pub use state::{Delivery, Opening, Resumed, SessionError, SessionState, TimerStep, opening};

/// The protocol version this module speaks (`hello`'s `v`).
pub const VERSION: u64 = 1;

/// The largest number a control may carry: 2^53 − 1, JavaScript's largest
/// safe integer.
pub const MAX_NUMBER: u64 = (1 << 53) - 1;
