//! `batch`: several commands in one request, as Centrifugo takes them
//! (`{"commands": [{"publish": {…}}, …], "parallel": false}`) and answers
//! them (`{"replies": [{"publish": {…}}, {"error": {…}}, …]}`, one per
//! command, in order; no `result` wrapper).
//!
//! Each command is read on its own: one that is malformed or names an
//! unknown method gets its error reply, and the others still run.

use serde::Deserialize;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::command::Command;
use crate::error::{ApiError, ErrorCode};
use crate::handle::Api;

/// A batch as received: the commands still raw, each read when it runs.
#[derive(Debug, Deserialize)]
pub(crate) struct Batch {
    /// The commands, one object each.
    pub(crate) commands: Vec<Box<RawValue>>,
    /// Run them concurrently instead of one after the other.
    #[serde(default)]
    pub(crate) parallel: bool,
}

/// The answer to a batch.
#[derive(Debug, Serialize)]
pub(crate) struct BatchReply {
    /// One per command, in order: `{"<method>": result}` or `{"error": …}`.
    pub(crate) replies: Vec<Value>,
}

/// The methods a command may name (a batch cannot hold a batch).
pub(crate) const METHODS: [&str; 9] = [
    "publish",
    "broadcast",
    "presence",
    "presence_stats",
    "history",
    "channels",
    "disconnect",
    "unsubscribe",
    "info",
];

/// Reads one command: `{"<method>": {fields}}`.
pub(crate) fn command(raw: &RawValue) -> Result<Command, ApiError> {
    let object: Map<String, Value> = serde_json::from_str(raw.get())
        .map_err(|_| ApiError::bad_request("a command is an object: {\"<method>\": {…}}"))?;
    let mut entries = object.iter();
    let (Some((method, _)), None) = (entries.next(), entries.next()) else {
        return Err(ApiError::bad_request("a command names exactly one method"));
    };
    if !METHODS.contains(&method.as_str()) {
        return Err(ApiError::with_message(
            ErrorCode::MethodNotFound,
            format!("method not found: {method:?}"),
        ));
    }
    serde_json::from_str(raw.get()).map_err(|e| shape_error(method, &e))
}

/// Reads the fields of a call to `method` (the body of `POST
/// /api/{method}`, JSON already) as a command.
pub(crate) fn call(method: &str, fields: &RawValue) -> Result<Command, ApiError> {
    let wrapped = format!("{{\"{method}\":{}}}", fields.get());
    serde_json::from_str(&wrapped).map_err(|e| shape_error(method, &e))
}

/// A command whose fields are wrong, saying which (without serde's line
/// and column: they count in text the caller did not send).
fn shape_error(method: &str, error: &serde_json::Error) -> ApiError {
    let text = error.to_string();
    let what = text.split(" at line ").next().unwrap_or(&text);
    ApiError::bad_request(format!("{method}: {what}"))
}

/// Runs the batch's commands (in order, or concurrently when it asks) and
/// gives each its reply.
pub(crate) async fn run(api: &Api, batch: Batch) -> BatchReply {
    let commands: Vec<_> = batch.commands.iter().map(|raw| command(raw)).collect();
    let replies = if batch.parallel {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, command) in commands.into_iter().enumerate() {
            let api = api.clone();
            tasks.spawn(async move { (index, answer(&api, command).await) });
        }
        let mut replies = vec![Value::Null; tasks.len()];
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, reply)) => replies[index] = reply,
                Err(error) => tracing::warn!(%error, "a batch command's task failed"),
            }
        }
        // A task that panicked leaves its place: answered as an internal error.
        for reply in replies.iter_mut().filter(|r| r.is_null()) {
            *reply = error_reply(ApiError::internal());
        }
        replies
    } else {
        let mut replies = Vec::with_capacity(commands.len());
        for command in commands {
            replies.push(answer(api, command).await);
        }
        replies
    };
    BatchReply { replies }
}

/// One command's reply: `{"<method>": result}` or `{"error": …}`.
async fn answer(api: &Api, command: Result<Command, ApiError>) -> Value {
    let command = match command {
        Ok(command) => command,
        Err(error) => return error_reply(error),
    };
    let method = command.method();
    match api.run(command).await {
        Ok(result) => {
            let mut reply = Map::new();
            reply.insert(method.to_owned(), result);
            Value::Object(reply)
        }
        Err(error) => error_reply(error),
    }
}

