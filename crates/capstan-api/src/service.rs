//! The server API over HTTP: `POST {prefix}/{method}` in the shape of
//! Centrifugo's HTTP API, as an axum `Router` ([`ApiService::router`]) the
//! application merges into its own service, or mounts as capstan's
//! plain-HTTP service on the WebSocket's port
//! ([`ApiService::http_service`]).
//!
//! Each request goes through the checks in this order, the first that
//! fails answering (docs/API.md has the table): the API is on (a key is
//! configured; else 404), the HTTP method is POST (405), the key (401),
//! the key's rate (429), the method exists (404), the body's size (413),
//! the body is JSON (400); then the command runs and its answer is 200,
//! `{"result": …}` or `{"error": …}`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::batch::{self, Batch};
use crate::config::{ApiConfig, ConfigError};
use crate::error::{ApiError, ErrorCode};
use crate::handle::Api;
use crate::key::ApiKeys;
use crate::observer::{OK, Observer, UNKNOWN_METHOD};
use crate::rate::KeyRates;
use crate::reply::Reply;

/// The HTTP API of an [`Api`], configured: build it, then take its
/// [`router`](ApiService::router), its
/// [`http_service`](ApiService::http_service), or
/// [`bind`](ApiService::bind) it to a port of its own.
#[derive(Clone)]
pub struct ApiService {
    api: Api,
    config: ApiConfig,
    observer: Option<Observer>,
}

impl std::fmt::Debug for ApiService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiService")
            .field("config", &self.config)
            .field("observer", &self.observer.is_some())
            .finish_non_exhaustive()
    }
}

impl ApiService {
    /// The HTTP API of `api` under `config`, if the config keeps its rules.
    /// With no key configured the API is off: its routes answer 404.
    pub fn new(api: Api, config: ApiConfig) -> Result<Self, ConfigError> {
        config.check()?;
        if !config.is_on() {
            tracing::warn!("the server API is off: no API key configured");
        }
        Ok(Self { api, config, observer: None })
    }

