//! The three server modes compared: compression off, one compressed frame
//! shared by every subscriber, and a compressor per connection.

use capstan::DeflateConfig;
use capstan::ws::deflate::EXTENSION;

/// How the measured server compresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No permessage-deflate (`DeflateConfig::disabled()`).
    Off,
    /// No context takeover either way (`DeflateConfig::default()`): a
    /// broadcast is compressed once and the frame shared.
    Shared,
    /// Context takeover as the client allows (`DeflateConfig::as_offered()`,
    /// client offers plain "permessage-deflate"): each connection keeps its
    /// own compressor and decompressor.
    PerConnection,
}

impl Mode {
    /// Every mode, in report order.
    pub const ALL: [Mode; 3] = [Mode::Off, Mode::Shared, Mode::PerConnection];

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Shared => "shared",
            Mode::PerConnection => "per-connection",
        }
    }

    /// The mode called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.name() == name)
    }

    /// The server's configuration in this mode.
    pub fn deflate_config(self) -> DeflateConfig {
        match self {
            Mode::Off => DeflateConfig::disabled(),
            Mode::Shared => DeflateConfig::default(),
            Mode::PerConnection => DeflateConfig::as_offered(),
        }
    }

    /// Whether messages are compressed in this mode.
    pub fn compresses(self) -> bool {
        self != Mode::Off
    }

    /// What the clients offer: plain "permessage-deflate" in every mode
    /// (as browsers do; the server declines it when off).
    pub fn offer(self) -> &'static str {
        EXTENSION
    }

    /// Checks the server's Sec-WebSocket-Extensions answer.
    pub fn check_agreed(self, answer: Option<&str>) -> Result<(), String> {
        let params: Option<Vec<String>> =
            answer.map(|a| a.split(';').map(|p| p.trim().to_ascii_lowercase()).collect());
        let has = |rest: &[String], name: &str| rest.iter().any(|p| p == name);
        let ok = match (self, params.as_deref()) {
            (Mode::Off, None) => true,
            (Mode::Shared, Some([name, rest @ ..])) => {
                name == EXTENSION
                    && has(rest, "server_no_context_takeover")
                    && has(rest, "client_no_context_takeover")
            }
            (Mode::PerConnection, Some([name])) => name == EXTENSION,
            _ => false,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{} mode: unexpected Sec-WebSocket-Extensions answer {answer:?}",
                self.name()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.name()), Some(mode));
        }
        assert_eq!(Mode::parse("both"), None);
    }

    #[test]
    fn agreed_extensions() {
        assert!(Mode::Off.check_agreed(None).is_ok());
        assert!(Mode::Off.check_agreed(Some("permessage-deflate")).is_err());
        let shared = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
        assert!(Mode::Shared.check_agreed(Some(shared)).is_ok());
        assert!(Mode::Shared.check_agreed(Some("permessage-deflate")).is_err());
        assert!(Mode::PerConnection.check_agreed(Some("permessage-deflate")).is_ok());
        assert!(Mode::PerConnection.check_agreed(Some(shared)).is_err());
    }
}
