//! The write side of a connection task: takes frames from the outbound
//! queue in batches and writes them with vectored writes.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use crate::conn::Conn;
use crate::conn::direct_write::{Lender, LentTransport};
use crate::conn::outbound::{Outbound, Stop};
use crate::server::Transport;
use crate::ws::OutFrame;
use crate::ws::deflate::{DeflateParams, Deflater};

/// Most slices handed to one `writev` call (two per frame).
const MAX_SLICES: usize = 64;

/// Frames taken from the queue and the progress through the first one.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    batch: VecDeque<OutFrame>,
    /// Bytes of the first frame already written.
    offset: usize,
    stop_seen: bool,
    /// The last take left nothing to write and registered the task: while
    /// the queue says it still waits, there is nothing new to take.
    idle_registered: bool,
    /// permessage-deflate, if agreed (boxed: most connections have none,
    /// and every idle one keeps its writer).
    deflate: Option<Box<Deflate>>,
}

/// permessage-deflate as agreed, and with server context takeover this
/// connection's own compressor (made on first use), for frames marked to
/// compress.
#[derive(Debug)]
struct Deflate {
    params: DeflateParams,
    deflater: Option<Deflater>,
}

impl Writer {
    /// A writer; `deflate` as agreed in the handshake.
    pub fn new(deflate: Option<DeflateParams>) -> Self {
        let deflate = deflate.map(|params| Box::new(Deflate { params, deflater: None }));
        Self { deflate, ..Self::default() }
    }

    /// Compresses, in queue order, the frames from `from` on that wait for
    /// this connection's compressor.
    fn compress_pending(&mut self, from: usize, out: &Outbound) {
        let Some(deflate) = self.deflate.as_deref_mut() else { return };
        let params = deflate.params;
        for frame in self.batch.iter_mut().skip(from) {
            let Some((opcode, payload)) = frame.pending_compression() else { continue };
            let deflater = deflate
                .deflater
                .get_or_insert_with(|| Deflater::new(params.level, params.server_max_window_bits));
            let compressed = deflater.compress(payload, params.server_no_context_takeover);
            let compressed = OutFrame::compressed(opcode, Bytes::from(compressed));
            out.release(frame.wire_len());
            out.charge(compressed.wire_len());
            *frame = compressed;
        }
    }

