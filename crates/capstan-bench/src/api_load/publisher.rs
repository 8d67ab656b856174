//! The publisher: one client making `POST /api/publish` calls on
//! kept-alive connections, `in_flight` at once, each publish's data
//! carrying the run's marker and its number.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use bytes::BytesMut;
use capstan_testkit::http::read_response;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::args::Options;
use super::subscribers::MARKER;

/// The request of publish number `n`.
pub fn request(options: &Options, n: usize) -> Vec<u8> {
    let marker = String::from_utf8_lossy(MARKER);
    let body = format!(
        r#"{{"channel":"{}","data":"{marker}{n}","skip_history":{}}}"#,
        options.channel, options.skip_history
    );
    format!(
        "POST /api/publish HTTP/1.1\r\nHost: {}\r\nX-API-Key: {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        options.addr,
        options.key,
        body.len()
    )
    .into_bytes()
}

/// Makes `options.publishes` publishes; fails on the first answer that is
/// not `200` with a `result`.
pub async fn publish_all(options: &Options) -> Result<(), String> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut lanes = JoinSet::new();
    for _ in 0..options.in_flight {
        lanes.spawn(lane(options.clone(), options.addr, next.clone()));
    }
    while let Some(lane) = lanes.join_next().await {
        lane.map_err(|e| format!("a publishing task failed: {e}"))??;
    }
    Ok(())
}

/// One kept-alive connection publishing the next number until all are
/// taken.
async fn lane(options: Options, addr: SocketAddr, next: Arc<AtomicUsize>) -> Result<(), String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let n = next.fetch_add(1, Relaxed);
        if n >= options.publishes {
            return Ok(());
        }
        stream.write_all(&request(&options, n)).await.map_err(|e| format!("send: {e}"))?;
        let response = read_response(&mut stream, &mut buf).await;
        let body = response.body_text();
        if response.status() != 200 || !body.contains("\"result\"") {
            return Err(format!("publish {n}: {} {body}", response.status()));
        }
    }
}
