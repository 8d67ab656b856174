//! [`Api`]: the server API as methods on a handle, for Rust code in the
//! same process. The HTTP service is a thin layer over it.

use std::sync::Arc;

use crate::backend::ServerApi;
use crate::command::{
    self, Broadcast, Channels, Command, Disconnect, History, Info, Presence, PresenceStats,
    Publish, Unsubscribe,
};
use crate::error::ApiError;
use crate::reply::{
    BroadcastReply, ChannelsReply, Empty, HistoryReply, InfoReply, PresenceReply,
    PresenceStatsReply, PublishReply, Reply,
};

/// A handle to an application's server API; cheap to clone.
#[derive(Clone)]
pub struct Api {
    backend: Arc<dyn ServerApi>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl Api {
    /// The API of `backend`.
    pub fn new(backend: impl ServerApi) -> Self {
        Self { backend: Arc::new(backend) }
    }

    /// The API of a shared `backend`.
    pub fn from_arc(backend: Arc<dyn ServerApi>) -> Self {
        Self { backend }
    }

    /// Publishes `data` to one channel.
    pub async fn publish(&self, publish: Publish) -> Result<PublishReply, ApiError> {
        command::check_publish(&publish)?;
        self.backend.publish(publish).await
    }

    /// Publishes the same data to each channel, one after the other; each
    /// channel's answer is in the reply, in order.
    pub async fn broadcast(&self, broadcast: Broadcast) -> Result<BroadcastReply, ApiError> {
        if broadcast.channels.is_empty() {
            return Err(ApiError::bad_request("channels: required, and not empty"));
        }
        let mut responses = Vec::with_capacity(broadcast.channels.len());
        for channel in &broadcast.channels {
            responses.push(Reply::from(self.publish(broadcast.to(channel)).await));
        }
        Ok(BroadcastReply { responses })
    }

    /// The connections on a channel.
    pub async fn presence(&self, request: Presence) -> Result<PresenceReply, ApiError> {
        command::check_channel(&request.channel)?;
        self.backend.presence(request).await
    }

    /// How many connections and users are on a channel.
    pub async fn presence_stats(
        &self,
        request: PresenceStats,
    ) -> Result<PresenceStatsReply, ApiError> {
        command::check_channel(&request.channel)?;
        self.backend.presence_stats(request).await
    }

    /// A page of a channel's history.
    pub async fn history(&self, request: History) -> Result<HistoryReply, ApiError> {
        command::check_channel(&request.channel)?;
        if let Some(limit) = request.limit
            && limit < -1
        {
            return Err(ApiError::bad_request("limit: -1 (all), 0 (none) or a positive count"));
        }
        self.backend.history(request).await
    }

    /// The active channels whose name matches the request's pattern.
    pub async fn channels(&self, request: Channels) -> Result<ChannelsReply, ApiError> {
        let pattern = request.pattern.clone().filter(|p| !p.is_empty());
        let mut reply = self.backend.channels(request).await?;
        if let Some(pattern) = pattern {
            reply.channels.retain(|name, _| glob_matches(&pattern, name));
        }
        Ok(reply)
    }

    /// Closes a user's connections.
    pub async fn disconnect(&self, request: Disconnect) -> Result<Empty, ApiError> {
        command::check_disconnect(&request)?;
        self.backend.disconnect(request).await
    }

    /// Takes a user out of a channel.
    pub async fn unsubscribe(&self, request: Unsubscribe) -> Result<Empty, ApiError> {
        if request.user.is_empty() {
            return Err(ApiError::bad_request("user: required, and not empty"));
        }
        command::check_channel(&request.channel)?;
        self.backend.unsubscribe(request).await
    }

    /// The nodes of the deployment.
    pub async fn info(&self, request: Info) -> Result<InfoReply, ApiError> {
        self.backend.info(request).await
    }

    /// Carries out one command and gives its answer as JSON: the result's
    /// value, or an error object — what a batch reply holds per command.
    pub async fn run(&self, command: Command) -> Result<serde_json::Value, ApiError> {
        fn json<T: serde::Serialize>(value: T) -> Result<serde_json::Value, ApiError> {
            serde_json::to_value(value).map_err(|_| ApiError::internal())
        }
        match command {
            Command::Publish(c) => json(self.publish(c).await?),
            Command::Broadcast(c) => json(self.broadcast(c).await?),
            Command::Presence(c) => json(self.presence(c).await?),
            Command::PresenceStats(c) => json(self.presence_stats(c).await?),
            Command::History(c) => json(self.history(c).await?),
            Command::Channels(c) => json(self.channels(c).await?),
            Command::Disconnect(c) => json(self.disconnect(c).await?),
            Command::Unsubscribe(c) => json(self.unsubscribe(c).await?),
            Command::Info(c) => json(self.info(c).await?),
        }
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters and `?` for one.
pub(crate) fn glob_matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // The classic two-pointer match with backtracking to the last star.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == name[n]) {
            p += 1;
            n += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, n));
            p += 1;
        } else if let Some((star_p, star_n)) = star {
            p = star_p + 1;
            n = star_n + 1;
            star = Some((star_p, star_n + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs_match_stars_and_single_characters() {
        assert!(glob_matches("news*", "news"));
        assert!(glob_matches("news*", "news:sport"));
        assert!(glob_matches("*:sport", "news:sport"));
        assert!(glob_matches("r?om", "room"));
        assert!(glob_matches("*o*o*", "room"));
        assert!(!glob_matches("news", "news:sport"));
        assert!(!glob_matches("r?om", "rooom"));
        assert!(!glob_matches("*x", "room"));
    }
}