    /// Calls `observer` once per request answered (see [`Observer`]).
    pub fn observer(
        mut self,
        observer: impl Fn(&str, &str, Duration) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The routes, `POST {prefix}/{method}`, as an axum `Router` to merge
    /// into the application's own (`app.merge(api.router())`).
    pub fn router(self) -> axum::Router {
        let path = format!("{}/{{method}}", self.config.path_prefix);
        let shared = Arc::new(Shared::new(self));
        axum::Router::new().route(&path, axum::routing::any(handle)).with_state(shared)
    }

    /// The routes as capstan's plain-HTTP service, for the WebSocket's own
    /// port: `HttpServer::new(ws).with_service(api.http_service())`. Other
    /// paths answer 404.
    pub fn http_service(self) -> capstan::HttpService {
        capstan::HttpService::from_tower(self.router())
    }
}

/// What every request of one service shares.
struct Shared {
    api: Api,
    config: ApiConfig,
    keys: ApiKeys,
    rates: Option<KeyRates>,
    observer: Option<Observer>,
}

impl Shared {
    fn new(service: ApiService) -> Self {
        let ApiService { api, config, observer } = service;
        let keys = ApiKeys::new(&config.keys);
        let rates = config.rate_limit.map(|l| KeyRates::new(l, config.keys.len(), Instant::now()));
        Self { api, config, keys, rates, observer }
    }
}

/// How a request was answered: the method reported, the outcome, the
/// response.
struct Answered {
    method: &'static str,
    outcome: &'static str,
    response: http::Response<Body>,
}

impl Answered {
    /// A refusal before the command ran: `status` and the error as
    /// `{"error": …}`.
    fn refused(method: &'static str, status: StatusCode, error: ApiError) -> Self {
        let outcome = error.code.name();
        Self { method, outcome, response: json(status, &Reply::<()>::Error(error)) }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> http::Response<Body> {
    let started = Instant::now();
    let Answered { method, outcome, response } = answer(&shared, request).await;
    if let Some(observer) = &shared.observer {
        observer(method, outcome, started.elapsed());
    }
    response
}

async fn answer(shared: &Shared, request: Request) -> Answered {
    let name = request.uri().path().rsplit('/').next().unwrap_or_default();
    let method = known_method(name);
    if !shared.config.is_on() {
        let off = ApiError::with_message(
            ErrorCode::NotAvailable,
            "the server API is off: no API key is configured",
        );
        return Answered::refused(method, StatusCode::NOT_FOUND, off);
    }
    if request.method() != Method::POST {
        let why = format!("HTTP method {}: the API takes POST only", request.method());
        let mut answered =
            Answered::refused(method, StatusCode::METHOD_NOT_ALLOWED, ApiError::bad_request(why));
        answered.response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return answered;
    }
    let key = match shared.keys.check(request.headers()) {
        Ok(key) => key,
        Err(refusal) => {
            let error = ApiError::with_message(ErrorCode::Unauthorized, refusal.text());
            let mut answered = Answered::refused(method, StatusCode::UNAUTHORIZED, error);
            let challenge = HeaderValue::from_static("apikey");
            answered.response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
            return answered;
        }
    };
    if let Some(refused) = take_tokens(shared, key, 1, method) {
        return refused;
    }
    if method == UNKNOWN_METHOD {
        let error = ApiError::with_message(
            ErrorCode::MethodNotFound,
            format!("method not found: {name:?}"),
        );
        return Answered::refused(method, StatusCode::NOT_FOUND, error);
    }
    let body = match read_body(request, shared.config.max_body_bytes).await {
        Ok(body) => body,
        Err((status, error)) => return Answered::refused(method, status, error),
    };
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &body };
    let fields: Box<RawValue> = match serde_json::from_slice(body) {
        Ok(fields) => fields,
        Err(e) => {
            let error = ApiError::bad_request(format!("body: not JSON: {e}"));
            return Answered::refused(method, StatusCode::BAD_REQUEST, error);
        }
    };
    if method == "batch" {
        return run_batch(shared, key, &fields).await;
    }
    let result = match batch::call(method, &fields) {
        Ok(command) => shared.api.run(command).await,
        Err(error) => Err(error),
    };
    let outcome = result.as_ref().map_or_else(|e| e.code.name(), |_| OK);
    Answered { method, outcome, response: json(StatusCode::OK, &Reply::from(result)) }
}

/// The batch: its shape (400), its size (413), a token per command (429),
/// then `{"replies": […]}`.
async fn run_batch(shared: &Shared, key: usize, fields: &RawValue) -> Answered {
    let method = "batch";
    let batch: Batch = match serde_json::from_str(fields.get()) {
        Ok(batch) => batch,
        Err(e) => {
            let error = ApiError::bad_request(format!("batch: {e}"));
            return Answered::refused(method, StatusCode::BAD_REQUEST, error);
        }
    };
    let count = batch.commands.len();
    let max = shared.config.max_batch_commands;
    if count > max {
        let error = ApiError::with_message(
            ErrorCode::LimitExceeded,
            format!("batch: {count} commands, at most {max}"),
        );
        return Answered::refused(method, StatusCode::PAYLOAD_TOO_LARGE, error);
    }
    // The request took one token already.
    let more = u32::try_from(count.saturating_sub(1)).unwrap_or(u32::MAX);
    if more > 0
        && let Some(refused) = take_tokens(shared, key, more, method)
    {
        return refused;
    }
    let reply = batch::run(&shared.api, batch).await;
    Answered { method, outcome: OK, response: json(StatusCode::OK, &reply) }
}

/// Takes `count` of key `key`'s tokens; if it cannot, the answer: 429 with
/// `Retry-After`.
fn take_tokens(shared: &Shared, key: usize, count: u32, method: &'static str) -> Option<Answered> {
    let rates = shared.rates.as_ref()?;
    let wait = rates.take(key, count, Instant::now()).err()?;
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let error = ApiError::with_message(
        ErrorCode::TooManyRequests,
        format!("too many requests for this key: retry in {seconds} s"),
    );
    let mut answered = Answered::refused(method, StatusCode::TOO_MANY_REQUESTS, error);
    answered.response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    Some(answered)
}

/// The body, at most `limit` bytes: a longer one is 413 (announced by its
/// Content-Length or found while reading), one that cannot be read 400.
async fn read_body(request: Request, limit: usize) -> Result<Bytes, (StatusCode, ApiError)> {
    let too_large = || {
        let error = ApiError::with_message(
            ErrorCode::LimitExceeded,
            format!("body: larger than {limit} bytes"),
        );
        (StatusCode::PAYLOAD_TOO_LARGE, error)
    };
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(request.into_body(), limit).await.map_err(|error| {
        if is_length_limit(&error) {
            too_large()
        } else {
            (StatusCode::BAD_REQUEST, ApiError::bad_request(format!("body: {error}")))
        }
    })
}

/// Whether the body read failed on its length limit.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// The method `name` stands for, as a static name; `"unknown"` if none.
fn known_method(name: &str) -> &'static str {
    if name == "batch" {
        return "batch";
    }
    batch::METHODS.iter().find(|m| **m == name).copied().unwrap_or(UNKNOWN_METHOD)
}

/// `value` as a JSON response with `status`.
fn json(status: StatusCode, value: &impl Serialize) -> http::Response<Body> {
    let (status, bytes) = match serde_json::to_vec(value) {
        Ok(bytes) => (status, bytes),
        Err(error) => {
            tracing::error!(%error, "an API reply could not be serialized");
            let bytes = br#"{"error":{"code":100,"message":"internal server error"}}"#.to_vec();
            (StatusCode::INTERNAL_SERVER_ERROR, bytes)
        }
    };
    let mut response = http::Response::new(Body::from(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Vec<u8>, announced: Option<usize>) -> Request {
        let mut builder = http::Request::post("/api/publish");
        if let Some(length) = announced {
            builder = builder.header(header::CONTENT_LENGTH, length);
        }
        builder.body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_413_announced_or_not() {
        let (status, error) = read_body(request(vec![b' '; 10], Some(10)), 8).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::LimitExceeded));
        // No Content-Length (a chunked body): found while reading.
        let (status, error) = read_body(request(vec![b' '; 10], None), 8).await.unwrap_err();
        assert_eq!((status, error.code), (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::LimitExceeded));
        assert_eq!(read_body(request(vec![b' '; 8], None), 8).await.unwrap().len(), 8);
    }
}
