//! The controller: one connection, not subscribed, that asks the server
//! how many subscribers it has and tells it to publish.

use std::net::SocketAddr;

use capstan::ws::{FrameHeader, OpCode, encode_client_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::CONTROL_PATH;
use crate::client;

/// The controller's connection (no compression offered).
#[derive(Debug)]
pub struct Control {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Control {
    /// Connects to the server's control path.
    pub async fn connect(addr: SocketAddr) -> Result<Self, String> {
        let connected = client::connect(addr, CONTROL_PATH, u64::MAX, None).await?;
        Ok(Self { stream: connected.stream, buf: connected.leftover })
    }

    /// Sends a command.
    pub async fn send(&mut self, command: &str) -> Result<(), String> {
        let frame = encode_client_frame(OpCode::Text, true, command.as_bytes(), [1, 2, 3, 4]);
        self.stream.write_all(&frame).await.map_err(|e| format!("controller: send: {e}"))
    }

    /// Waits for the next text reply.
    pub async fn reply(&mut self) -> Result<String, String> {
        loop {
            if let Some((header, used)) =
                FrameHeader::parse(&self.buf).map_err(|e| format!("controller: {e}"))?
            {
                let end = used + header.payload_len as usize;
                if self.buf.len() >= end {
                    let payload = self.buf[used..end].to_vec();
                    self.buf.drain(..end);
                    match header.opcode {
                        OpCode::Text => {
                            return String::from_utf8(payload).map_err(|e| e.to_string());
                        }
                        OpCode::Close => return Err("controller: closed by the server".into()),
                        _ => continue,
                    }
                }
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk).await {
                Ok(0) => return Err("controller: connection closed".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(format!("controller: read: {e}")),
            }
        }
    }

    /// Sends a command and waits for its reply.
    pub async fn command(&mut self, command: &str) -> Result<String, String> {
        self.send(command).await?;
        self.reply().await
    }
}
