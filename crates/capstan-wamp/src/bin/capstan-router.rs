//! capstan-router: a WAMP v2 router to run instead of crossbar.
//! `cargo run --release -p capstan-wamp --bin capstan-router -- --port 8080`
//! serves WebSocket at `/ws` and `/`, realm `realm1` open to anonymous
//! clients (as crossbar's default node). Prints its address on its first
//! line; stops on SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use capstan::{HttpServer, IoServer, Router as Paths, WsConfig, WsServer};
use capstan_wamp::{Router, WampServer};

const HELP: &str = "\
capstan-router: a WAMP v2 router (Basic Profile) on Capstan

Usage: capstan-router [--port N] [--bind ADDR] [--realm NAME]...

  --port N       TCP port (default 8080; env CAPSTAN_ROUTER_PORT)
  --bind ADDR    address to listen on (default 127.0.0.1; env CAPSTAN_ROUTER_BIND)
  --realm NAME   a realm to serve, open to anonymous clients; repeatable
                 (default realm1; env CAPSTAN_ROUTER_REALMS, comma-separated)
  --help         this text

WebSocket at /ws and /, subprotocols wamp.2.json, wamp.2.msgpack, wamp.2.cbor.
";

/// What the command line (and environment) asked for.
#[derive(Debug, PartialEq)]
struct Options {
    bind: String,
    port: u16,
    realms: Vec<String>,
}

/// Reads the flags, each defaulting to its environment variable.
fn options(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
    let mut bind = env("CAPSTAN_ROUTER_BIND").unwrap_or_else(|| "127.0.0.1".into());
    let mut port = env("CAPSTAN_ROUTER_PORT").unwrap_or_else(|| "8080".into());
    let mut realms: Vec<String> = env("CAPSTAN_ROUTER_REALMS")
        .map(|list| {
            list.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect()
        })
        .unwrap_or_default();
    let mut from_flags = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bind" => bind = value()?,
            "--port" => port = value()?,
            "--realm" => from_flags.push(value()?),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if !from_flags.is_empty() {
        realms = from_flags;
    }
    if realms.is_empty() {
        realms.push("realm1".into());
    }
    for realm in &realms {
        capstan_wamp::uri::check(realm, capstan_wamp::uri::UriRule::Loose, false)
            .map_err(|e| format!("--realm: {e}"))?;
    }
    let port = port.parse().map_err(|_| format!("--port: {port:?} is not a port number"))?;
    Ok(Options { bind, port, realms })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let options = match options(&args, |name| std::env::var(name).ok()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("capstan-router: {message}");
            return ExitCode::from(2);
        }
    };
    let wamp = WampServer::new(Router::new(options.realms.clone()));
    let ws =
        |wamp: WampServer| WsServer::with_config(wamp, WampServer::ws_config(WsConfig::default()));
    let wamp_for_shutdown = wamp.clone();
    let paths = Paths::new().route("/ws", ws(wamp.clone())).route("/", ws(wamp));
    let addr = format!("{}:{}", options.bind, options.port);
    let server = match IoServer::bind(&addr, HttpServer::new(paths)).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("capstan-router: cannot listen on {addr}: {error}");
            return ExitCode::from(1);
        }
    };
    let local: SocketAddr = server.local_addr().expect("a bound listener has an address");
    println!("capstan-router on ws://{local}/ws, realms {}", options.realms.join(", "));
    let stop = say_goodbye_on_signal(wamp_for_shutdown);
    match server.run_until(stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("capstan-router: {error}");
            ExitCode::from(1)
        }
    }
}

/// Resolves once SIGINT or SIGTERM came and every session was told GOODBYE
/// and answered (or `GOODBYE_GRACE` passed); the server then closes what
/// is left with 1001 and drains.
async fn say_goodbye_on_signal(wamp: WampServer) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let told = wamp.shut_down();
    let deadline = tokio::time::Instant::now() + GOODBYE_GRACE;
    while wamp.session_total() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "capstan-router: said GOODBYE to {told} sessions, {} did not answer",
        wamp.session_total()
    );
}

/// How long clients have to answer the router's GOODBYE on shutdown.
const GOODBYE_GRACE: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_win_over_the_environment_which_wins_over_defaults() {
        let none = |_: &str| None;
        let defaults = options(&[], none).unwrap();
        assert_eq!(
            defaults,
            Options { bind: "127.0.0.1".into(), port: 8080, realms: vec!["realm1".into()] }
        );
        let env = |name: &str| match name {
            "CAPSTAN_ROUTER_PORT" => Some("9000".to_owned()),
            "CAPSTAN_ROUTER_REALMS" => Some("a, b".to_owned()),
            _ => None,
        };
        let from_env = options(&[], env).unwrap();
        assert_eq!((from_env.port, from_env.realms.clone()), (9000, vec!["a".into(), "b".into()]));
        let flags = options(&args(&["--port", "1", "--realm", "c"]), env).unwrap();
        assert_eq!((flags.port, flags.realms), (1, vec!["c".into()]));
    }

    #[test]
    fn bad_flags_are_named() {
        let none = |_: &str| None;
        assert!(options(&args(&["--port", "x"]), none).unwrap_err().contains("--port"));
        assert!(options(&args(&["--port"]), none).unwrap_err().contains("needs a value"));
        assert!(options(&args(&["--realm", "a b"]), none).unwrap_err().contains("--realm"));
        assert!(options(&args(&["--nope"]), none).unwrap_err().contains("unknown argument"));
    }
}
