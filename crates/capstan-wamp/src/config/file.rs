//! The config file's shape, field for field, as serde reads it: unknown
//! fields refused, defaults filled in. What the values mean, and whether
//! they fit together, is checked after (`transport`, `realm`).

use std::path::PathBuf;

use serde::Deserialize;

use super::unique_map::UniqueMap;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    #[serde(default)]
    pub transport: Transport,
    pub realms: Vec<Realm>,
    #[serde(default)]
    pub broker: Option<Broker>,
}

/// `broker`: one of its keys, the engine's URL.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Broker {
    pub redis: Option<String>,
    pub nats: Option<String>,
}

/// `transport`: where the router listens.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transport {
    #[serde(default = "default_bind")]
    pub bind: String,
    #[serde(default = "default_port")]
    pub port: u16,
    #[serde(default = "default_paths")]
    pub paths: Vec<String>,
    #[serde(default)]
    pub tls: Option<Tls>,
}

impl Default for Transport {
    fn default() -> Self {
        Self { bind: default_bind(), port: default_port(), paths: default_paths(), tls: None }
    }
}

/// The default address: loopback, as crossbar's default node.
pub(crate) fn default_bind() -> String {
    "127.0.0.1".to_owned()
}

/// The default port, crossbar's.
pub(crate) fn default_port() -> u16 {
    8080
}

/// The default WebSocket paths.
pub(crate) fn default_paths() -> Vec<String> {
    vec!["/ws".to_owned(), "/".to_owned()]
}

/// `transport.tls`: PEM files, relative to the config file's folder.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One of `realms`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Realm {
    pub name: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    pub auth: Auth,
}

/// One of a realm's `roles`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Role {
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// One of a role's `permissions`; every action is denied unless given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Permission {
    pub uri: String,
    #[serde(rename = "match", default)]
    pub policy: Match,
    #[serde(default)]
    pub call: bool,
    #[serde(default)]
    pub register: bool,
    #[serde(default)]
    pub publish: bool,
    #[serde(default)]
    pub subscribe: bool,
}

/// A permission's `match`.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Match {
    #[default]
    Exact,
    Prefix,
    Wildcard,
}

/// A realm's `auth`: the methods it serves (absent: not served).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Auth {
    pub anonymous: Option<Anonymous>,
    pub ticket: Option<Principals<TicketPrincipal>>,
    pub wampcra: Option<Principals<CraPrincipal>>,
    pub cryptosign: Option<Principals<CryptosignPrincipal>>,
}

/// `auth.anonymous`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Anonymous {
    pub role: String,
}

/// `auth.<method>`: its principals by authid.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Principals<T> {
    pub principals: UniqueMap<T>,
}

/// A ticket principal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TicketPrincipal {
    pub ticket: String,
    pub role: String,
}

/// A WAMP-CRA principal; `salt`, `iterations` and `keylen` go together.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CraPrincipal {
    pub secret: String,
    pub role: String,
    pub salt: Option<String>,
    pub iterations: Option<u32>,
    pub keylen: Option<u32>,
}

/// A cryptosign principal: its public keys, in hex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CryptosignPrincipal {
    pub authorized_keys: Vec<String>,
    pub role: String,
}
