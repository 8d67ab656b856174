//! `history` on a capstan [`History`]: a page of what a channel keeps, read
//! forward or backward, from its start or from a position (which must be
//! of the current epoch and, forward, still wholly kept: else 112).

use capstan::pubsub::{History, PageRange, Position, Recovery, Stored};
use serde_json::value::RawValue;

use crate::command::{self, StreamPosition};
use crate::error::{ApiError, ErrorCode};
use crate::reply::{HistoryReply, Publication};

/// The page `request` asks of `channel` in `history`.
pub(super) async fn page(
    history: &dyn History,
    request: command::History,
) -> Result<HistoryReply, ApiError> {
    let channel = request.channel.as_str();
    let latest = history.latest(channel).await.map_err(unavailable)?;
    if let Some(since) = &request.since
        && since.epoch != latest.epoch
    {
        return Err(unrecoverable(since, &latest));
    }
    let limit = match request.limit {
        None | Some(0) => 0,
        Some(n) if n < 0 => usize::MAX,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let stored = if limit == 0 {
        Vec::new()
    } else {
        match (&request.since, request.reverse) {
            (Some(since), false) => {
                let from = Position::new(since.offset, since.epoch.clone());
                match history.since(channel, from).await.map_err(unavailable)? {
                    Recovery::Recovered(all) => all.into_iter().take(limit).collect(),
                    Recovery::NotRecovered { latest } => return Err(unrecoverable(since, &latest)),
                }
            }
            (Some(since), true) => {
                let range = PageRange::Before(since.offset);
                newest_first(history.page(channel, range, limit).await.map_err(unavailable)?)
            }
            (None, false) => {
                history.page(channel, PageRange::After(0), limit).await.map_err(unavailable)?
            }
            (None, true) => newest_first(
                history.page(channel, PageRange::Latest, limit).await.map_err(unavailable)?,
            ),
        }
    };
    Ok(HistoryReply {
        publications: stored.into_iter().map(publication).collect(),
        offset: latest.offset,
        epoch: latest.epoch,
    })
}

fn newest_first(mut page: Vec<Stored>) -> Vec<Stored> {
    page.reverse();
    page
}

/// A kept message as a publication: its text as the JSON it was
/// published as, or (a message published otherwise than through the API)
/// as a JSON string.
fn publication(stored: Stored) -> Publication {
    let text = String::from_utf8_lossy(stored.message.as_bytes()).into_owned();
    let data = match RawValue::from_string(text) {
        Ok(raw) => raw,
        Err(_) => {
            let quoted = serde_json::to_string(&String::from_utf8_lossy(stored.message.as_bytes()))
                .unwrap_or_else(|_| "null".to_owned());
            RawValue::from_string(quoted).unwrap_or_else(|_| null())
        }
    };
    Publication { data, offset: stored.position.offset, tags: None }
}

fn null() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).expect("null is JSON")
}

fn unrecoverable(since: &StreamPosition, latest: &Position) -> ApiError {
    ApiError::with_message(
        ErrorCode::UnrecoverablePosition,
        format!(
            "since {}@{}: not in history (the stream is at {latest})",
            since.offset, since.epoch
        ),
    )
}

fn unavailable(error: capstan::pubsub::HistoryError) -> ApiError {
    tracing::warn!(%error, "history unavailable");
    ApiError::internal()
}
