//! Topics: the publish/subscribe primitive that rooms, WAMP and scale-out
//! build on. A message published to a topic is encoded once; every
//! subscriber's queue holds a reference to the same bytes.

mod pacing;
mod topic;
mod topics;

pub use topic::{Delivery, Topic};
pub use topics::Topics;
