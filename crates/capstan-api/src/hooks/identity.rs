//! Who the connect hook's backend says a connection is: the identity an
//! application reads with `Conn::identity::<HookIdentity>()`.

use http::HeaderMap;
use serde_json::value::RawValue;

/// A connection's identity as the backend gave it, with what later hooks
/// send the backend again (the client id, the forwarded headers).
#[derive(Debug, Clone)]
pub struct HookIdentity {
    /// The user's id; empty for an anonymous user.
    pub user: String,
    /// The id the connect hook gave this connection (a random UUID).
    pub client: String,
    /// The channels the backend allows this user, if it gave a list.
    pub channels: Option<Vec<String>>,
    /// The backend's info about the user (raw JSON, never re-parsed).
    pub info: Option<Box<RawValue>>,
    /// The upgrade request's forwarded headers, sent with the subscribe
    /// and publish hooks' requests too.
    pub headers: HeaderMap,
    /// Whether the backend answered; `false` when the backend failed and
    /// the policy was [`FailurePolicy::Allow`](super::FailurePolicy::Allow)
    /// (the identity is then anonymous and lists no channels).
    pub confirmed: bool,
}

/// What an identity's channel list says of one channel, without a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelGrant {
    /// The channel is on the list.
    Listed,
    /// There is a list, and the channel is not on it.
    NotListed,
    /// The backend gave no list: ask the subscribe hook.
    NoList,
}

impl HookIdentity {
    /// An identity the backend did not confirm: anonymous, no channels.
    pub fn unconfirmed(client: String, headers: HeaderMap) -> Self {
        Self { user: String::new(), client, channels: None, info: None, headers, confirmed: false }
    }

    /// Whether the user is anonymous (an empty user id).
    pub fn is_anonymous(&self) -> bool {
        self.user.is_empty()
    }

    /// Whether `channel` is on the list the connect hook gave.
    pub fn channel_grant(&self, channel: &str) -> ChannelGrant {
        match &self.channels {
            None => ChannelGrant::NoList,
            Some(list) if list.iter().any(|c| c == channel) => ChannelGrant::Listed,
            Some(_) => ChannelGrant::NotListed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_decides_only_when_there_is_one() {
        let mut identity = HookIdentity::unconfirmed("c".into(), HeaderMap::new());
        assert!(identity.is_anonymous());
        assert_eq!(identity.channel_grant("news"), ChannelGrant::NoList);
        identity.channels = Some(vec!["news".into()]);
        assert_eq!(identity.channel_grant("news"), ChannelGrant::Listed);
        assert_eq!(identity.channel_grant("new"), ChannelGrant::NotListed);
    }
}
