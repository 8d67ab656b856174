//! The measured server, run as a child process (`--serve MODE`): every
//! connection joins one topic; the controller's "publish M" broadcasts M
//! distinct JSON messages to it; any other message is echoed to its sender.

use std::io::{self, Read, Write};

use capstan::{Component, Conn, HttpServer, IoServer, Message, Topic, WsConfig, WsServer};

use super::mode::Mode;
use super::payload;

/// The controller's path: connections there are not subscribed.
pub const CONTROL_PATH: &str = "/control";

struct Bench {
    topic: Topic,
}

fn is_control(conn: &Conn) -> bool {
    conn.request().path() == CONTROL_PATH
}

impl Component for Bench {
    async fn on_open(&self, conn: &Conn) {
        if !is_control(conn) {
            self.topic.subscribe(conn);
        }
    }

    async fn on_message(&self, conn: &Conn, message: Message) {
        if !is_control(conn) {
            let _ = conn.send(message);
            return;
        }
        let reply = self.command(message.as_text().unwrap_or_default());
        let _ = conn.send_text(reply);
    }
}

impl Bench {
    /// Runs a controller command: "subscribers" or "publish M".
    fn command(&self, command: &str) -> String {
        match command.split_once(' ') {
            None if command == "subscribers" => format!("subscribers {}", self.topic.len()),
            Some(("publish", count)) => match count.parse::<u64>() {
                Ok(count) => {
                    let (mut queued, mut refused) = (0, 0);
                    for seq in 0..count {
                        let delivery = self.topic.publish(Message::text(payload::broadcast(seq)));
                        queued += delivery.queued;
                        refused += delivery.refused;
                    }
                    format!("published {count} queued {queued} refused {refused}")
                }
                Err(_) => format!("error: bad count {count:?}"),
            },
            _ => format!("error: unknown command {command:?}"),
        }
    }
}

/// Serves in `mode` on a loopback port, printed on stdout as
/// `LISTENING port=P pid=PID`; exits when stdin closes (the parent ended).
pub fn serve(mode: Mode) -> io::Result<()> {
    std::thread::spawn(|| {
        let mut byte = [0u8; 64];
        while let Ok(n) = io::stdin().read(&mut byte) {
            if n == 0 {
                break;
            }
        }
        std::process::exit(0);
    });
    // Worker threads: as many as the CPUs this process may run on (one,
    // when pinned).
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let config = WsConfig {
            deflate: mode.deflate_config(),
            // No keepalive pings: idle clients must stay connected through
            // the run without answering, and timers add noise.
            ping_interval: None,
            ..WsConfig::default()
        };
        let app = Bench { topic: Topic::new("bench") };
        let server =
            IoServer::bind("127.0.0.1:0", HttpServer::new(WsServer::with_config(app, config)))
                .await?;
        let port = server.local_addr()?.port();
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "LISTENING port={port} pid={}", std::process::id())?;
        stdout.flush()?;
        drop(stdout);
        server.run().await
    })
}