fn error_reply(error: ApiError) -> Value {
    serde_json::json!({ "error": error })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::Notify;

    use super::*;
    use crate::backend::{ApiFuture, ServerApi};
    use crate::command::{
        Channels, Disconnect, History, Info, Presence, PresenceStats, Publish, Unsubscribe,
    };
    use crate::reply::{
        ChannelsReply, Empty, HistoryReply, InfoReply, PresenceReply, PresenceStatsReply,
        PublishReply,
    };

    /// Publishes to "slow" wait until a publish to "fast" has been made:
    /// run concurrently, the first command ends last.
    #[derive(Default)]
    struct SlowFirst(Arc<Notify>);

    impl ServerApi for SlowFirst {
        fn publish(&self, publish: Publish) -> ApiFuture<'_, PublishReply> {
            Box::pin(async move {
                if publish.channel == "slow" {
                    self.0.notified().await;
                    return Ok(PublishReply { offset: 1, epoch: "slow".into() });
                }
                self.0.notify_one();
                Ok(PublishReply { offset: 2, epoch: "fast".into() })
            })
        }
        fn presence(&self, _: Presence) -> ApiFuture<'_, PresenceReply> {
            not_in_this_test()
        }
        fn presence_stats(&self, _: PresenceStats) -> ApiFuture<'_, PresenceStatsReply> {
            not_in_this_test()
        }
        fn history(&self, _: History) -> ApiFuture<'_, HistoryReply> {
            not_in_this_test()
        }
        fn channels(&self, _: Channels) -> ApiFuture<'_, ChannelsReply> {
            not_in_this_test()
        }
        fn disconnect(&self, _: Disconnect) -> ApiFuture<'_, Empty> {
            not_in_this_test()
        }
        fn unsubscribe(&self, _: Unsubscribe) -> ApiFuture<'_, Empty> {
            not_in_this_test()
        }
        fn info(&self, _: Info) -> ApiFuture<'_, InfoReply> {
            not_in_this_test()
        }
    }

    /// The answer of the operations this test's API does not have.
    fn not_in_this_test<T>() -> ApiFuture<'static, T> {
        Box::pin(async { Err(crate::error::ApiError::new(crate::error::ErrorCode::NotAvailable)) })
    }

    #[tokio::test]
    async fn a_parallel_batch_answers_in_the_order_of_its_commands() {
        let api = Api::new(SlowFirst::default());
        let batch: Batch = serde_json::from_str(
            r#"{"commands":[{"publish":{"channel":"slow","data":1}},
                            {"publish":{"channel":"fast","data":2}}],"parallel":true}"#,
        )
        .unwrap();
        let reply = run(&api, batch).await;
        let epochs: Vec<_> = reply.replies.iter().map(|r| r["publish"]["epoch"].clone()).collect();
        assert_eq!(epochs, ["slow", "fast"]);
    }

    #[test]
    fn a_command_names_one_known_method() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        let publish = command(&raw(r#"{"publish":{"channel":"a","data":1}}"#)).unwrap();
        assert_eq!(publish.method(), "publish");
        let unknown = command(&raw(r#"{"subscribe":{"channel":"a"}}"#)).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::MethodNotFound);
        let two = command(&raw(r#"{"info":{},"channels":{}}"#)).unwrap_err();
        assert_eq!(two.code, ErrorCode::BadRequest);
        let shapeless = command(&raw(r#"{"publish":{"data":1}}"#)).unwrap_err();
        assert_eq!(shapeless.code, ErrorCode::BadRequest);
        assert_eq!(shapeless.message, "publish: missing field `channel`");
        assert_eq!(command(&raw("[]")).unwrap_err().code, ErrorCode::BadRequest);
    }

    #[test]
    fn a_call_is_its_method_and_its_fields() {
        let raw = |s: &str| RawValue::from_string(s.to_owned()).unwrap();
        let info = call("info", &raw("{}")).unwrap();
        assert_eq!(info.method(), "info");
        let stats = call("presence_stats", &raw(r#"{"channel":"x"}"#)).unwrap();
        assert_eq!(stats.method(), "presence_stats");
        assert_eq!(call("presence", &raw("{}")).unwrap_err().code, ErrorCode::BadRequest);
        assert_eq!(call("info", &raw("\"x\"")).unwrap_err().code, ErrorCode::BadRequest);
    }
}
