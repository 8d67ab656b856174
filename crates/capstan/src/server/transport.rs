//! The byte stream under a connection: one stream, not split in halves,
//! read and written in turn by the one task that serves the connection
//! (tokio keeps a waker per direction, so that task waits on both at
//! once). Not splitting saves a shared allocation per connection. Plain TCP
//! reads into an empty buffer through the stack, so an idle connection
//! holds none, and sends small frames as one buffer; TLS (rustls) goes
//! through its own buffers.

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use super::coalesce::{COALESCE, with_joined};

/// The stream of a TLS connection, after its handshake.
pub type TlsTcpStream = TlsStream<TcpStream>;

/// A connection's stream: TCP, or TLS over TCP.
#[derive(Debug)]
pub struct Transport {
    stream: Stream,
}

/// The stream itself. TLS is boxed: its state (rustls buffers and keys) is
/// far larger than a TCP socket, and every connection's task holds this.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsTcpStream>),
}

/// A whole stream again, to hand to another protocol (plain HTTP).
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

impl Transport {
    /// Wraps an accepted TCP stream.
    pub fn tcp(stream: TcpStream) -> io::Result<Self> {
        Ok(Self { stream: Stream::Tcp(stream) })
    }

    /// Wraps a TLS stream whose handshake is done.
    pub fn tls(stream: TlsTcpStream) -> io::Result<Self> {
        Ok(Self { stream: Stream::Tls(Box::new(stream)) })
    }

    /// The peer's address, asked of the socket (not kept: every open
    /// connection would carry it, and the connection's request has it).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        match &self.stream {
            Stream::Tcp(tcp) => tcp.peer_addr(),
            Stream::Tls(tls) => tls.get_ref().0.peer_addr(),
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// The TCP stream, for plain TCP (whose socket senders may write to
    /// while the connection waits: `conn::direct_write`).
    pub(crate) fn tcp_stream(&self) -> Option<&TcpStream> {
        match &self.stream {
            Stream::Tcp(tcp) => Some(tcp),
            Stream::Tls(_) => None,
        }
    }

    /// Writes all of `data` (handshake answers).
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.stream {
            Stream::Tcp(tcp) => tcp.write_all(data).await,
            Stream::Tls(tls) => {
                tls.write_all(data).await?;
                tls.flush().await
            }
        }
    }

    /// Sends FIN (and, over TLS, close_notify first).
    pub async fn shutdown(&mut self) -> io::Result<()> {
        match &mut self.stream {
            Stream::Tcp(tcp) => tcp.shutdown().await,
            Stream::Tls(tls) => tls.shutdown().await,
        }
    }

    /// The whole stream, to hand to another protocol.
    pub fn into_io(self) -> Box<dyn Io> {
        match self.stream {
            Stream::Tcp(tcp) => Box::new(tcp),
            Stream::Tls(tls) => tls,
        }
    }

    /// Polls [`Transport::read_into`]: reads what has arrived into `buf`, or
    /// registers for the moment something does. Nothing is kept between
    /// polls, so a waiting connection holds no state for its read.
    pub fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
        at_least: usize,
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Tcp(tcp) => poll_read_tcp(tcp, cx, buf, at_least),
            Stream::Tls(tls) => poll_read_buf(tls, cx, buf, at_least),
        }
    }

    /// Reads what arrives into `buf`, waiting for it; `Ok(0)` is the end of
    /// the stream. For TCP the buffer grows (by at least `at_least`) only
    /// once bytes are there. Cancel-safe: if dropped, nothing was read.
    pub async fn read_into(&mut self, buf: &mut BytesMut, at_least: usize) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read_into(cx, buf, at_least)).await
    }
}

/// Bytes read at once into an empty buffer (on the stack, then copied).
const STACK_READ: usize = 4096;

/// Room for the read that follows a full stack window at once: what one
/// `recv` takes from a busy socket (several frames, or most of a large one).
const BUSY_READ: usize = 64 << 10;

/// One read from a TCP socket, through tokio's `poll_read`: a read shorter
/// than the room offered means the socket is drained, and tokio then
/// forgets its readiness without the extra read that would block (one
/// `recv` per message instead of two). An empty buffer is not grown for a
/// read that may find nothing: the bytes go to an uninitialised stack
/// window first and the buffer is allocated, to their size, only if some
/// came. An idle connection thus never holds a read buffer. A window that
/// comes back full means more is waiting (a large frame, or many): the
/// read goes on at once into a buffer of [`BUSY_READ`] bytes, instead of
/// taking the rest 4 KiB at a time over more polls (measured: two `recv`
/// per 16 KiB echo before).
fn poll_read_tcp(
    read: &mut TcpStream,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    at_least: usize,
) -> Poll<io::Result<usize>> {
    if buf.capacity() == 0 && at_least <= STACK_READ {
        let mut chunk = [MaybeUninit::<u8>::uninit(); STACK_READ];
        let mut window = ReadBuf::uninit(&mut chunk);
        if let Err(error) = std::task::ready!(Pin::new(&mut *read).poll_read(cx, &mut window)) {
            return Poll::Ready(Err(error));
        }
        let first = window.filled().len();
        if first < STACK_READ {
            buf.extend_from_slice(window.filled());
            return Poll::Ready(Ok(first));
        }
        buf.reserve(BUSY_READ);
        buf.extend_from_slice(window.filled());
        // What this read finds is added. The end of the stream shows at the
        // next read, after the bytes already here are used; an error here
        // is not reported (a reset socket then reads as ended).
        return match poll_read_buf(read, cx, buf, 0) {
            Poll::Ready(Ok(more)) => Poll::Ready(Ok(first + more)),
            Poll::Ready(Err(_)) | Poll::Pending => Poll::Ready(Ok(first)),
        };
    }
    poll_read_buf(read, cx, buf, at_least)
}

/// Grows `buf` by at least `at_least` and reads into it. A fresh `read_buf`
/// future per poll: it holds nothing between polls and reads nothing unless
/// the stream is ready.
fn poll_read_buf<R: AsyncRead + Unpin>(
    read: &mut R,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
    at_least: usize,
) -> Poll<io::Result<usize>> {
    buf.reserve(at_least);
    std::pin::pin!(read.read_buf(buf)).poll(cx)
}

/// Sends `bufs` on a TCP socket. A frame is a header and a payload, two
/// slices; for small ones, copying both into one buffer and sending it
/// costs less than the kernel's `writev` path (which also goes through the
/// file layer), measured on loopback echo.
fn poll_send_tcp(
    write: &mut TcpStream,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    match bufs {
        [one] => Pin::new(write).poll_write(cx, one),
        _ if total <= COALESCE => with_joined(bufs.iter().map(|b| &b[..]), |joined| {
            Pin::new(write).poll_write(cx, joined)
        }),
        _ => Pin::new(write).poll_write_vectored(cx, bufs),
    }
}

impl Transport {
    /// Writes as much of `bufs` as the stream takes, or registers for the
    /// moment it can take some. A poll function rather than a future, so
    /// that a caller building `bufs` on its stack keeps no array of slices
    /// in its own state while it waits.
    pub fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.stream {
            Stream::Tcp(tcp) => poll_send_tcp(tcp, cx, bufs),
            Stream::Tls(tls) => Pin::new(tls).poll_write_vectored(cx, bufs),
        }
    }

    /// Pushes out what the TLS layer still holds (nothing to do for TCP).
    pub async fn flush(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Polls [`Transport::flush`].
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.stream {
            Stream::Tcp(_) => Poll::Ready(Ok(())),
            Stream::Tls(tls) => Pin::new(tls).poll_flush(cx),
        }
    }
}