    /// Takes what is queued (registering `waker` for more, if given, and
    /// lending `socket` to senders if nothing is left to write). Reports
    /// the queue's stop once, when first seen.
    fn refill(
        &mut self,
        out: &Outbound,
        waiting: Option<(&Waker, Option<Lender<'_>>)>,
    ) -> Option<Stop> {
        let taken_from = self.batch.len();
        self.idle_registered = false;
        let registering = waiting.is_some();
        let taken = match waiting {
            Some((waker, lender)) => out.take_and_register(&mut self.batch, waker, lender),
            None => out.take(&mut self.batch),
        };
        if taken.front_written > 0 {
            // A sender began the first frame on the socket itself.
            self.offset = taken.front_written;
        }
        self.compress_pending(taken_from, out);
        self.idle_registered = registering && self.batch.is_empty() && taken.stop.is_none();
        let stop = taken.stop?;
        if self.stop_seen {
            return None;
        }
        self.stop_seen = true;
        Some(stop)
    }

    /// Writes what is queued, once: ready after one write that the stream
    /// took, or when the queue reports its stop; otherwise registered with
    /// both the queue and the stream. A poll function, not a future: a
    /// waiting connection holds no state for it.
    pub fn poll_write_some(
        &mut self,
        cx: &mut Context<'_>,
        transport: &mut LentTransport<Conn>,
        out: &Outbound,
    ) -> Poll<io::Result<Option<Stop>>> {
        let (write, lender) = transport.split();
        // Registered with nothing to write, and nothing came since (a wake
        // for the socket's readiness, or a timer's): taking again would
        // only lock the queue to find it empty.
        let unchanged = self.waits_idle(out);
        let lender = lender.filter(|_| self.offset == 0);
        if !unchanged && let Some(stop) = self.refill(out, Some((cx.waker(), lender))) {
            return Poll::Ready(Ok(Some(stop)));
        }
        // A stream that cannot take more may stay so for good (a peer that
        // does not read): the queue stays registered too, so its stop
        // (overflow, close) is still acted on.
        if self.batch.is_empty() {
            return match write.poll_flush(cx) {
                Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
                _ => Poll::Pending,
            };
        }
        match self.poll_write(cx, write) {
            Poll::Ready(written) => {
                out.set_write_blocked(false);
                Poll::Ready(self.advance_checked(written?, out).map(|()| None))
            }
            Poll::Pending => {
                out.set_write_blocked(true);
                Poll::Pending
            }
        }
    }

    /// Whether the task still waits as its last take left it: nothing to
    /// write, registered with the queue (its socket lent, if plain TCP),
    /// and nothing reached the queue since.
    pub fn waits_idle(&self, out: &Outbound) -> bool {
        self.idle_registered && self.batch.is_empty() && out.is_waiting()
    }

    /// Puts `frame` ahead of everything (the handshake's answer), counted
    /// in `out`'s bytes until written.
    pub fn queue_first(&mut self, out: &Outbound, frame: OutFrame) {
        out.charge(frame.wire_len());
        self.batch.push_front(frame);
    }

    /// Writes everything queued, waiting as needed (the handshake's
    /// answer; what is left while closing).
    pub async fn flush_all(&mut self, write: &mut Transport, out: &Outbound) -> io::Result<()> {
        loop {
            let _ = self.refill(out, None);
            if self.batch.is_empty() {
                return write.flush().await;
            }
            let written = poll_fn(|cx| self.poll_write(cx, write)).await?;
            self.advance_checked(written, out)?;
        }
    }

    /// One vectored write of the unwritten bytes at the front of the batch;
    /// the slices live on the stack of this call only.
    fn poll_write(&self, cx: &mut Context<'_>, write: &mut Transport) -> Poll<io::Result<usize>> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = self.fill_slices(&mut slices);
        write.poll_write_vectored(cx, &slices[..count])
    }

    /// Points `slices` at the unwritten bytes of the frames at the front;
    /// returns how many it filled.
    fn fill_slices<'a>(&'a self, slices: &mut [IoSlice<'a>; MAX_SLICES]) -> usize {
        let mut count = 0;
        let mut skip = self.offset;
        for frame in &self.batch {
            for part in [frame.head(), &frame.payload()[..]] {
                if part.len() <= skip {
                    skip -= part.len();
                    continue;
                }
                slices[count] = IoSlice::new(&part[skip..]);
                skip = 0;
                count += 1;
                if count == MAX_SLICES {
                    return count;
                }
            }
        }
        count
    }

    fn advance_checked(&mut self, written: usize, out: &Outbound) -> io::Result<()> {
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        self.advance(written, out);
        Ok(())
    }

    fn advance(&mut self, written: usize, out: &Outbound) {
        let mut remaining = self.offset + written;
        while let Some(front) = self.batch.front() {
            let len = front.wire_len();
            if remaining < len {
                break;
            }
            remaining -= len;
            out.release(len);
            self.batch.pop_front();
        }
        self.offset = remaining;
        if self.batch.is_empty() {
            // Nothing kept while idle (the queue's own deque comes back here
            // by swap when frames next arrive).
            self.batch = VecDeque::new();
        }
    }

    /// Drops every frame not yet started (a frame half written is kept, so
    /// the stream stays well framed), then queues `frame` to go next.
    pub fn replace_unstarted(&mut self, out: &Outbound, frame: OutFrame) {
        let _ = self.refill(out, None);
        let keep = usize::from(self.offset > 0);
        for dropped in self.batch.drain(keep..) {
            out.release(dropped.wire_len());
        }
        out.charge(frame.wire_len());
        self.batch.push_back(frame);
    }
}
