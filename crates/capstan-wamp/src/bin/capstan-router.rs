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
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};

/// What `--help` says after the flags.
const AFTER_HELP: &str = "WebSocket at /ws and / (or the config's paths), subprotocols wamp.2.json, \
                          wamp.2.msgpack, wamp.2.cbor, and wamp (v1). A flag left out is read \
                          from its environment variable, shown beside it.";

/// What the command line (and environment) asked for: each flag, else its
/// environment variable. Its doc comments are `--help`'s text.
#[derive(Debug, Default, PartialEq, Parser)]
#[command(name = "capstan-router", args_override_self = true, after_help = AFTER_HELP)]
#[command(about = "capstan-router: a WAMP router (v2 Basic and Advanced Profile, and v1) \
                   on Capstan", long_about = None)]
struct Options {
    /// Realms, roles, authentication and TLS (JSON; see docs/WAMP.md).
    #[arg(long, value_name = "FILE", env = "CAPSTAN_ROUTER_CONFIG")]
    config: Option<String>,

    /// TCP port (default 8080, or the config's).
    #[arg(long, value_name = "N", env = "CAPSTAN_ROUTER_PORT")]
    port: Option<u16>,

    /// Address to listen on (default 127.0.0.1, or the config's).
    #[arg(long, value_name = "ADDR", env = "CAPSTAN_ROUTER_BIND")]
    bind: Option<String>,

    /// A realm open to anonymous clients; repeatable (default realm1; the
    /// variable is a comma-separated list); not with --config, whose realms
    /// are its own.
    #[arg(long = "realm", value_name = "NAME", env = "CAPSTAN_ROUTER_REALMS")]
    realms: Vec<String>,

    /// The realm WAMP v1 clients join (default: the first realm).
    #[arg(long, value_name = "NAME", env = "CAPSTAN_ROUTER_V1_REALM")]
    v1_realm: Option<String>,

    /// Publish through Redis (redis://host:6379), shared with the
    /// deployment's other routers and apps.
    // The variables' values are not shown in --help: a URL may hold a password.
    #[arg(long, value_name = "URL", env = "CAPSTAN_ROUTER_REDIS", hide_env_values = true)]
    redis: Option<String>,

    /// Publish through NATS (nats://host:4222) instead. Neither: this
    /// process only (or the config's broker). RPC and sessions stay per
    /// router.
    #[arg(long, value_name = "URL", env = "CAPSTAN_ROUTER_NATS", hide_env_values = true)]
    nats: Option<String>,
}

impl Options {
    /// The options clap matched, checked where clap does not: the realms'
    /// names, no --realm beside --config, one broker at most, its URL not
    /// empty.
    fn from_matches(matches: &ArgMatches) -> Result<Options, String> {
        let mut options = Options::from_arg_matches(matches).map_err(|e| e.to_string())?;
        // CAPSTAN_ROUTER_REALMS is one list; each --realm is one name.
        if matches.value_source("realms") == Some(ValueSource::EnvVariable) {
            let list = options.realms.join(",");
            let names = list.split(',').map(str::trim).filter(|r| !r.is_empty());
            options.realms = names.map(str::to_owned).collect();
        }
        for realm in &options.realms {
            capstan_wamp::uri::check(realm, capstan_wamp::uri::UriRule::Loose, false)
                .map_err(|e| format!("--realm: {e}"))?;
        }
        if options.config.is_some() && !options.realms.is_empty() {
            return Err("--realm and --config: the config file names the realms".into());
        }
        if options.redis.is_some() && options.nats.is_some() {
            return Err("--redis and --nats (or CAPSTAN_ROUTER_REDIS and CAPSTAN_ROUTER_NATS): \
                        a router publishes through one broker"
                .into());
        }
        if let Some(broker) = options.broker()
            && broker.url().trim().is_empty()
        {
            return Err(format!("--{}: the URL is empty", broker.kind()));
        }
        Ok(options)
    }

