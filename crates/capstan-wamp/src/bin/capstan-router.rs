//! capstan-router: a WAMP router to run instead of crossbar.
//! `cargo run --release -p capstan-wamp --bin capstan-router -- --port 8080`
//! serves WebSocket at `/ws` and `/`, realm `realm1` open to anonymous
//! clients (as crossbar's default node); `--config FILE` for realms, roles,
//! authentication and TLS. WAMP v1 clients (subprotocol `wamp`) join the
//! first realm. `--redis URL` or `--nats URL` (or the config's `broker`)
//! puts its publications on the deployment's broker, so that routers in
//! several processes are one network for pub/sub. Prints its address and
//! broker on its first line; on SIGINT or SIGTERM says GOODBYE to every
//! session and stops.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use capstan::pubsub::{Broker, Engine};

use capstan::{HttpServer, IoServer, Router as Paths, Topics, WsConfig, WsServer};
use capstan_wamp::config::{BrokerConfig, RealmConfig, RouterConfig};
use capstan_wamp::{Router, WampServer};

const HELP: &str = "\
capstan-router: a WAMP router (v2 Basic and Advanced Profile, and v1) on Capstan

Usage: capstan-router [--config FILE] [--port N] [--bind ADDR] [--realm NAME]...
                      [--redis URL | --nats URL]

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
  --redis URL       publish through Redis (redis://host:6379), shared with the
                    deployment's other routers and apps; env CAPSTAN_ROUTER_REDIS
  --nats URL        publish through NATS (nats://host:4222) instead; env
                    CAPSTAN_ROUTER_NATS. Neither: this process only (or the
                    config's broker). RPC and sessions stay per router
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
    broker: Option<BrokerConfig>,
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
        broker: None,
    };
    let (mut redis, mut nats) = (env("CAPSTAN_ROUTER_REDIS"), env("CAPSTAN_ROUTER_NATS"));
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
            "--redis" => redis = Some(value()?),
            "--nats" => nats = Some(value()?),
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
    options.broker = match (redis, nats) {
        (Some(_), Some(_)) => {
            return Err("--redis and --nats (or CAPSTAN_ROUTER_REDIS and CAPSTAN_ROUTER_NATS): \
                        a router publishes through one broker"
                .into());
        }
        (Some(url), None) => Some(BrokerConfig::Redis(url)),
        (None, Some(url)) => Some(BrokerConfig::Nats(url)),
        (None, None) => None,
    };
    if let Some(broker) = &options.broker
        && broker.url().trim().is_empty()
    {
        return Err(format!("--{}: the URL is empty", broker.kind()));
    }
    Ok(options)
}

/// The router's config: the file's, or crossbar's default node with the
/// realms asked for; the flags' address and broker over either.
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
    if let Some(broker) = &options.broker {
        config.broker = Some(broker.clone());
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
    let (options, RouterConfig { transport, realms, broker }) = config;
    let names: Vec<String> = realms.iter().map(|r| r.name.clone()).collect();
    let v1_realm = options.v1_realm.unwrap_or_else(|| names[0].clone());
    let (topics, shared) = match connect(broker.as_ref()).await {
        Ok(connected) => connected,
        Err(message) => {
            eprintln!("capstan-router: {message}");
            return ExitCode::from(1);
        }
    };
    let wamp = WampServer::with_topics(Router::from_configs(realms), topics).with_v1(&v1_realm);
    // Subscribed before serving: a client's publication on another router
    // reaches this one's subscribers from the first.
    if let Some(shared) = &shared
        && let Err(message) = subscribed(shared, &names).await
    {
        eprintln!("capstan-router: {message}");
        return ExitCode::from(1);
    }
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
    let through = broker.map_or_else(|| "in-process".to_owned(), |broker| broker.to_string());
    println!(
        "capstan-router on {scheme}://{local}{}, realms {} (v1: {v1_realm}), broker {through}",
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

/// The topics the router publishes through: this process's own, or on the
/// broker `broker` names, connected now (each engine bounds its connect:
/// one that cannot be reached is an error, not a wait). With a broker,
/// the broker too, to wait for its subscriptions.
async fn connect(
    broker: Option<&BrokerConfig>,
) -> Result<(Topics, Option<Arc<dyn Broker>>), String> {
    let Some(broker) = broker else { return Ok((Topics::new(), None)) };
    let (engine, broker) =
        engine(broker).await.map_err(|error| format!("cannot use {broker}: {error}"))?;
    Ok((Topics::with_engine(engine), Some(broker)))
}

#[cfg(feature = "brokers")]
async fn engine(broker: &BrokerConfig) -> Result<(Engine, Arc<dyn Broker>), String> {
    use capstan_nats::{NatsBroker, NatsConfig};
    use capstan_redis::{RedisConfig, RedisEngine};
    match broker {
        BrokerConfig::Redis(url) => {
            let redis = RedisEngine::connect(RedisConfig::new(url.clone()))
                .await
                .map_err(|e| e.to_string())?;
            Ok((redis.engine(), redis.broker()))
        }
        BrokerConfig::Nats(url) => {
            // WAMP publications are plain: nothing kept, no history.
            let nats: Arc<dyn Broker> = Arc::new(
                NatsBroker::connect(NatsConfig::new(url.clone()), None)
                    .await
                    .map_err(|e| e.to_string())?,
            );
            Ok((Engine::new(nats.clone()), nats))
        }
    }
}

#[cfg(not(feature = "brokers"))]
async fn engine(_: &BrokerConfig) -> Result<(Engine, Arc<dyn Broker>), String> {
    Err("capstan-router was built without its \"brokers\" feature".into())
}

/// Waits until `broker` delivers every realm's publications to this node
/// (each wait bounded by the engine).
async fn subscribed(broker: &Arc<dyn Broker>, realms: &[String]) -> Result<(), String> {
    for realm in realms {
        let topic = WampServer::realm_topic(realm);
        broker.ready(&topic).await.map_err(|e| format!("the broker, for {topic}: {e}"))?;
    }
    Ok(())
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
        assert_eq!(options(&args(&["--nats", ""]), none).unwrap_err(), "--nats: the URL is empty");
    }

    #[test]
    fn one_broker_from_a_flag_or_the_environment_over_the_configs() {
        let none = |_: &str| None;
        assert_eq!(router_config(&options(&[], none).unwrap()).unwrap().broker, None);
        let redis = options(&args(&["--redis", "redis://r:6379"]), none).unwrap();
        let redis = router_config(&redis).unwrap().broker;
        assert_eq!(redis, Some(BrokerConfig::Redis("redis://r:6379".into())));
        let env = |name: &str| (name == "CAPSTAN_ROUTER_NATS").then(|| "nats://n:4222".to_owned());
        let nats = router_config(&options(&[], env).unwrap()).unwrap().broker;
        assert_eq!(nats, Some(BrokerConfig::Nats("nats://n:4222".into())));
        let flag = options(&args(&["--nats", "nats://flag:4222"]), env).unwrap().broker;
        assert_eq!(flag, Some(BrokerConfig::Nats("nats://flag:4222".into())), "the flag wins");

        let both = options(&args(&["--redis", "redis://r:6379", "--nats", "nats://n:4222"]), none);
        assert!(both.unwrap_err().contains("--redis and --nats"));
        let mixed = options(&args(&["--redis", "redis://r:6379"]), env);
        assert!(mixed.unwrap_err().contains("one broker"), "a flag and the other's variable");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("router.json");
        let config = r#"{"realms": [{"name": "r", "roles": [{"name": "anonymous"}],
            "auth": {"anonymous": {"role": "anonymous"}}}], "broker": {"nats": "nats://file:4222"}}"#;
        std::fs::write(&file, config).unwrap();
        let path = file.to_str().unwrap();
        let from_file = router_config(&options(&args(&["--config", path]), none).unwrap());
        assert_eq!(from_file.unwrap().broker, Some(BrokerConfig::Nats("nats://file:4222".into())));
        let over = options(&args(&["--config", path, "--redis", "redis://r:6379"]), none).unwrap();
        let over = router_config(&over).unwrap().broker;
        assert_eq!(over, Some(BrokerConfig::Redis("redis://r:6379".into())), "flags over the file");
    }
}
