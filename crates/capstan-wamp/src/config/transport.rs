//! `transport`: the address, the WebSocket paths and TLS, checked; the
//! certificate and key loaded with capstan's `TlsConfig`, so that a wrong
//! file is reported when the config is read, not when the first client
//! connects.

use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};

use capstan::TlsConfig;

use super::error::ConfigError;
use super::file;

/// Where the router listens.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// The address to listen on (an IP address or a host name; default
    /// `127.0.0.1`).
    pub bind: String,
    /// The TCP port (default 8080; 0: any free port).
    pub port: u16,
    /// The HTTP paths that serve WAMP over WebSocket (default `/ws` and
    /// `/`).
    pub paths: Vec<String>,
    /// TLS (wss://), if configured.
    pub tls: Option<TlsFiles>,
}

/// TLS's files, and what capstan made of them.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain (PEM, leaf first), as resolved.
    pub cert: PathBuf,
    /// The private key (PEM), as resolved.
    pub key: PathBuf,
    /// Both, loaded.
    pub config: TlsConfig,
}

impl Default for TransportConfig {
    /// Crossbar's default node: `127.0.0.1:8080`, WebSocket at `/ws` and
    /// `/`, no TLS.
    fn default() -> Self {
        Self {
            bind: file::default_bind(),
            port: file::default_port(),
            paths: file::default_paths(),
            tls: None,
        }
    }
}

impl TransportConfig {
    /// `bind:port`, for `IoServer::bind` (an IPv6 address in brackets).
    pub fn address(&self) -> String {
        match self.bind.parse::<Ipv6Addr>() {
            Ok(v6) => format!("[{v6}]:{}", self.port),
            Err(_) => format!("{}:{}", self.bind, self.port),
        }
    }

    /// Checks the file's `transport`; TLS files are relative to `base`
    /// (the config file's folder).
    pub(crate) fn from_file(transport: file::Transport, base: &Path) -> Result<Self, ConfigError> {
        let file::Transport { bind, port, paths, tls } = transport;
        if !valid_bind(&bind) {
            return Err(ConfigError::InvalidBind { bind });
        }
        if paths.is_empty() {
            return Err(ConfigError::NoPaths);
        }
        for (i, path) in paths.iter().enumerate() {
            let invalid = |reason| Err(ConfigError::InvalidPath { path: path.clone(), reason });
            if !path.starts_with('/') {
                return invalid("does not start with '/'");
            }
            if path.chars().any(|c| c.is_whitespace() || c == '?' || c == '#') {
                return invalid("holds whitespace, '?' or '#'");
            }
            if paths[..i].contains(path) {
                return invalid("is listed twice");
            }
        }
        let tls = match tls {
            None => None,
            Some(file::Tls { cert, key }) => {
                let (cert, key) = (base.join(cert), base.join(key));
                match TlsConfig::from_pem_files(&cert, &key) {
                    Ok(config) => Some(TlsFiles { cert, key, config }),
                    Err(source) => return Err(ConfigError::Tls { cert, key, source }),
                }
            }
        };
        Ok(Self { bind, port, paths, tls })
    }
}

/// An IP address, or a host name (letters, digits, `-`, `.`).
fn valid_bind(bind: &str) -> bool {
    bind.parse::<IpAddr>().is_ok()
        || (!bind.is_empty()
            && bind.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(bind: &str, paths: &[&str]) -> file::Transport {
        file::Transport {
            bind: bind.into(),
            port: 0,
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            tls: None,
        }
    }

    #[test]
    fn addresses_and_host_names_bind_and_v6_is_bracketed() {
        for bind in ["127.0.0.1", "0.0.0.0", "::1", "localhost", "router.example.com"] {
            let config = TransportConfig::from_file(transport(bind, &["/ws"]), Path::new("."));
            assert!(config.is_ok(), "{bind}");
        }
        let v6 = TransportConfig::from_file(transport("::1", &["/"]), Path::new(".")).unwrap();
        assert_eq!(v6.address(), "[::1]:0");
        assert_eq!(TransportConfig::default().address(), "127.0.0.1:8080");
        for bind in ["", "local host", "a..b", "1.2.3.4:80"] {
            let error = TransportConfig::from_file(transport(bind, &["/"]), Path::new("."));
            assert!(matches!(error, Err(ConfigError::InvalidBind { .. })), "{bind}");
        }
    }

    #[test]
    fn paths_are_absolute_plain_and_unique() {
        let base = Path::new(".");
        assert!(matches!(
            TransportConfig::from_file(transport("127.0.0.1", &[]), base),
            Err(ConfigError::NoPaths)
        ));
        for bad in [&["ws"][..], &["/a b"], &["/ws?x"], &["/ws", "/ws"]] {
            assert!(
                matches!(
                    TransportConfig::from_file(transport("127.0.0.1", bad), base),
                    Err(ConfigError::InvalidPath { .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tls_files_are_found_beside_the_config_and_missing_ones_named() {
        let mut missing = transport("127.0.0.1", &["/ws"]);
        missing.tls = Some(file::Tls { cert: "cert.pem".into(), key: "key.pem".into() });
        let error = TransportConfig::from_file(missing, Path::new("/nonexistent/dir")).unwrap_err();
        let ConfigError::Tls { cert, .. } = &error else { panic!("{error:?}") };
        assert_eq!(cert, Path::new("/nonexistent/dir/cert.pem"));
        assert!(error.to_string().contains("/nonexistent/dir/cert.pem"), "{error}");
    }
}