    /// The broker asked for by --redis or --nats, if any.
    fn broker(&self) -> Option<BrokerConfig> {
        match (&self.redis, &self.nats) {
            (Some(url), _) => Some(BrokerConfig::Redis(url.clone())),
            (None, Some(url)) => Some(BrokerConfig::Nats(url.clone())),
            (None, None) => None,
        }
    }
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
    if let Some(broker) = options.broker() {
        config.broker = Some(broker);
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
    // --help, or a usage error: printed, exit status 0 or 2.
    let matches = Options::command().get_matches();
    let config = match Options::from_matches(&matches).and_then(|o| {
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

    use clap::error::ErrorKind;

    /// The environment variables the router reads.
    const VARIABLES: [&str; 7] = [
        "CAPSTAN_ROUTER_CONFIG",
        "CAPSTAN_ROUTER_BIND",
        "CAPSTAN_ROUTER_PORT",
        "CAPSTAN_ROUTER_REALMS",
        "CAPSTAN_ROUTER_V1_REALM",
        "CAPSTAN_ROUTER_REDIS",
        "CAPSTAN_ROUTER_NATS",
    ];

    /// Reads `args` (after the program name) through `command`.
    fn read(command: clap::Command, args: &[&str]) -> Result<Options, String> {
        let args = std::iter::once("capstan-router").chain(args.iter().copied());
        let matches = command.try_get_matches_from(args).map_err(|e| e.to_string())?;
        Options::from_matches(&matches)
    }

    /// Reads `args` as the command line, the environment left out: the
    /// developer's own CAPSTAN_ROUTER_* must not change these tests.
    fn options(args: &[&str]) -> Result<Options, String> {
        read(Options::command().mut_args(|arg| arg.env(None::<&str>)), args)
    }

    #[test]
    fn the_defaults_are_crossbars_node() {
        let defaults = router_config(&options(&[]).unwrap()).unwrap();
        assert_eq!(defaults.transport.address(), "127.0.0.1:8080");
        assert_eq!(defaults.realms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["realm1"]);
        assert_eq!(defaults.broker, None);
        let flags =
            options(&["--port", "1", "--bind", "127.0.0.2", "--realm", "c", "--realm", "d"]);
        let flags = router_config(&flags.unwrap()).unwrap();
        assert_eq!(flags.transport.address(), "127.0.0.2:1");
        assert_eq!(flags.realms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["c", "d"]);
        let again = options(&["--port", "1", "--port", "2"]).unwrap();
        assert_eq!(again.port, Some(2), "a flag again: the last one, as before clap");
        assert_eq!(options(&["--realm", "a,b"]).unwrap().realms, ["a,b"], "a flag is one name");
    }

    /// The environment test's variables.
    const TEST_ENV: [(&str, &str); 4] = [
        ("CAPSTAN_ROUTER_PORT", "9000"),
        ("CAPSTAN_ROUTER_REALMS", " a, b,,"),
        ("CAPSTAN_ROUTER_V1_REALM", "b"),
        ("CAPSTAN_ROUTER_NATS", "nats://n:4222"),
    ];

    /// Set in the child process that runs [`flags_win_over_the_environment`].
    const CHILD: &str = "CAPSTAN_ROUTER_TEST_CHILD";

    /// clap reads the process's own environment, and setting variables in
    /// this multi-threaded test process is unsafe: the environment's test
    /// runs in a child process (this test binary again) given TEST_ENV.
    #[test]
    fn the_environment_fills_what_no_flag_gave() {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child.args(["tests::flags_win_over_the_environment", "--exact", "--ignored"]);
        for name in VARIABLES {
            child.env_remove(name);
        }
        let output = child.envs(TEST_ENV).env(CHILD, "1").output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(stdout.contains("1 passed"), "the child ran it:\n{stdout}");
    }

    #[test]
    #[ignore = "run by the_environment_fills_what_no_flag_gave, with TEST_ENV"]
    fn flags_win_over_the_environment() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        let options = |args: &[&str]| read(Options::command(), args);
        let from_env = options(&[]).unwrap();
        assert_eq!(from_env.port, Some(9000));
        assert_eq!(from_env.realms, ["a", "b"], "the list, trimmed, empty names left out");
        assert_eq!(from_env.v1_realm.as_deref(), Some("b"));
        assert_eq!(from_env.broker(), Some(BrokerConfig::Nats("nats://n:4222".into())));
        let config = router_config(&from_env).unwrap();
        assert_eq!(config.transport.address(), "127.0.0.1:9000");
        assert_eq!(config.broker, Some(BrokerConfig::Nats("nats://n:4222".into())));

        let flags = options(&["--port", "1", "--realm", "c", "--realm", "b"]).unwrap();
        assert_eq!((flags.port, flags.realms), (Some(1), vec!["c".into(), "b".into()]));
        let flag = options(&["--nats", "nats://flag:4222"]).unwrap().broker();
        assert_eq!(flag, Some(BrokerConfig::Nats("nats://flag:4222".into())), "the flag wins");
        let mixed = options(&["--redis", "redis://r:6379"]);
        assert!(mixed.unwrap_err().contains("one broker"), "a flag and the other's variable");
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/router-auth.json");
        let both = options(&["--config", file, "--nats", "nats://flag:4222"]);
        assert!(both.unwrap_err().contains("--config"), "--config and CAPSTAN_ROUTER_REALMS");

        let help = Options::command().render_long_help().to_string();
        assert!(help.contains("[env: CAPSTAN_ROUTER_PORT=9000]"), "{help}");
        assert!(help.contains("[env: CAPSTAN_ROUTER_NATS]"), "{help}");
        assert!(!help.contains("nats://n:4222"), "a broker's URL may hold a password:\n{help}");
    }

    #[test]
    fn a_config_file_gives_the_realms_and_flags_move_its_address() {
        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/router-auth.json");
        let options = options(&["--config", file, "--port", "0"]).unwrap();
        let config = router_config(&options).unwrap();
        assert_eq!(config.transport.port, 0);
        let names: Vec<&str> = config.realms.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["realm1", "authrealm"]);
    }

    #[test]
    fn bad_flags_are_named() {
        assert!(options(&["--port", "x"]).unwrap_err().contains("--port"));
        assert!(options(&["--port"]).unwrap_err().contains("a value is required for '--port"));
        assert!(options(&["--realm", "a b"]).unwrap_err().contains("--realm"));
        assert!(options(&["--realm", ""]).unwrap_err().contains("--realm"));
        assert!(options(&["--nope"]).unwrap_err().contains("unexpected argument '--nope'"));
        let both = options(&["--config", "f.json", "--realm", "a"]);
        assert!(both.unwrap_err().contains("--config"));
        let missing = options(&["--config", "/nonexistent/router.json"]).unwrap();
        assert!(router_config(&missing).unwrap_err().contains("--config"));
        let v1 = options(&["--v1-realm", "elsewhere"]).unwrap();
        assert!(router_config(&v1).unwrap_err().contains("--v1-realm"));
        assert_eq!(options(&["--nats", ""]).unwrap_err(), "--nats: the URL is empty");
    }

    #[test]
    fn usage_errors_exit_with_2_and_help_with_0() {
        let command = || Options::command().mut_args(|arg| arg.env(None::<&str>));
        let error = command().try_get_matches_from(["capstan-router", "--port", "x"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        for help in ["-h", "--help"] {
            let error = command().try_get_matches_from(["capstan-router", help]).unwrap_err();
            assert_eq!((error.kind(), error.exit_code()), (ErrorKind::DisplayHelp, 0));
        }
        let help = Options::command().render_long_help().to_string();
        for said in [
            "a WAMP router (v2 Basic and Advanced Profile, and v1)",
            "--config <FILE>",
            "docs/WAMP.md",
            "[env: CAPSTAN_ROUTER_PORT=",
            "default 8080, or the config's",
            "--realm <NAME>",
            "repeatable",
            "comma-separated",
            "--v1-realm <NAME>",
            "--redis <URL>",
            "--nats <URL>",
            "[env: CAPSTAN_ROUTER_NATS]",
            "wamp.2.msgpack",
        ] {
            assert!(help.contains(said), "{said:?} in\n{help}");
        }
    }

    #[test]
    fn one_broker_from_a_flag_over_the_configs() {
        let redis = options(&["--redis", "redis://r:6379"]).unwrap();
        let redis = router_config(&redis).unwrap().broker;
        assert_eq!(redis, Some(BrokerConfig::Redis("redis://r:6379".into())));
        let both = options(&["--redis", "redis://r:6379", "--nats", "nats://n:4222"]);
        assert!(both.unwrap_err().contains("--redis and --nats"));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("router.json");
        let config = r#"{"realms": [{"name": "r", "roles": [{"name": "anonymous"}],
            "auth": {"anonymous": {"role": "anonymous"}}}], "broker": {"nats": "nats://file:4222"}}"#;
        std::fs::write(&file, config).unwrap();
        let path = file.to_str().unwrap();
        let from_file = router_config(&options(&["--config", path]).unwrap());
        assert_eq!(from_file.unwrap().broker, Some(BrokerConfig::Nats("nats://file:4222".into())));
        let over = options(&["--config", path, "--redis", "redis://r:6379"]).unwrap();
        let over = router_config(&over).unwrap().broker;
        assert_eq!(over, Some(BrokerConfig::Redis("redis://r:6379".into())), "flags over the file");
    }
}
