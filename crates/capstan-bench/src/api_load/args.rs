//! `api-load`'s flags.

use std::net::SocketAddr;

/// What the subscribers speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The Capstan chat: `add_user` first, then every publication arrives
    /// as a `message` (or a `notice` with `--skip-history`) envelope.
    Chat,
    /// Every text frame is a publication (the Node peer).
    Plain,
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server (its WebSocket at `/ws`, its API at `/api/publish`).
    pub addr: SocketAddr,
    /// The server's process id: its CPU time is read from /proc.
    pub pid: Option<u32>,
    /// The API key sent with each publish.
    pub key: String,
    /// What the subscribers speak.
    pub protocol: Protocol,
    /// Subscribers connected before the publishes.
    pub subscribers: usize,
    /// Publishes made.
    pub publishes: usize,
    /// Publishes in flight at once, each on its own kept-alive connection.
    pub in_flight: usize,
    /// Publishes with `skip_history`.
    pub skip_history: bool,
    /// The channel.
    pub channel: String,
    /// A label for the report.
    pub label: String,
    /// Longest run, in seconds, before giving up.
    pub timeout_s: u64,
}

/// `api-load --help`.
pub const USAGE: &str = "\
api-load: API publishes per second from one client to many WebSocket subscribers.

  api-load --addr HOST:PORT --key KEY [options]

  --addr HOST:PORT     the server (WebSocket at /ws, API at POST /api/publish)
  --pid PID            the server's process id (its CPU per publish is reported)
  --key KEY            the API key (X-API-Key)
  --protocol chat|plain  what subscribers speak (default chat)
  --subscribers N      subscribers (default 1000)
  --publishes N        publishes (default 2000)
  --in-flight N        publishes in flight, one kept-alive connection each (default 1)
  --skip-history       publish with skip_history
  --channel NAME       the channel (default general)
  --label TEXT         the report's label
  --timeout S          give up after S seconds (default 120)
";

/// Parses the flags; `Ok(None)` for `--help`.
pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        addr: "127.0.0.1:8080".parse().expect("a valid address"),
        pid: None,
        key: String::new(),
        protocol: Protocol::Chat,
        subscribers: 1000,
        publishes: 2000,
        in_flight: 1,
        skip_history: false,
        channel: "general".into(),
        label: String::new(),
        timeout_s: 120,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--addr" => options.addr = value()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--pid" => options.pid = Some(value()?.parse().map_err(|e| format!("--pid: {e}"))?),
            "--key" => options.key = value()?,
            "--protocol" => {
                options.protocol = match value()?.as_str() {
                    "chat" => Protocol::Chat,
                    "plain" => Protocol::Plain,
                    other => return Err(format!("--protocol: chat or plain, not {other}")),
                }
            }
            "--subscribers" => options.subscribers = number(value()?)?,
            "--publishes" => options.publishes = number(value()?)?,
            "--in-flight" => options.in_flight = number(value()?)?.max(1),
            "--skip-history" => options.skip_history = true,
            "--channel" => options.channel = value()?,
            "--label" => options.label = value()?,
            "--timeout" => options.timeout_s = number(value()?)? as u64,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.key.is_empty() {
        return Err("--key is required".into());
    }
    Ok(Some(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_are_read_and_the_key_is_required() {
        let options = parse(&args(&["--key", "k", "--subscribers", "10", "--protocol", "plain"]))
            .unwrap()
            .unwrap();
        assert_eq!((options.subscribers, options.protocol), (10, Protocol::Plain));
        assert!(parse(&args(&["--subscribers", "10"])).is_err());
        assert!(parse(&args(&["--key", "k", "--nope"])).is_err());
        assert!(parse(&args(&["--help"])).unwrap().is_none());
    }
}
