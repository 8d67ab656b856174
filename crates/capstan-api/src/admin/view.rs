//! What the page shows of the deployment besides traffic, read through
//! the server API: the busiest topics and the nodes.

use serde::Serialize;

use crate::command::{Channels, Info};
use crate::error::ApiError;
use crate::handle::Api;
use crate::reply::{ChannelsReply, NodeInfo};

/// One row of the top-topics table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TopicRow {
    /// The topic's (channel's) name.
    pub(crate) name: String,
    /// Its subscribers.
    pub(crate) subscribers: u64,
}

/// The busiest topics and how many there are in all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct TopTopics {
    /// At most the configured number, most subscribers first (ties by name).
    pub(crate) rows: Vec<TopicRow>,
    /// Every active topic, counted.
    pub(crate) total: usize,
}

impl TopTopics {
    /// The `top` busiest of `reply`'s channels.
    pub(crate) fn from_reply(reply: ChannelsReply, top: usize) -> Self {
        let total = reply.channels.len();
        let mut rows: Vec<TopicRow> = reply
            .channels
            .into_iter()
            .map(|(name, info)| TopicRow { name, subscribers: info.num_clients })
            .collect();
        // The map is ordered by name, and the sort is stable: ties stay so.
        rows.sort_by_key(|row| std::cmp::Reverse(row.subscribers));
        rows.truncate(top);
        Self { rows, total }
    }

    /// Reads them through `api`.
    pub(crate) async fn read(api: &Api, top: usize) -> Result<Self, ApiError> {
        Ok(Self::from_reply(api.channels(Channels::default()).await?, top))
    }
}

/// The nodes of the deployment, through `api`.
pub(crate) async fn read_nodes(api: &Api) -> Result<Vec<NodeInfo>, ApiError> {
    Ok(api.info(Info::default()).await?.nodes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::ChannelInfo;

    #[test]
    fn the_busiest_first_ties_by_name() {
        let mut reply = ChannelsReply::default();
        for (name, n) in [("b", 2), ("a", 2), ("c", 9), ("d", 1)] {
            reply.channels.insert(name.into(), ChannelInfo { num_clients: n });
        }
        let top = TopTopics::from_reply(reply, 3);
        let rows: Vec<_> = top.rows.iter().map(|r| (r.name.as_str(), r.subscribers)).collect();
        assert_eq!(rows, [("c", 9), ("a", 2), ("b", 2)]);
        assert_eq!(top.total, 4);
    }
}
