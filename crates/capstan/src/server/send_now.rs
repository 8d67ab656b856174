//! Writing a frame to a connection's socket from outside its task. While a
//! connection waits with nothing queued and nothing half written, a sender
//! (a publisher fanning a message out to thousands) writes the frame to the
//! socket at once, as uWebSockets does, instead of queueing it and waking
//! the connection's task to write it: one task switch less per delivery.
//! What the socket does not take is queued as usual.
//!
//! The socket is named by its descriptor. It stays valid because the
//! outbound queue holds it only while the connection's task waits with the
//! socket open, and forgets it, under the queue's lock (which every send
//! takes), before the task writes to the socket again or closes it (see
//! `conn::outbound`).

use std::io;

use tokio::net::TcpStream;

/// A connection's socket, as a sender may write to it: the descriptor,
/// borrowed from the connection's stream. Neither `Copy` nor `Clone`: the
/// outbound queue holds the one lent to it, and forgetting it there is the
/// end of the loan.
#[cfg(unix)]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Socket(std::os::fd::RawFd);

/// Never made where there are no Unix descriptors: senders always queue.
#[cfg(not(unix))]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Socket {}

impl Socket {
    /// The socket under `tcp`.
    pub(crate) fn of(tcp: &TcpStream) -> Option<Socket> {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            Some(Socket(tcp.as_raw_fd()))
        }
        #[cfg(not(unix))]
        {
            let _ = tcp;
            None
        }
    }

    /// Sends `head` then `payload` without waiting (and without SIGPIPE):
    /// returns how many bytes the socket took; `WouldBlock` if none.
    ///
    /// # Safety
    ///
    /// The descriptor must still be the connection's open socket: call it
    /// only under the outbound queue's lock, while the queue holds it.
    pub(crate) unsafe fn send(&self, head: &[u8], payload: &[u8]) -> io::Result<usize> {
        #[cfg(unix)]
        {
            use super::coalesce::{COALESCE, with_joined};
            const FLAGS: libc::c_int = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
            let fd = self.0;
            let sent = if head.len() + payload.len() <= COALESCE {
                // One buffer, one `send`: cheaper than the kernel's
                // scatter path for small frames (as the task's own writes).
                with_joined([head, payload], |joined| {
                    // SAFETY: `fd` is open (the caller's promise); the
                    // buffer is valid for its length.
                    unsafe { libc::send(fd, joined.as_ptr().cast(), joined.len(), FLAGS) }
                })
            } else {
                let mut parts = [head, payload].map(|part| libc::iovec {
                    iov_base: part.as_ptr().cast_mut().cast(),
                    iov_len: part.len(),
                });
                // SAFETY: an all-zero msghdr is a valid empty message.
                let mut message: libc::msghdr = unsafe { std::mem::zeroed() };
                message.msg_iov = parts.as_mut_ptr();
                message.msg_iovlen = parts.len() as _;
                // SAFETY: `fd` is open (the caller's promise); the iovecs
                // point at live slices, which the kernel only reads.
                unsafe { libc::sendmsg(fd, &message, FLAGS) }
            };
            if sent < 0 { Err(io::Error::last_os_error()) } else { Ok(sent as usize) }
        }
        #[cfg(not(unix))]
        {
            let _ = (head, payload);
            match *self {}
        }
    }
}
