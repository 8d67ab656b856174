//! The byte stream under a connection. Readiness-based so that an idle
//! connection holds no read buffer: bytes are read only once they are there.

use std::io::{self, IoSlice};
use std::net::SocketAddr;

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A connection's stream (TCP today; TLS joins here).
#[derive(Debug)]
pub struct Transport {
    stream: TcpStream,
}

impl Transport {
    /// Wraps an accepted TCP stream.
    pub fn tcp(stream: TcpStream) -> Self {
        Self { stream }
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }

    /// Waits until bytes (or EOF) can be read.
    pub async fn readable(&self) -> io::Result<()> {
        self.stream.readable().await
    }

    /// Reads what is there into `buf` without waiting; `Ok(0)` is EOF and
    /// `WouldBlock` means nothing was there after all.
    pub fn try_read_into(&self, buf: &mut BytesMut, at_least: usize) -> io::Result<usize> {
        buf.reserve(at_least);
        self.stream.try_read_buf(buf)
    }

    /// Waits until a write can make progress.
    pub async fn writable(&self) -> io::Result<()> {
        self.stream.writable().await
    }

    /// Writes as much of `bufs` as the socket takes now.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.stream.try_write_vectored(bufs)
    }

    /// Writes all of `data`, waiting as needed (handshake answers).
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.stream.write_all(data).await
    }

    /// Sends FIN: no more bytes from this side.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.stream.shutdown().await
    }

    /// Gives the TCP stream back (to hand it to another protocol).
    pub fn into_tcp(self) -> TcpStream {
        self.stream
    }
}
