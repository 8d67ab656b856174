//! capstan-router: a WAMP router to run instead of crossbar.
//! `cargo run --release -p capstan-wamp --bin capstan-router -- --port 8080`
//! serves WebSocket at `/ws` and `/`, realm `realm1` open to anonymous
//! clients (as crossbar's default node); `--config FILE` for realms, roles,
//! authentication and TLS. WAMP v1 clients (subprotocol `wamp`) join the
//! first realm. Prints its address on its first line; on SIGINT or SIGTERM
//! says GOODBYE to every session and stops.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use capstan::{HttpServer, IoServer, Router as Paths, WsConfig, WsServer};
use capstan_wamp::config::{RealmConfig, RouterConfig};
use capstan_wamp::{Router, WampServer};

const HELP: &str = "\
capstan-router: a WAMP router (v2 Basic and Advanced Profile, and v1) on Capstan

Usage: capstan-router [--config FILE] [--port N] [--bind ADDR] [--realm NAME]...

  --config FILE     realms, roles, authentication and TLS (JSON; see
                    docs/WAMP.md; env CAPSTAN_ROUTER_CONFIG)
  --port N          TCP port (default 8080, or the config's; env CAPSTAN_ROUTER_PORT)
  --bind ADDR       address to listen on (default 127.0.0.1, or the config's;
                    env CAPSTAN_ROUTER_BIND)
  --realm NAME      a realm open to anonymous clients; repeatable (default
                    realm1; env CAPSTAN_ROUTER_REALMS, comma-separated); not
                    with --config, whose realms are its own
  --v1-realm NAME   the realm WAMP v1 clients join (default: the first realm;
                    env CAPSTAN_ROUTER_V1_REALM)
  --help            this text

WebSocket at /ws and / (or the config's paths), subprotocols wamp.2.json,
wamp.2.msgpack, wamp.2.cbor, and wamp (v1).
";

/// What the command line (and environment) asked for.
#[derive(Debug, Default, PartialEq)]
struct Options {
    config: Option<String>,
    bind: Option<String>,
    port: Option<u16>,
    realms: Vec<String>,
    v1_realm: Option<String>,
}

/// Reads the flags, each defaulting to its environment variable.
fn options(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Options, String> {
    let port =
        |text: String| text.parse().map_err(|_| format!("--port: {text:?} is not a port number"));
    let mut options = Options {
        config: env("CAPSTAN_ROUTER_CONFIG"),
        bind: env("CAPSTAN_ROUTER_BIND"),
        port: env("CAPSTAN_ROUTER_PORT").map(port).transpose()?,
        realms: env("CAPSTAN_ROUTER_REALMS")
            .map(|list| {
                list.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect()
            })
            .unwrap_or_default(),
        v1_realm: env("CAPSTAN_ROUTER_V1_REALM"),
    };
    let mut from_flags = Vec::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--config" => options.config = Some(value()?),
            "--bind" => options.bind = Some(value()?),
            "--port" => options.port = Some(port(value()?)?),
            "--realm" => from_flags.push(value()?),
            "--v1-realm" => options.v1_realm = Some(value()?),
            other => return Err(format!("unknown argument {other:?} (see --help)")),
        }
    }
    if !from_flags.is_empty() {
        options.realms = from_flags;
    }
    for realm in &options.realms {
        capstan_wamp::uri::check(realm, capstan_wamp::uri::UriRule::Loose, false)
            .map_err(|e| format!("--realm: {e}"))?;
    }
    if options.config.is_some() && !options.realms.is_empty() {
        return Err("--realm and --config: the config file names the realms".into());
    }
    Ok(options)
}

/// The router's config: the file's, or crossbar's default node with the
/// realms asked for; the flags' address over either.
fn router_config(options: &Options) -> Result<RouterConfig, String> {
    let mut config = match &options.config {
        Some(path) => RouterConfig::from_file(path).map_err(|e| format!("--config: {e}"))?,
        None => RouterConfig::default(),
    };
    if !options.realms.is_empty() {
        config.realms = options.realms.iter().map(RealmConfig::open).collect();
    }
    if let Some(bind) = &options.bind {
        config.transport.bind = bind.clone();
    }
    if let Some(port) = options.port {
        config.transport.port = port;
    }
    if let Some(v1) = &options.v1_realm
        && config.realm(v1).is_none()
    {
        return Err(format!("--v1-realm: no realm {v1:?} is served"));
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let config = match options(&args, |name| std::env::var(name).ok()).and_then(|o| {
        let config = router_config(&o)?;
        Ok((o, config))
    }) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("capstan-router: {message}");
            return ExitCode::from(2);
        }
    };
    let (options, RouterConfig { transport, realms, .. }) = config;
    let names: Vec<String> = realms.iter().map(|r| r.name.clone()).collect();
    let v1_realm = options.v1_realm.unwrap_or_else(|| names[0].clone());
    let wamp = WampServer::new(Router::from_configs(realms)).with_v1(&v1_realm);
    let ws = |wamp: WampServer| {
        WsServer::with_config(wamp, WampServer::ws_config_with_v1(WsConfig::default()))
    };
    let paths = transport
        .paths
        .iter()
        .fold(Paths::new(), |paths, path| paths.route(path, ws(wamp.clone())));
    let handler = HttpServer::new(paths);
    let addr = transport.address();
    let (listening, scheme) = match &transport.tls {
        Some(tls) => (IoServer::new(handler).listen_tls(&addr, tls.config.clone()).await, "wss"),
        None => (IoServer::bind(&addr, handler).await, "ws"),
    };
    let server = match listening {
        Ok(server) => server,
        Err(error) => {
            eprintln!("capstan-router: cannot listen on {addr}: {error}");
            return ExitCode::from(1);
        }
    };
    let local: SocketAddr = server.local_addr().expect("a bound listener has an address");
    println!(
        "capstan-router on {scheme}://{local}{}, realms {} (v1: {v1_realm})",
        transport.paths[0],
        names.join(", ")
    );
    let stop = say_goodbye_on_signal(wamp);
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
        let defaults = router_config(&options(&[], none).unwrap()).unwrap();
        assert_eq!(defaults.transport.address(), "127.0.0.1:8080");
        assert_eq!(defaults.realms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["realm1"]);
        let env = |name: &str| match name {
            "CAPSTAN_ROUTER_PORT" => Some("9000".to_owned()),
            "CAPSTAN_ROUTER_REALMS" => Some("a, b".to_owned()),
            _ => None,
        };
        let from_env = options(&[], env).unwrap();
        assert_eq!(
            (from_env.port, from_env.realms.clone()),
            (Some(9000), vec!["a".into(), "b".into()])
        );
        let flags = options(&args(&["--port", "1", "--realm", "c"]), env).unwrap();
        assert_eq!((flags.port, flags.realms), (Some(1), vec!["c".into()]));
    }

    #[test]
    fn a_config_file_gives_the_realms_and_flags_move_its_address() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/router-auth.json");
        let none = |_: &str| None;
        let options = options(&args(&["--config", file, "--port", "0"]), none).unwrap();
        let config = router_config(&options).unwrap();
        assert_eq!(config.transport.port, 0);
        let names: Vec<&str> = config.realms.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["realm1", "authrealm"]);
    }

    #[test]
    fn bad_flags_are_named() {
        let none = |_: &str| None;
        assert!(options(&args(&["--port", "x"]), none).unwrap_err().contains("--port"));
        assert!(options(&args(&["--port"]), none).unwrap_err().contains("needs a value"));
        assert!(options(&args(&["--realm", "a b"]), none).unwrap_err().contains("--realm"));
        assert!(options(&args(&["--nope"]), none).unwrap_err().contains("unknown argument"));
        let both = options(&args(&["--config", "f.json", "--realm", "a"]), none);
        assert!(both.unwrap_err().contains("--config"));
        let missing = options(&args(&["--config", "/nonexistent/router.json"]), none).unwrap();
        assert!(router_config(&missing).unwrap_err().contains("--config"));
        let v1 = options(&args(&["--v1-realm", "elsewhere"]), none).unwrap();
        assert!(router_config(&v1).unwrap_err().contains("--v1-realm"));
    }
}
