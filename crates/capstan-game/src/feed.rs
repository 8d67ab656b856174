//! Every game's public events — what a spectator receives — also published
//! on WAMP, so that any WAMP client can watch a game: the topic
//! `tikztakz.game.<game_id>`, each event's kwargs the game message itself
//! (`type`, `message`, `data`). The realm lets anonymous clients subscribe
//! under `tikztakz.` and nothing else; only the server publishes.

use capstan_wamp::auth::{Action, Authenticator, Authorizer, Permission, Role};
use capstan_wamp::config::RealmConfig;
use capstan_wamp::pattern::MatchPolicy;
use capstan_wamp::{Dict, LocalSession, Payload, Router, Value, WampError, WampServer};
use tokio::sync::mpsc;

/// The topics' common prefix.
pub const TOPIC_PREFIX: &str = "tikztakz.game.";

/// The topic of game `game_id`.
pub fn topic(game_id: &str) -> String {
    format!("{TOPIC_PREFIX}{game_id}")
}

/// The WAMP router of the game's realm: anonymous subscribers only.
pub fn router(realm: &str) -> Result<Router, WampError> {
    let watch = Permission::new("tikztakz.", MatchPolicy::Prefix)
        .map_err(|e| WampError {
            uri: "wamp.error.invalid_argument".into(),
            payload: Payload::args(vec![e.to_string().into()]),
        })?
        .allow(Action::Subscribe);
    let config = RealmConfig {
        name: realm.to_owned(),
        authenticator: Authenticator::open(realm, "anonymous"),
        authorizer: Authorizer::new([Role::new("anonymous", [watch])]),
    };
    Ok(Router::from_configs([config]))
}

/// Publishes game messages in the order given, from one task.
#[derive(Clone)]
pub struct WampFeed {
    queue: mpsc::UnboundedSender<(String, String)>,
}

impl WampFeed {
    /// Joins `realm` of `wamp` as the publisher (a trusted local session).
    /// Needs a Tokio runtime.
    pub fn start(wamp: &WampServer, realm: &str) -> Result<WampFeed, WampError> {
        let session = LocalSession::join(wamp, realm)?;
        let (queue, mut messages) = mpsc::unbounded_channel::<(String, String)>();
        tokio::spawn(async move {
            while let Some((game_id, message)) = messages.recv().await {
                let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(&message) else {
                    continue;
                };
                let kwargs: Dict = fields.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
                let payload = Payload { args: None, kwargs: Some(kwargs) };
                if let Err(error) = session.publish(&topic(&game_id), Dict::new(), payload).await {
                    tracing::warn!(%error, "a game event was not published on WAMP");
                }
            }
        });
        Ok(WampFeed { queue })
    }

    /// Queues `message` (a game message's JSON) for game `game_id`'s topic.
    pub fn publish(&self, game_id: &str, message: &str) {
        // The task ends only with the runtime.
        let _ = self.queue.send((game_id.to_owned(), message.to_owned()));
    }
}
