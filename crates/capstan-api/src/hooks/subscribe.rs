//! The subscribe hook: an application asks the backend whether a
//! connection's user may subscribe to a channel.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::client::HookClient;
use super::config::HookConfig;
use super::denied::HookDenied;
use super::identity::HookIdentity;
use super::outcome::decide;

/// What the subscribe hook POSTs.
#[derive(Serialize)]
struct SubscribeRequest<'a> {
    client: &'a str,
    user: &'a str,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a RawValue>,
}

/// A subscription the backend allowed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SubscribeAllowed {
    /// The backend's info about this subscription (raw JSON); none when
    /// it gave none, or when it failed and the policy allowed.
    #[serde(default)]
    pub info: Option<Box<RawValue>>,
}

/// Asks the backend about subscriptions.
#[derive(Debug, Clone)]
pub struct SubscribeHook {
    config: HookConfig,
    client: HookClient,
}

impl SubscribeHook {
    /// A subscribe hook calling `config`'s URL, on a pool of its own.
    pub fn new(config: HookConfig) -> Self {
        Self { config, client: HookClient::new() }
    }

    /// Calls the backend over `client`'s pool (shared with other hooks).
    pub fn with_client(mut self, client: HookClient) -> Self {
        self.client = client;
        self
    }

    /// Whether `identity`'s user may subscribe to `channel` (with the
    /// client's own subscribe `data`, if any), the connect-time headers
    /// forwarded again.
    pub async fn check(
        &self,
        identity: &HookIdentity,
        channel: &str,
        data: Option<&RawValue>,
    ) -> Result<SubscribeAllowed, HookDenied> {
        let body =
            SubscribeRequest { client: &identity.client, user: &identity.user, channel, data };
        let called = self.client.call(&self.config, &identity.headers, &body).await;
        Ok(decide("subscribe", &self.config, called)?.unwrap_or_default())
    }
}
