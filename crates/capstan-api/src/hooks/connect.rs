//! The connect hook: at the WebSocket handshake, the backend is asked who
//! the request is (its cookies and allowed headers forwarded), and
//! answers with a user, or refuses. An `Authenticator`, so an application
//! writes `Authenticate::new(ws, ConnectHook::new(config))`.

use capstan::Rejection;
use capstan::Request;
use capstan::http::Authenticator;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::client::HookClient;
use super::client_id::new_client_id;
use super::config::HookConfig;
use super::denied::HookDenied;
use super::forwarded::ForwardedHeaders;
use super::identity::HookIdentity;
use super::outcome::decide;

/// What the connect hook POSTs.
#[derive(Serialize)]
struct ConnectRequest<'a> {
    client: &'a str,
    transport: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_addr: Option<String>,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
}

/// What the backend's `result` holds.
#[derive(Deserialize)]
struct ConnectResult {
    user: String,
    #[serde(default)]
    channels: Option<Vec<String>>,
    #[serde(default)]
    info: Option<Box<RawValue>>,
}

/// Asks the backend who each upgrade request is.
#[derive(Debug, Clone)]
pub struct ConnectHook {
    config: HookConfig,
    forwarded: ForwardedHeaders,
    client: HookClient,
}

impl ConnectHook {
    /// A connect hook calling `config`'s URL, forwarding the default
    /// headers ([`ForwardedHeaders::default`]), on a pool of its own.
    pub fn new(config: HookConfig) -> Self {
        Self { config, forwarded: ForwardedHeaders::default(), client: HookClient::new() }
    }

    /// Forwards these headers instead of the default ones.
    pub fn with_forwarded(mut self, forwarded: ForwardedHeaders) -> Self {
        self.forwarded = forwarded;
        self
    }

    /// Calls the backend over `client`'s pool (shared with other hooks).
    pub fn with_client(mut self, client: HookClient) -> Self {
        self.client = client;
        self
    }

    /// Asks the backend about `request`: its identity, or why not.
    pub async fn connect(&self, request: &Request) -> Result<HookIdentity, HookDenied> {
        let client = new_client_id();
        let headers = self.forwarded.pick(request);
        let body = ConnectRequest {
            client: &client,
            transport: "websocket",
            remote_addr: request.remote_addr().map(|a| a.to_string()),
            path: request.path(),
            query: request.query(),
        };
        let called = self.client.call(&self.config, &headers, &body).await;
        Ok(match decide("connect", &self.config, called)? {
            Some(ConnectResult { user, channels, info }) => {
                HookIdentity { user, client, channels, info, headers, confirmed: true }
            }
            None => HookIdentity::unconfirmed(client, headers),
        })
    }
}

/// The handshake's answer to a refusal (only a status and a body can be
/// given before the upgrade): a backend's error code that is a 4xx status
/// is that status, any other code 403; a disconnect 403; a backend that
/// failed (policy `Deny`) 503.
pub fn handshake_rejection(denied: &HookDenied) -> Rejection {
    match denied {
        HookDenied::Refused { code, message } => {
            let status = u16::try_from(*code).ok().filter(|s| (400..500).contains(s));
            Rejection::new(status.unwrap_or(403), message.clone())
        }
        HookDenied::Disconnect { code, reason } => {
            Rejection::new(403, format!("disconnected by the backend ({code}): {reason}"))
        }
        HookDenied::Unavailable(_) => Rejection::new(503, "authentication backend unavailable"),
    }
}

impl Authenticator for ConnectHook {
    type Identity = HookIdentity;

    async fn authenticate(&self, request: &Request) -> Result<HookIdentity, Rejection> {
        self.connect(request).await.map_err(|denied| handshake_rejection(&denied))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::error::HookError;

    #[test]
    fn refusals_become_statuses() {
        let refused = |code| HookDenied::Refused { code, message: "m".into() };
        assert_eq!(handshake_rejection(&refused(401)).status(), 401, "a 4xx code is the status");
        assert_eq!(handshake_rejection(&refused(4401)).status(), 403);
        assert_eq!(handshake_rejection(&refused(1000)).status(), 403);
        assert_eq!(
            handshake_rejection(&refused(500)).status(),
            403,
            "a backend refuses with 4xx only"
        );
        assert_eq!(handshake_rejection(&refused(403)).message(), "m");
        let disconnect = HookDenied::Disconnect { code: 4501, reason: "revoked".into() };
        assert_eq!(handshake_rejection(&disconnect).status(), 403);
        assert!(handshake_rejection(&disconnect).message().contains("revoked"));
        let failed = HookDenied::Unavailable(HookError::StatusNotSuccess(500));
        assert_eq!(handshake_rejection(&failed).status(), 503);
    }
}
