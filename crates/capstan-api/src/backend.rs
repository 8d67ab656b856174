//! The seam an application implements: what each API operation means for
//! its channels. The HTTP service and the [`Api`](crate::Api) handle
//! check the request's shape first; the application answers with a
//! result or an [`ApiError`] naming the rule it enforces.

use std::future::Future;
use std::pin::Pin;

use crate::command::{
    Channels, Disconnect, History, Info, Presence, PresenceStats, Publish, Unsubscribe,
};
use crate::error::ApiError;
use crate::reply::{
    ChannelsReply, Empty, HistoryReply, InfoReply, PresenceReply, PresenceStatsReply, PublishReply,
};

/// A boxed future, as the seam's methods return.
pub type ApiFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ApiError>> + Send + 'a>>;

/// The server API of one application.
pub trait ServerApi: Send + Sync + 'static {
    /// Publishes to one channel (its shape already checked: a channel
    /// named, JSON data). Answers once the publication is kept where the
    /// application's guarantee says (or, with `skip_history`, handed to
    /// delivery). A publish whose `idempotency_key` this channel already
    /// saw (within the application's window) is not made again; it gets
    /// the first one's reply.
    fn publish(&self, publish: Publish) -> ApiFuture<'_, PublishReply>;

    /// The connections on a channel.
    fn presence(&self, request: Presence) -> ApiFuture<'_, PresenceReply>;

    /// How many connections and users are on a channel.
    fn presence_stats(&self, request: PresenceStats) -> ApiFuture<'_, PresenceStatsReply>;

    /// A page of a channel's history.
    fn history(&self, request: History) -> ApiFuture<'_, HistoryReply>;

    /// The active channels (those with a subscriber), filtered by the
    /// request's pattern where the caller gives one (the handle applies
    /// it to what this returns).
    fn channels(&self, request: Channels) -> ApiFuture<'_, ChannelsReply>;

    /// Closes a user's connections (on every node).
    fn disconnect(&self, request: Disconnect) -> ApiFuture<'_, Empty>;

    /// Takes a user out of a channel (on every node).
    fn unsubscribe(&self, request: Unsubscribe) -> ApiFuture<'_, Empty>;

    /// The nodes of the deployment.
    fn info(&self, request: Info) -> ApiFuture<'_, InfoReply>;
}
