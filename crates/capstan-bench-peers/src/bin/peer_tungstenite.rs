//! `peer-tungstenite [--tuned] [ADDR]`: the loadgen protocol
//! (crates/capstan-bench/README.md) written with tokio-tungstenite 0.28, as
//! its users write a server: `accept_hdr_async_with_config` does the
//! handshake (its callback routes by path and answers 404 to others), then
//! `/echo` sends every text and binary message back with `send` (write and
//! flush) and `/broadcast` splits the stream into a sink and a stream, the
//! way the library's `server` example does, with the writer draining the
//! connection's channel of [`Topic`], one `send` per message.
//!
//! Both configurations accept messages and frames of up to 64 MiB (the
//! library's defaults are 64 MiB and 16 MiB). Beyond that:
//!
//! - **default**: `WebSocketConfig::default()`: a read buffer of 128 KiB,
//!   allocated as the connection opens, and a write buffer target of
//!   128 KiB.
//! - **tuned**: a read buffer of 4 KiB, the size `WebSocketConfig`'s
//!   documentation suggests "for scenarios where you expect a lot of
//!   connections and don't need high read load performance", and a write
//!   buffer target of 0, which its documentation describes as writing
//!   each message eagerly (every message here is flushed at once anyway).
//!   `max_write_buffer_size` stays at its default, unlimited: the buffer
//!   only grows past the target while writes fail, and here holds one
//!   frame at a time, which may be a 64 MiB echo.
//!
//! Pings are answered by tungstenite itself (the pong goes out with the
//! next read), and so is a close frame: the stream ends once the reply is
//! written, and the connection is dropped.

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;

use capstan_bench_peers::MAX_MESSAGE_SIZE;
use capstan_bench_peers::args::Config;
use capstan_bench_peers::serve;
use capstan_bench_peers::topic::Topic;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

fn main() -> ExitCode {
    serve::run("peer-tungstenite", "tokio-tungstenite", |config| {
        let ws_config = ws_config(config);
        let topic = Topic::new();
        move |stream| connection(stream, ws_config, Arc::clone(&topic))
    })
}

/// The settings of each configuration (see the module's documentation).
fn ws_config(config: Config) -> WebSocketConfig {
    let limits = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_SIZE))
        .max_frame_size(Some(MAX_MESSAGE_SIZE));
    match config {
        Config::Default => limits,
        Config::Tuned => limits.read_buffer_size(4 << 10).write_buffer_size(0),
    }
}

/// The endpoints.
#[derive(Clone, Copy)]
enum Route {
    Echo,
    Broadcast,
}

/// Serves one TCP connection: the handshake, then its endpoint.
async fn connection(stream: TcpStream, config: WebSocketConfig, topic: Arc<Topic<Utf8Bytes>>) {
    let mut route = None;
    // The error type is tungstenite's (`Callback`), large as it may be.
    #[allow(clippy::result_large_err)]
    let choose = |request: &Request, response: Response| {
        route = match request.uri().path() {
            "/echo" => Some(Route::Echo),
            "/broadcast" => Some(Route::Broadcast),
            _ => {
                let mut not_found = ErrorResponse::new(None);
                *not_found.status_mut() = StatusCode::NOT_FOUND;
                return Err(not_found);
            }
        };
        Ok(response)
    };
    let Ok(ws) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, choose, Some(config)).await
    else {
        return;
    };
    match route {
        Some(Route::Echo) => echo(ws).await,
        Some(Route::Broadcast) => broadcast(ws, &topic).await,
        None => {}
    }
}

/// `/echo`: every text or binary message sent back as it came.
async fn echo(mut ws: WebSocketStream<TcpStream>) {
    while let Some(Ok(message)) = ws.next().await {
        if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
            return;
        }
    }
}

/// `/broadcast`: subscribed while open; texts starting with `pub:` are
/// published to every subscriber, this one included.
async fn broadcast(ws: WebSocketStream<TcpStream>, topic: &Arc<Topic<Utf8Bytes>>) {
    let mut subscription = topic.subscribe();
    let evicted = subscription.evicted();
    let (mut sink, mut stream) = ws.split();
    let reader = async {
        while let Some(Ok(message)) = stream.next().await {
            if let Message::Text(text) = message
                && text.starts_with("pub:")
            {
                topic.publish(&text);
            }
        }
    };
    let writer = async {
        while let Some(text) = subscription.recv().await {
            let len = text.len();
            if sink.send(Message::Text(text)).await.is_err() {
                break;
            }
            subscription.written(len);
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
