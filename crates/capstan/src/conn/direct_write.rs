//! Direct writes, and the whole unsafe contract they rest on.
//!
//! While a connection's task waits with nothing queued and nothing half
//! written, a sender (a publisher fanning a message out to thousands)
//! writes the frame to the connection's socket itself, as uWebSockets does,
//! instead of queueing it and waking the task: one task switch less per
//! delivery. What the socket does not take is queued as usual.
//!
//! The socket is named by its raw descriptor, and writing to a descriptor
//! that was closed (and perhaps reused by another connection) would send
//! bytes to the wrong peer. This module is the only one that touches the
//! descriptor, and it keeps these rules, so that no caller can break them:
//!
//! - A [`Socket`] is made only by a [`Lender`], which borrows a
//!   [`LentTransport`]: the descriptor is that transport's, open while the
//!   borrow lasts. A `Socket` is neither `Copy` nor `Clone`, and nothing
//!   outside this module can read its descriptor or make one.
//! - A `Socket` is written to only through the [`SocketSlot`] that holds
//!   it, and a slot holds one only from a lender of the same queue
//!   ([`SocketSlot::lend`] checks), under that queue's lock.
//! - [`LentTransport`] makes its queue forget the socket, under the queue's
//!   lock, before the transport is dropped (its `Drop` runs before its
//!   fields'), however the connection's task ends.
//!
//! The queue (`outbound`) adds the rule of order: it forgets the socket
//! whenever the task stops waiting, so the socket never has two writers.

use std::io;
use std::ops::{Deref, DerefMut};

use super::outbound::Outbound;
use crate::server::Transport;

/// A raw socket descriptor, where the platform has them.
#[cfg(unix)]
type RawSocket = std::os::fd::RawFd;

/// No descriptors: senders always queue.
#[cfg(not(unix))]
type RawSocket = std::convert::Infallible;

/// Whatever keeps a connection's outbound queue: the [`LentTransport`]
/// makes that queue forget the socket before the transport goes. It must
/// return the same queue every time.
pub(crate) trait KeepsOutbound {
    /// The connection's outbound queue.
    fn outbound(&self) -> &Outbound;
}

/// A connection's transport, lent to its queue's senders while the
/// connection's task waits. Derefs to the [`Transport`], which it never
/// gives away.
#[derive(Debug)]
pub(crate) struct LentTransport<K: KeepsOutbound> {
    transport: Transport,
    keeper: K,
}

impl<K: KeepsOutbound> LentTransport<K> {
    /// `transport`, whose socket senders of `keeper`'s queue may write to.
    pub(crate) fn new(transport: Transport, keeper: K) -> Self {
        Self { transport, keeper }
    }

    /// The transport, to write to it, and the lender of its socket (none
    /// for TLS), borrowed together.
    pub(crate) fn split(&mut self) -> (&mut Transport, Option<Lender<'_>>) {
        // Read each time rather than kept: every waiting connection would
        // carry the copy. Plain TCP only: TLS must go through rustls'
        // state, which only the connection's task holds.
        let socket = raw_socket(&self.transport);
        let lender = socket.map(|socket| Lender { socket, queue: self.keeper.outbound() });
        (&mut self.transport, lender)
    }
}

impl<K: KeepsOutbound> Drop for LentTransport<K> {
    fn drop(&mut self) {
        // Before `transport` (a field) is dropped and its socket closed.
        self.keeper.outbound().forget_socket();
    }
}

impl<K: KeepsOutbound> Deref for LentTransport<K> {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.transport
    }
}

impl<K: KeepsOutbound> DerefMut for LentTransport<K> {
    fn deref_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }
}

/// The right to lend a transport's socket to its own queue, for as long as
/// the transport is borrowed.
#[derive(Debug)]
pub(crate) struct Lender<'a> {
    socket: RawSocket,
    queue: &'a Outbound,
}

/// A connection's socket, as a sender may write to it: see the module doc.
#[derive(Debug, PartialEq, Eq)]
struct Socket(RawSocket);

/// Where a queue keeps the socket while its task waits: in its state,
/// under its lock.
#[derive(Debug, Default)]
pub(crate) struct SocketSlot(Option<Socket>);

impl SocketSlot {
    /// Holds the socket `lender` lends, which must be `queue`'s own (the
    /// queue this slot belongs to); or holds none.
    pub(crate) fn lend(&mut self, lender: Option<Lender<'_>>, queue: &Outbound) {
        self.0 = lender.map(|lender| {
            assert!(std::ptr::eq(lender.queue, queue), "a socket lent to another queue");
            Socket(lender.socket)
        });
    }

    /// Gives the socket back: the task writes again, or is ending.
    pub(crate) fn forget(&mut self) {
        self.0 = None;
    }

    /// Whether a socket is held.
    pub(crate) fn is_lent(&self) -> bool {
        self.0.is_some()
    }

    /// Sends `head` then `payload` on the held socket without waiting (and
    /// without SIGPIPE): how many bytes it took (`WouldBlock` if none), or
    /// `None` if no socket is held.
    pub(crate) fn send(&self, head: &[u8], payload: &[u8]) -> Option<io::Result<usize>> {
        self.0.as_ref().map(|socket| socket.send(head, payload))
    }
}

/// The descriptor under `transport`, for plain TCP.
fn raw_socket(transport: &Transport) -> Option<RawSocket> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        transport.tcp_stream().map(AsRawFd::as_raw_fd)
    }
    #[cfg(not(unix))]
    {
        let _ = transport;
        None
    }
}

impl Socket {
    /// See [`SocketSlot::send`]. Sound because a `Socket` exists only in
    /// the slot of a queue whose transport is still open (module doc).
    fn send(&self, head: &[u8], payload: &[u8]) -> io::Result<usize> {
        #[cfg(unix)]
        {
            use crate::server::coalesce::{COALESCE, with_joined};
            const FLAGS: libc::c_int = libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT;
            let fd = self.0;
            let sent = if head.is_empty() {
                // One slice (an encoded frame, or a run of them): as it is.
                // SAFETY: `fd` is open (the module's rules); the buffer is
                // valid for its length.
                unsafe { libc::send(fd, payload.as_ptr().cast(), payload.len(), FLAGS) }
            } else if head.len() + payload.len() <= COALESCE {
                // One buffer, one `send`: cheaper than the kernel's
                // scatter path for small frames (as the task's own writes).
                with_joined([head, payload], |joined| {
                    // SAFETY: `fd` is open (the module's rules); the buffer
                    // is valid for its length.
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
                // SAFETY: `fd` is open (the module's rules); the iovecs
                // point at live slices, which the kernel only reads.
                unsafe { libc::sendmsg(fd, &message, FLAGS) }
            };
            if sent < 0 { Err(io::Error::last_os_error()) } else { Ok(sent as usize) }
        }
        #[cfg(not(unix))]
        {
            let _ = (head, payload);
            match self.0 {}
        }
    }
}
