//! The observer hook: told of every call the HTTP API answers, for the
//! application's metrics and logs.

use std::sync::Arc;
use std::time::Duration;

/// Called once per HTTP request the API answers, with the method (one of
/// the API's names, `"batch"`, or `"unknown"` for a name it does not have,
/// so that labels stay a bounded set), the outcome (`"ok"`, or the error's
/// [`ErrorCode::name`](crate::ErrorCode::name)) and the time the answer
/// took. It runs on the request's task: keep it short.
pub type Observer = Arc<dyn Fn(&str, &str, Duration) + Send + Sync>;

/// The outcome of a call that succeeded.
pub const OK: &str = "ok";

/// The method name reported for a name the API does not have.
pub const UNKNOWN_METHOD: &str = "unknown";
