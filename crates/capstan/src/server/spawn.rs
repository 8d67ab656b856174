//! A connection's task, spawned in its log span only when that span is
//! recorded: tokio lays each task out on 128-byte lines, and the span
//! (`tracing::Instrumented`, 56 bytes) beside a boxed future makes an
//! idle connection's task 256 bytes instead of 128 (measured with
//! `-Zprint-type-sizes`). With the span's level filtered out (the default
//! filter logs warnings), the task carries the future alone.

use std::future::Future;

use tracing::{Instrument, Span};

/// Spawns `task`, in `span` if it is enabled.
pub(crate) fn spawn_in_span<F>(task: F, span: Span)
where
    F: Future<Output = ()> + Send + 'static,
{
    if span.is_disabled() {
        tokio::spawn(task);
    } else {
        tokio::spawn(task.instrument(span));
    }
}
