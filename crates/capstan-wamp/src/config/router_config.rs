//! The router's whole config: read from a file (`capstan-router --config
//! FILE`), or crossbar's default node.

use std::path::Path;

use super::broker::BrokerConfig;
use super::error::ConfigError;
use super::file;
use super::realm::RealmConfig;
use super::transport::TransportConfig;

/// What the router serves, and where.
#[derive(Debug, Clone)]
pub struct RouterConfig {
    /// Where it listens.
    pub transport: TransportConfig,
    /// Its realms, in the file's order (names unique).
    pub realms: Vec<RealmConfig>,
    /// The broker its publications go through, shared with other routers
    /// (`None`: this process only).
    pub broker: Option<BrokerConfig>,
}

impl Default for RouterConfig {
    /// Crossbar's default node: `127.0.0.1:8080`, WebSocket at `/ws` and
    /// `/`, realm `realm1` open to anonymous clients, which may do
    /// everything; the in-process broker.
    fn default() -> Self {
        Self {
            transport: TransportConfig::default(),
            realms: vec![RealmConfig::open("realm1")],
            broker: None,
        }
    }
}

impl RouterConfig {
    /// Reads and checks the JSON config file at `path`; relative TLS file
    /// names are taken from the file's folder.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_json(&text, base)
    }

    /// Checks a config given as JSON text; relative TLS file names are
    /// taken from `base`.
    pub fn from_json(text: &str, base: &Path) -> Result<Self, ConfigError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let file: file::File =
            serde_path_to_error::deserialize(&mut json).map_err(ConfigError::from_serde)?;
        // Trailing characters after the object.
        json.end().map_err(|error| ConfigError::from_json(".".to_owned(), error))?;
        let transport = TransportConfig::from_file(file.transport, base)?;
        if file.realms.is_empty() {
            return Err(ConfigError::NoRealm);
        }
        let mut realms: Vec<RealmConfig> = Vec::new();
        for realm in file.realms {
            let realm = RealmConfig::from_file(realm)?;
            if realms.iter().any(|known| known.name == realm.name) {
                return Err(ConfigError::DuplicateRealm { realm: realm.name });
            }
            realms.push(realm);
        }
        let broker = file.broker.map(BrokerConfig::from_file).transpose()?;
        Ok(Self { transport, realms, broker })
    }

    /// The realm called `name`.
    pub fn realm(&self, name: &str) -> Option<&RealmConfig> {
        self.realms.iter().find(|realm| realm.name == name)
    }
}
