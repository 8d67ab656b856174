//! The fallback's requests on the wire: a POST answered whole (on a
//! connection of its own: the server answers the fallback's requests with
//! `connection: close`), and a downstream's GET up to its response head.

use std::net::{IpAddr, SocketAddr};

use bytes::BytesMut;
use capstan_testkit::client::dial;
use capstan_testkit::http::{Response, read_head};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::batch::{downstream_request, post_request, token};
use super::prefix::HELLO;

/// Most body bytes read from a POST's answer.
const MAX_BODY: usize = 64 * 1024;

/// Sends a POST of `body` to `path_and_query` at `addr`, from `source`,
/// and reads its answer (head, and body by Content-Length or until the
/// server closes).
pub async fn post(
    addr: SocketAddr,
    source: Option<IpAddr>,
    path_and_query: &str,
    body: &str,
) -> Result<Response, String> {
    let mut stream = dial(addr, source).await?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let request = post_request(&addr.to_string(), path_and_query, body);
    stream.write_all(&request).await.map_err(|e| format!("POST: {e}"))?;
    let mut buf = BytesMut::with_capacity(1024);
    let mut response = read_head(&mut stream, &mut buf).await.map_err(|e| format!("POST: {e}"))?;
    let length = match response.header("content-length") {
        Some(text) => Some(text.parse::<usize>().map_err(|_| format!("bad length {text:?}"))?),
        None if response.status() == 204 => Some(0),
        None => None,
    };
    while length.is_none_or(|length| buf.len() < length) && buf.len() <= MAX_BODY {
        match stream.read_buf(&mut buf).await {
            Ok(0) if length.is_none() => break,
            Ok(0) => return Err("POST: the answer's body was cut".into()),
            Ok(_) => {}
            Err(e) => return Err(format!("POST: reading the answer: {e}")),
        }
    }
    response.body = buf.to_vec();
    Ok(response)
}

/// Opens a new session over the fallback of `kind` (`sse`, `stream`) at
/// `path`: its transport token.
pub async fn open(
    addr: SocketAddr,
    source: Option<IpAddr>,
    path: &str,
    kind: &str,
) -> Result<String, String> {
    let answer =
        post(addr, source, &format!("{path}?capstan=open&transport={kind}"), HELLO).await?;
    let text = String::from_utf8_lossy(&answer.body);
    match (answer.status(), token(&text)) {
        (200, Some(token)) => Ok(token.to_owned()),
        (status, _) => Err(format!("open: {status} {text}")),
    }
}

/// Sends a downstream's GET and reads its head: the stream, and the body
/// bytes read past the head.
pub async fn downstream(
    addr: SocketAddr,
    source: Option<IpAddr>,
    path: &str,
    kind: &str,
    token: &str,
) -> Result<(TcpStream, Vec<u8>), String> {
    let mut stream = dial(addr, source).await?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let request = downstream_request(&addr.to_string(), path, kind, token);
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("GET: {e}"))?;
    let mut buf = BytesMut::with_capacity(4096);
    let head = read_head(&mut stream, &mut buf).await.map_err(|e| format!("GET: {e}"))?;
    if head.status() != 200 || head.header("transfer-encoding") != Some("chunked") {
        return Err(format!("GET: {} (chunked body expected)", head.status_line));
    }
    Ok((stream, buf.to_vec()))
}
