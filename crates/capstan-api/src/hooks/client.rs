//! The HTTP client every hook calls the backend with: HTTP/1.1 POSTs of
//! JSON over hyper-util's pooled client (connections kept alive between
//! calls), each call bounded by its hook's timeout and answer limit.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::answer::Answer;
use super::config::HookConfig;
use super::error::HookError;

/// How long an unused kept-alive connection to a backend stays open.
const IDLE: Duration = Duration::from_secs(60);

/// A pool of connections to backends, cheap to clone: hooks made with
/// one share its kept-alive connections.
#[derive(Clone, Debug)]
pub struct HookClient {
    http: Client<HttpConnector, Full<Bytes>>,
}

impl HookClient {
    /// A new pool (needs a tokio runtime when used, not when made).
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(IDLE)
            .build(connector);
        Self { http }
    }

    /// POSTs `request` as JSON to the hook's URL with `headers` (the
    /// forwarded ones), and reads the answer, all within the hook's timeout.
    pub(crate) async fn call<Q: Serialize, R: DeserializeOwned>(
        &self,
        config: &HookConfig,
        headers: &HeaderMap,
        request: &Q,
    ) -> Result<Answer<R>, HookError> {
        let body = serde_json::to_vec(request).expect("hook requests serialize");
        let exchange = self.exchange(config, headers, body);
        let answer = tokio::time::timeout(config.timeout(), exchange)
            .await
            .map_err(|_| HookError::TimedOut(config.timeout()))??;
        Answer::parse(&answer)
    }

    async fn exchange(
        &self,
        config: &HookConfig,
        headers: &HeaderMap,
        body: Vec<u8>,
    ) -> Result<Bytes, HookError> {
        let mut request = Request::new(Full::new(Bytes::from(body)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = config.url().clone();
        let outgoing = request.headers_mut();
        outgoing.clone_from(headers);
        outgoing.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let response = self.http.request(request).await.map_err(|e| {
            if e.is_connect() {
                HookError::Unreachable(source_chain(&e))
            } else {
                HookError::NoAnswer(source_chain(&e))
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            return Err(HookError::StatusNotSuccess(status.as_u16()));
        }
        let limit = config.max_answer_bytes();
        let collected = Limited::new(response.into_body(), limit).collect().await;
        collected.map(|body| body.to_bytes()).map_err(|e| {
            if e.is::<LengthLimitError>() {
                HookError::AnswerTooLarge(limit)
            } else {
                HookError::NoAnswer(e.to_string())
            }
        })
    }
}

impl Default for HookClient {
    fn default() -> Self {
        Self::new()
    }
}

/// An error and its causes on one line (hyper's own message is terse).
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}
