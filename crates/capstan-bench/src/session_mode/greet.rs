//! A WebSocket becomes a session: the client sends `hello` and reads the
//! server's frames until `welcome`, keeping what follows it.

use capstan::ws::FrameHeader;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::prefix::{HELLO, WELCOME_START, control_frame};
use crate::client::Connected;

/// Most bytes read before a `welcome` (it is one small frame).
const MAX_BEFORE_WELCOME: usize = 64 * 1024;

/// What the server's first bytes say.
#[derive(Debug, PartialEq, Eq)]
pub enum Opening {
    /// Not a whole frame yet.
    More,
    /// A `welcome`, and how many bytes it took (what follows is left).
    Welcome(usize),
    /// Something else first: why.
    Refused(String),
}

/// Reads the server's first frame from `bytes` (unmasked, one frame).
pub fn opening(bytes: &[u8]) -> Opening {
    let (header, used) = match FrameHeader::parse(bytes) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return Opening::More,
        Err(e) => return Opening::Refused(format!("bad frame: {e:?}")),
    };
    let end = used as u64 + header.payload_len;
    if (bytes.len() as u64) < end {
        return Opening::More;
    }
    let payload = &bytes[used..end as usize];
    if payload.starts_with(WELCOME_START) {
        Opening::Welcome(end as usize)
    } else {
        let shown = String::from_utf8_lossy(&payload[..payload.len().min(200)]).into_owned();
        Opening::Refused(format!("{:?} frame instead of welcome: {shown}", header.opcode))
    }
}

/// Sends `hello` on `conn` (masked with `mask`) and waits for `welcome`;
/// `conn.leftover` is then what came after it.
pub async fn greet(conn: &mut Connected, mask: [u8; 4]) -> Result<(), String> {
    conn.stream.write_all(&control_frame(HELLO, mask)).await.map_err(|e| format!("hello: {e}"))?;
    let mut bytes = std::mem::take(&mut conn.leftover);
    let mut buf = [0u8; 4096];
    loop {
        match opening(&bytes) {
            Opening::Welcome(used) => {
                conn.leftover = bytes.split_off(used);
                return Ok(());
            }
            Opening::Refused(why) => return Err(why),
            Opening::More if bytes.len() > MAX_BEFORE_WELCOME => {
                return Err("no welcome in the first 64 KiB".into());
            }
            Opening::More => {}
        }
        match conn.stream.read(&mut buf).await {
            Ok(0) => return Err("closed before welcome".into()),
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("reading welcome: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use capstan::Message;
    use capstan::ws::OutFrame;

    use super::*;

    fn frame(text: &str) -> Vec<u8> {
        OutFrame::message(Message::text(text.to_owned())).to_bytes().to_vec()
    }

    #[test]
    fn welcome_then_the_rest() {
        let mut bytes = frame(r#"c{"welcome":{"sid":"x","rx":0}}"#);
        let len = bytes.len();
        assert_eq!(opening(&bytes[..len - 1]), Opening::More);
        assert_eq!(opening(&bytes[..1]), Opening::More);
        bytes.extend_from_slice(&frame("mhello"));
        assert_eq!(opening(&bytes), Opening::Welcome(len));
        let refused = opening(&frame(r#"c{"error":{"code":"x"}}"#));
        assert!(matches!(refused, Opening::Refused(why) if why.contains("error")));
    }
}
