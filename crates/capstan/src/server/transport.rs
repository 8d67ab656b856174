//! The byte stream under a connection, split in a read side and a write
//! side so that one task can wait on both at once. Plain TCP waits for
//! readiness before taking a buffer, so an idle connection holds none;
//! TLS (rustls) goes through its own buffers.

use std::io::{self, IoSlice};
use std::net::SocketAddr;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::server::TlsStream;

/// The stream of a TLS connection, after its handshake.
pub type TlsTcpStream = TlsStream<TcpStream>;

/// A connection's stream: TCP, or TLS over TCP.
#[derive(Debug)]
pub struct Transport {
    /// The read side.
    pub read: ReadSide,
    /// The write side.
    pub write: WriteSide,
    peer: SocketAddr,
}

/// Where bytes come in.
#[derive(Debug)]
pub enum ReadSide {
    /// Plain TCP.
    Tcp(OwnedReadHalf),
    /// TLS.
    Tls(ReadHalf<TlsTcpStream>),
}

/// Where bytes go out.
#[derive(Debug)]
pub enum WriteSide {
    /// Plain TCP.
    Tcp(OwnedWriteHalf),
    /// TLS.
    Tls(WriteHalf<TlsTcpStream>),
}

/// A whole stream again, to hand to another protocol (plain HTTP).
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}

impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

impl Transport {
    /// Wraps an accepted TCP stream.
    pub fn tcp(stream: TcpStream) -> io::Result<Self> {
        let peer = stream.peer_addr()?;
        let (read, write) = stream.into_split();
        Ok(Self { read: ReadSide::Tcp(read), write: WriteSide::Tcp(write), peer })
    }

    /// Wraps a TLS stream whose handshake is done.
    pub fn tls(stream: TlsTcpStream) -> io::Result<Self> {
        let peer = stream.get_ref().0.peer_addr()?;
        let (read, write) = tokio::io::split(stream);
        Ok(Self { read: ReadSide::Tls(read), write: WriteSide::Tls(write), peer })
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self.read, ReadSide::Tls(_))
    }

    /// Writes all of `data` (handshake answers).
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.write.write_all(data).await
    }

    /// Sends FIN (and, over TLS, close_notify first).
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.write.shutdown().await
    }

    /// The whole stream, to hand to another protocol.
    pub fn into_io(self) -> Box<dyn Io> {
        match (self.read, self.write) {
            (ReadSide::Tcp(r), WriteSide::Tcp(w)) => {
                Box::new(r.reunite(w).expect("halves of one stream"))
            }
            (ReadSide::Tls(r), WriteSide::Tls(w)) => Box::new(r.unsplit(w)),
            _ => unreachable!("both sides come from one stream"),
        }
    }
}

impl ReadSide {
    /// Reads what arrives into `buf`, waiting for it; `Ok(0)` is the end of
    /// the stream. For TCP the buffer grows (by at least `at_least`) only
    /// once bytes are there. Cancel-safe: if dropped, nothing was read.
    pub async fn read_into(&mut self, buf: &mut BytesMut, at_least: usize) -> io::Result<usize> {
        match self {
            Self::Tcp(read) => loop {
                read.readable().await?;
                buf.reserve(at_least);
                match read.try_read_buf(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    result => return result,
                }
            },
            Self::Tls(read) => {
                buf.reserve(at_least);
                read.read_buf(buf).await
            }
        }
    }
}

impl WriteSide {
    /// Writes as much of `bufs` as the stream takes, waiting until it takes
    /// something. Cancel-safe: if dropped, nothing was written.
    pub async fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Self::Tcp(write) => loop {
                write.writable().await?;
                match write.try_write_vectored(bufs) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    result => return result,
                }
            },
            Self::Tls(write) => write.write_vectored(bufs).await,
        }
    }

    /// Pushes out what the TLS layer still holds (nothing to do for TCP).
    pub async fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Tcp(_) => Ok(()),
            Self::Tls(write) => write.flush().await,
        }
    }

    /// Writes all of `data`.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Self::Tcp(write) => write.write_all(data).await,
            Self::Tls(write) => {
                write.write_all(data).await?;
                write.flush().await
            }
        }
    }

    /// Ends the write side: FIN (after close_notify over TLS).
    pub async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            Self::Tcp(write) => write.shutdown().await,
            Self::Tls(write) => write.shutdown().await,
        }
    }
}
