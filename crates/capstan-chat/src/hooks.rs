//! The application's backend deciding, over HTTP, who joins and what is
//! said (`--connect-hook`, `--subscribe-hook`, `--publish-hook`): the
//! chat's side of capstan-api's hooks. The connect hook names the user at
//! the handshake (the name `add_user` then takes); the subscribe hook is
//! asked before a public room is joined (unless the connect hook listed
//! the user's rooms: then the list decides); the publish hook before a
//! message is stored, and may change its text. docs/HOOKS.md has the JSON.

use capstan::{CloseCode, Conn};
use capstan_api::hooks::{ChannelGrant, HookDenied, HookIdentity, PublishHook, SubscribeHook};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::errors::{ErrorCode, Refusal};

/// The subscribe and publish hooks the chat asks, if configured.
#[derive(Debug, Clone, Default)]
pub struct ChatHooks {
    /// Asked before a public room is joined.
    pub subscribe: Option<SubscribeHook>,
    /// Asked before a message is stored.
    pub publish: Option<PublishHook>,
}

/// A publication as the publish hook sees it, and a replacement it gives.
#[derive(Debug, Deserialize)]
struct Text {
    text: String,
}

impl ChatHooks {
    /// Whether `conn` may join the public `room`: the connect hook's list
    /// of rooms when it gave one, else the subscribe hook, else yes. A
    /// backend's `disconnect` closes the connection.
    pub async fn may_join(&self, conn: &Conn, room: &str) -> Result<(), Refusal> {
        let Some(identity) = conn.identity::<HookIdentity>() else {
            return match &self.subscribe {
                // Without a connect hook there is no identity to send.
                Some(_) => Err(Refusal::new(
                    ErrorCode::Denied,
                    "the subscribe hook needs the connect hook (--connect-hook)",
                )),
                None => Ok(()),
            };
        };
        match identity.channel_grant(room) {
            ChannelGrant::Listed => Ok(()),
            ChannelGrant::NotListed => {
                Err(Refusal::new(ErrorCode::Denied, format!("{room} is not one of your rooms")))
            }
            ChannelGrant::NoList => match &self.subscribe {
                None => Ok(()),
                Some(hook) => hook
                    .check(identity, room, None)
                    .await
                    .map(|_| ())
                    .map_err(|denied| refusal(conn, denied)),
            },
        }
    }

    /// The text to store for `conn`'s message `content` in `room`: as
    /// written, or as the publish hook replaced it (`{"text": …}`).
    pub async fn text(&self, conn: &Conn, room: &str, content: String) -> Result<String, Refusal> {
        let Some(hook) = &self.publish else { return Ok(content) };
        let Some(identity) = conn.identity::<HookIdentity>() else {
            return Err(Refusal::new(
                ErrorCode::Denied,
                "the publish hook needs the connect hook (--connect-hook)",
            ));
        };
        let data = serde_json::json!({ "text": content }).to_string();
        let data = RawValue::from_string(data).expect("JSON from serde_json");
        match hook.check(identity, room, &data).await {
            Ok(None) => Ok(content),
            Ok(Some(replaced)) => match serde_json::from_str::<Text>(replaced.get()) {
                Ok(Text { text }) => Ok(text),
                Err(_) => {
                    tracing::warn!(
                        data = replaced.get(),
                        "a publish hook's data is not {{\"text\"}}"
                    );
                    Err(Refusal::new(
                        ErrorCode::BackendUnavailable,
                        "the backend answered with data the chat cannot show",
                    ))
                }
            },
            Err(denied) => Err(refusal(conn, denied)),
        }
    }
}

/// The user the connect hook named, if it did.
pub fn hook_user(conn: &Conn) -> Option<String> {
    conn.identity::<HookIdentity>()
        .filter(|identity| !identity.is_anonymous())
        .map(|i| i.user.clone())
}

/// The chat's answer to a hook's refusal; a `disconnect` closes the
/// connection too.
fn refusal(conn: &Conn, denied: HookDenied) -> Refusal {
    match &denied {
        HookDenied::Disconnect { .. } => {
            conn.close(CloseCode(denied.close_code()), denied.message());
            Refusal::new(ErrorCode::Denied, denied.message())
        }
        HookDenied::Refused { .. } => Refusal::new(ErrorCode::Denied, denied.message()),
        HookDenied::Unavailable(error) => {
            tracing::warn!(%error, "a backend hook failed");
            Refusal::new(
                ErrorCode::BackendUnavailable,
                "the application's backend could not be asked: try again",
            )
        }
    }
}
