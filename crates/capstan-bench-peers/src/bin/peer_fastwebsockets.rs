//! `peer-fastwebsockets [--tuned] [ADDR]`: the loadgen protocol
//! (crates/capstan-bench/README.md) written with fastwebsockets 0.10, as its
//! documentation and examples write a server: hyper 1 serves HTTP/1.1 and
//! `upgrade::upgrade` answers the handshake (other paths get 404), and the
//! WebSocket runs in a task of its own once upgraded. `/echo` writes every
//! text and binary frame back with `write_frame`. `/broadcast` splits the
//! socket (`WebSocket::split(tokio::io::split)`, the "unstable-split"
//! feature, as Deno uses it): a [`FragmentCollectorRead`] reads whole
//! messages, and the write half, behind an async mutex, is shared by the
//! writer draining the connection's channel of [`Topic`] (one `write_frame`
//! per message, borrowing the shared payload) and the reader, which must
//! send the pongs and the close reply its reads oblige it to.
//!
//! `write_frame` writes to the socket at once (a vectored write of header
//! and payload above 1 KiB, one copy into a small buffer below), so there
//! is no flush to call: the documentation asks for one only over buffered
//! streams such as TLS.
//!
//! Both configurations accept frames of up to 64 MiB (the library's limit,
//! which refuses a frame of exactly 64 MiB, is raised by one byte) and
//! leave pongs and close replies to the library (`auto_pong`, `auto_close`,
//! on by default). Beyond that:
//!
//! - **default**: the library's defaults (its fixed 8 KiB read buffer,
//!   vectored writes) and, on `/echo`, a [`FragmentCollector`], as in the
//!   documentation's and the examples' echo servers: whole messages.
//! - **tuned**: the documentation offers no setting for memory or many
//!   connections: the read buffer is not configurable and vectored writes,
//!   which keep the write buffer from growing to the largest message, are
//!   already on. What it suggests is to use `FragmentCollector` only where
//!   whole messages are needed, since it buffers a fragmented message until
//!   its last frame; so `/echo` echoes frames as they come (a fragmented
//!   message goes back as the same fragments). `/broadcast` needs whole
//!   messages to publish and is the same in both. Not taken from the
//!   examples: `tokio::task::unconstrained`, which lets one busy connection
//!   keep the others waiting, and a current-thread runtime.

#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::Arc;

use bytes::Bytes;
use capstan_bench_peers::MAX_MESSAGE_SIZE;
use capstan_bench_peers::args::Config;
use capstan_bench_peers::serve;
use capstan_bench_peers::topic::Topic;
use fastwebsockets::{
    FragmentCollector, FragmentCollectorRead, Frame, OpCode, Payload, WebSocket, WebSocketError,
    upgrade,
};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The upgraded connection, as fastwebsockets gets it from hyper.
type Io = TokioIo<Upgraded>;

fn main() -> ExitCode {
    serve::run("peer-fastwebsockets", "fastwebsockets", |config| {
        let topic = Topic::new();
        move |stream| connection(stream, config, Arc::clone(&topic))
    })
}

/// The endpoints.
#[derive(Clone, Copy)]
enum Route {
    Echo,
    Broadcast,
}

/// Serves one TCP connection: HTTP/1.1 with hyper until it is upgraded.
async fn connection(stream: TcpStream, config: Config, topic: Arc<Topic<Bytes>>) {
    let service = service_fn(move |request| handshake(request, config, Arc::clone(&topic)));
    let http = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let _ = http.with_upgrades().await;
}

/// Answers one request: 404 for unknown paths, else the upgrade, with the
/// WebSocket spawned to run once hyper has sent the 101.
async fn handshake(
    mut request: Request<Incoming>,
    config: Config,
    topic: Arc<Topic<Bytes>>,
) -> Result<Response<Empty<Bytes>>, Infallible> {
    let route = match request.uri().path() {
        "/echo" => Route::Echo,
        "/broadcast" => Route::Broadcast,
        _ => return Ok(status(StatusCode::NOT_FOUND)),
    };
    if !upgrade::is_upgrade_request(&request) {
        return Ok(status(StatusCode::BAD_REQUEST));
    }
    let Ok((response, upgraded)) = upgrade::upgrade(&mut request) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    tokio::spawn(async move {
        let Ok(mut ws) = upgraded.await else { return };
        ws.set_max_message_size(MAX_MESSAGE_SIZE + 1);
        match (route, config) {
            (Route::Echo, Config::Default) => drop(echo_messages(FragmentCollector::new(ws)).await),
            (Route::Echo, Config::Tuned) => drop(echo_frames(ws).await),
            (Route::Broadcast, _) => broadcast(ws, &topic).await,
        }
    });
    Ok(response)
}

/// An empty response with `code`.
fn status(code: StatusCode) -> Response<Empty<Bytes>> {
    let mut response = Response::new(Empty::new());
    *response.status_mut() = code;
    response
}

/// `/echo`, default: every text or binary message sent back whole.
async fn echo_messages(mut ws: FragmentCollector<Io>) -> Result<(), WebSocketError> {
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
}

/// `/echo`, tuned: every data frame sent back as it came, fragments too.
/// The frame is rebuilt without the client's mask key (its payload is
/// unmasked already), which a server must not send.
async fn echo_frames(mut ws: WebSocket<Io>) -> Result<(), WebSocketError> {
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                ws.write_frame(Frame::new(frame.fin, frame.opcode, None, frame.payload)).await?
            }
            _ => {}
        }
    }
}

/// `/broadcast`: subscribed while open; texts starting with `pub:` are
/// published to every subscriber, this one included.
async fn broadcast(ws: WebSocket<Io>, topic: &Arc<Topic<Bytes>>) {
    let mut subscription = topic.subscribe();
    let evicted = subscription.evicted();
    let (read, write) = ws.split(tokio::io::split);
    let mut read = FragmentCollectorRead::new(read);
    let write = tokio::sync::Mutex::new(write);
    let reader = async {
        let write = &write;
        // Pongs and the close reply, which reading obliges us to send.
        let mut obliged = |frame| async move { write.lock().await.write_frame(frame).await };
        while let Ok(frame) = read.read_frame(&mut obliged).await {
            match frame.opcode {
                OpCode::Close => return,
                OpCode::Text if frame.payload.starts_with(b"pub:") => {
                    topic.publish(&shared(frame.payload))
                }
                _ => {}
            }
        }
    };
    let writer = async {
        while let Some(payload) = subscription.recv().await {
            let frame = Frame::text(Payload::Borrowed(&payload));
            if write.lock().await.write_frame(frame).await.is_err() {
                break;
            }
            subscription.written(payload.len());
        }
        // Writing failed (the peer closed, or the connection broke): the
        // reader sees the end and finishes the close handshake.
        std::future::pending().await
    };
    tokio::select! {
        () = reader => {}
        () = writer => {}
        () = evicted => {}
    }
}

/// A received payload as `Bytes`, to be shared by every subscriber: without
/// a copy when it is the library's read buffer (an unfragmented message).
fn shared(payload: Payload<'_>) -> Bytes {
    match payload {
        Payload::Bytes(bytes) => bytes.freeze(),
        other => Bytes::from(Vec::from(other)),
    }
}
