//! The publish hook: an application asks the backend whether a
//! connection's user may publish data to a channel; the backend may
//! replace the data (to clean it, or to stamp it).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::client::HookClient;
use super::config::HookConfig;
use super::denied::HookDenied;
use super::identity::HookIdentity;
use super::outcome::decide;

/// What the publish hook POSTs.
#[derive(Serialize)]
struct PublishRequest<'a> {
    client: &'a str,
    user: &'a str,
    channel: &'a str,
    data: &'a RawValue,
}

/// What the backend's `result` holds.
#[derive(Deserialize)]
struct PublishResult {
    #[serde(default)]
    data: Option<Box<RawValue>>,
}

/// Asks the backend about publications.
#[derive(Debug, Clone)]
pub struct PublishHook {
    config: HookConfig,
    client: HookClient,
}

impl PublishHook {
    /// A publish hook calling `config`'s URL, on a pool of its own.
    pub fn new(config: HookConfig) -> Self {
        Self { config, client: HookClient::new() }
    }

    /// Calls the backend over `client`'s pool (shared with other hooks).
    pub fn with_client(mut self, client: HookClient) -> Self {
        self.client = client;
        self
    }

    /// Whether `identity`'s user may publish `data` to `channel`:
    /// `Ok(Some(replacement))` to publish the backend's data instead,
    /// `Ok(None)` to publish `data` as it is.
    pub async fn check(
        &self,
        identity: &HookIdentity,
        channel: &str,
        data: &RawValue,
    ) -> Result<Option<Box<RawValue>>, HookDenied> {
        let body = PublishRequest { client: &identity.client, user: &identity.user, channel, data };
        let called = self.client.call(&self.config, &identity.headers, &body).await;
        Ok(decide("publish", &self.config, called)?.and_then(|result: PublishResult| result.data))
    }
}
