//! Small writes put together: a frame is a header and a payload, two
//! slices; for small ones, copying both into one buffer and sending it with
//! one `send` costs less than the kernel's `writev` path (which also goes
//! through the file layer), measured on loopback echo. Used by the
//! connection's own writes (`transport`) and by a sender's direct write
//! (`conn::direct_write`).

use std::cell::RefCell;

/// Slices up to this many bytes in all are copied into one buffer and sent
/// with one `send` rather than a `writev` of several.
pub(crate) const COALESCE: usize = 4096;

thread_local! {
    /// Where small slices are put together: one per thread, not per
    /// connection, as it is used only within one poll.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(COALESCE));
}

/// Calls `send` with `parts` copied one after another into this thread's
/// scratch buffer (for parts of at most [`COALESCE`] bytes in all).
pub(crate) fn with_joined<'a, R>(
    parts: impl IntoIterator<Item = &'a [u8]>,
    send: impl FnOnce(&[u8]) -> R,
) -> R {
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        for part in parts {
            scratch.extend_from_slice(part);
        }
        send(scratch)
    })
}
