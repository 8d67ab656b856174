//! The HTTP fallbacks of a session-mode route (docs/SESSIONS.md §8): where
//! a WebSocket cannot pass, a session runs over plain requests to the same
//! URL — a POST opens a transport and gets its token, a streaming GET
//! reads its events (Server-Sent Events, or the same bytes as a fetched
//! stream), POSTs carry numbered batches up, a POST closes. Each request
//! passes the route's edge layers as an upgrade would, and is served by
//! hyper on a connection of its own (`Connection: close`: the next request
//! on the socket may be for another route).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::attached::Attached;
use super::batch;
use super::core::RouteCore;
use super::downstream::{Downstream, Ending, EventBody};
use super::events;
use super::link::BatchRefusal;
use super::tokens::{HttpTransport, Tokens};
use crate::component::{CloseCause, CloseInfo, StatefulComponent};
use crate::conn::TransportKind;
use crate::http::component::{AnswerFuture, ServeFuture};
use crate::http::fallback::HttpService;
use crate::http::{Request, Upgrade};
use crate::resume::{ErrorCode, SessionError, SessionId, opening};
use crate::server::{ConnContext, ShutdownSignal, Transport};
use crate::ws::{CloseCode, Message};

/// Largest opening POST (a `hello` or `resume` control).
const MAX_OPENING_BYTES: usize = 4096;

/// The HTTP fallbacks' limits.
#[derive(Debug, Clone)]
pub struct FallbackConfig {
    /// Whether the route serves them (it does by default).
    pub enabled: bool,
    /// Largest POST body; beyond, 413 and nothing taken (1 MiB).
    pub max_post_bytes: usize,
    /// Largest data message in a POST (the WebSocket's message limit).
    pub max_message_bytes: usize,
    /// Bytes a downstream holds for a slow reader before it is ended as a
    /// slow consumer, to be resumed (by default 8 times what the session
    /// keeps: events are larger than payloads).
    pub max_downstream_bytes: usize,
    /// How long a transport token waits for its downstream's GET (10 s).
    pub open_timeout: Duration,
    /// How long a request's head may take (10 s).
    pub header_timeout: Duration,
}

impl Default for FallbackConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_post_bytes: 1 << 20,
            max_message_bytes: 64 << 20,
            max_downstream_bytes: 4 << 20,
            open_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
        }
    }
}

type Response = http::Response<UnsyncBoxBody<Bytes, Infallible>>;

/// A route's fallbacks.
pub(crate) struct Fallback<A: StatefulComponent> {
    core: Arc<RouteCore<A>>,
    tokens: Tokens<A::State>,
    config: FallbackConfig,
}

impl<A: StatefulComponent> Fallback<A> {
    pub(crate) fn new(core: Arc<RouteCore<A>>, config: FallbackConfig) -> Self {
        Self { core, tokens: Tokens::new(), config }
    }

    /// Whether `request` is one of the fallbacks' (and they are on).
    pub(crate) fn wants(&self, request: &Request) -> bool {
        self.config.enabled && request.is_session_fallback()
    }

    /// Takes the connection of `request` over.
    pub(crate) fn upgrade(self: &Arc<Self>) -> Box<dyn Upgrade> {
        Box::new(FallbackUpgrade { fallback: self.clone() })
    }

    async fn handle(
        self: Arc<Self>,
        request: Request,
        shutdown: ShutdownSignal,
        http: http::Request<Incoming>,
    ) -> Response {
        let op = request.query_param("capstan").unwrap_or_default().into_owned();
        let param = request.query_param("transport").unwrap_or_default().into_owned();
        let body = http.into_body();
        let mut response = match (request.method(), op.as_str()) {
            ("POST", "open") => self.open(&request, &param, body).await,
            ("GET", "sse") => self.read(&param, TransportKind::ServerSentEvents, shutdown),
            ("GET", "stream") => self.read(&param, TransportKind::Streaming, shutdown),
            ("POST", "send") => self.send(&param, body).await,
            ("POST", "close") => self.close(&param).await,
            (method, op) => refusal(
                StatusCode::BAD_REQUEST,
                "protocol_violation",
                &format!("no fallback request {method} capstan={op}"),
            ),
        };
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, no-transform"));
        response
    }

    /// `POST P?capstan=open&transport=sse|stream`.
    async fn open(self: &Arc<Self>, request: &Request, kind: &str, body: Incoming) -> Response {
        let kind = match kind {
            "sse" => TransportKind::ServerSentEvents,
            "stream" => TransportKind::Streaming,
            other => {
                let message = format!("transport={other:?}: sse or stream");
                return refusal(StatusCode::BAD_REQUEST, "protocol_violation", &message);
            }
        };
        let body = match read_body(body, MAX_OPENING_BYTES).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        let Ok(text) = String::from_utf8(body.to_vec()) else {
            return refusal(StatusCode::BAD_REQUEST, "protocol_violation", "not UTF-8");
        };
        let asked = match opening(Message::text(text)) {
            Ok(asked) => asked,
            Err(error) => return session_refusal(&error),
        };
        let downstream = Downstream::new(kind, self.config.max_downstream_bytes);
        let attached = Attached::Http(downstream.clone());
        let entry = match self.core.open(attached, request, asked).await {
            Ok(entry) => entry,
            Err(error) => return session_refusal(&error),
        };
        let transport = HttpTransport { downstream, entry };
        let token = match self.tokens.issue(transport.clone()) {
            Ok(token) => token,
            Err(error) => {
                let message = format!("no token: {error}");
                return refusal(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &message);
            }
        };
        // A downstream nobody reads is a transport cut.
        let fallback = self.clone();
        let waiting = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(fallback.config.open_timeout).await;
            if !transport.downstream.was_read() {
                fallback.ended(&waiting, &transport, Ending::Gone).await;
            }
        });
        let json = serde_json::json!({ "transport": token.encode() }).to_string();
        let mut response = whole(StatusCode::OK, json);
        response.headers_mut().insert(header::CONTENT_TYPE, json_type());
        response
    }

    /// `GET P?capstan=sse|stream&transport=TOKEN`.
    fn read(
        self: &Arc<Self>,
        token: &str,
        kind: TransportKind,
        shutdown: ShutdownSignal,
    ) -> Response {
        let Some((token, transport)) = self.find(token) else { return unknown() };
        if transport.downstream.kind() != kind || !transport.downstream.take_reader() {
            return unknown();
        }
        let fallback = self.clone();
        let ended = transport.clone();
        let body = EventBody::new(transport.downstream, shutdown, move |ending| {
            tokio::spawn(async move { fallback.ended(&token, &ended, ending).await });
        });
        let content_type = match kind {
            TransportKind::ServerSentEvents => "text/event-stream",
            _ => "text/plain; charset=utf-8",
        };
        let mut response = http::Response::new(body.boxed_unsync());
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }

    /// `POST P?capstan=send&transport=TOKEN`.
    async fn send(&self, token: &str, body: Incoming) -> Response {
        let Some((_, transport)) = self.find(token) else { return unknown() };
        let body = match read_body(body, self.config.max_post_bytes).await {
            Ok(body) => body,
            Err(response) => return response,
        };
        let id = transport.downstream.id();
        let entry = &transport.entry;
        let batch = match batch::parse(&body) {
            Ok(batch) => batch,
            Err(error) => {
                let error = SessionError::new(ErrorCode::ProtocolViolation, error);
                entry.link().violation(id, error.clone());
                self.core.finish_if_over(entry).await;
                return session_refusal(&error);
            }
        };
        let limit = self.config.max_message_bytes;
        if batch.messages.iter().any(|message| message.len() > limit) {
            let message = format!("a message is larger than {limit} bytes");
            return refusal(StatusCode::PAYLOAD_TOO_LARGE, "message_too_big", &message);
        }
        match self.core.receive_batch(entry, id, batch).await {
            Ok(()) => whole(StatusCode::NO_CONTENT, String::new()),
            Err(BatchRefusal::NotAttached) => unknown(),
            Err(BatchRefusal::Gap(gap)) => refusal(StatusCode::CONFLICT, "gap", &gap.to_string()),
            Err(BatchRefusal::Violation(error)) => session_refusal(&error),
        }
    }

    /// `POST P?capstan=close&transport=TOKEN`: the client ends its session.
    async fn close(&self, token: &str) -> Response {
        let Some((_, transport)) = self.find(token) else { return unknown() };
        let info = CloseInfo {
            code: CloseCode::NORMAL,
            reason: String::new(),
            cause: CloseCause::PeerClosed,
        };
        let id = transport.downstream.id();
        if !transport.entry.link().detach(id, Some(&info)) {
            return unknown();
        }
        transport.downstream.end(events::close(CloseCode::NORMAL, ""));
        self.core.finish_if_over(&transport.entry).await;
        whole(StatusCode::NO_CONTENT, String::new())
    }

    fn find(&self, token: &str) -> Option<(SessionId, HttpTransport<A::State>)> {
        let token = SessionId::parse(token).ok()?;
        let transport = self.tokens.get(&token)?;
        Some((token, transport))
    }

    /// A transport's downstream ended (or never came): its token is
    /// revoked, and the session waits for a resume (or, at shutdown, ends).
    async fn ended(&self, token: &SessionId, transport: &HttpTransport<A::State>, ending: Ending) {
        self.tokens.revoke(token);
        let info = match ending {
            Ending::Gone => CloseInfo {
                code: CloseCode::ABNORMAL,
                reason: String::new(),
                cause: CloseCause::ConnectionLost,
            },
            Ending::Shutdown => CloseInfo {
                code: CloseCode::GOING_AWAY,
                reason: "server shutdown".to_owned(),
                cause: CloseCause::ServerShutdown,
            },
        };
        let id = transport.downstream.id();
        self.core.transport_ended(&transport.entry, id, &info).await;
    }
}

/// Serves one fallback request's connection with hyper.
struct FallbackUpgrade<A: StatefulComponent> {
    fallback: Arc<Fallback<A>>,
}

impl<A: StatefulComponent> Upgrade for FallbackUpgrade<A> {
    fn serve(
        self: Box<Self>,
        transport: Transport,
        request: Request,
        buffered: BytesMut,
        context: ConnContext,
    ) -> ServeFuture {
        let mut consumed = BytesMut::from(&request.head_bytes()[..]);
        consumed.extend_from_slice(&buffered);
        let (_, shutdown, live) = context.into_parts();
        let fallback = self.fallback;
        let timeout = fallback.config.header_timeout;
        let signal = shutdown.clone();
        let service = HttpService::from_fn(move |http| {
            fallback.clone().handle(request.clone(), signal.clone(), http)
        });
        Box::pin(async move {
            service.serve(transport.into_io(), consumed.freeze(), timeout, shutdown, None).await;
            drop(live);
        })
    }

    fn answer(
        self: Box<Self>,
        request: Request,
        http: http::Request<Incoming>,
        shutdown: ShutdownSignal,
    ) -> Option<AnswerFuture> {
        let answering = self.fallback.handle(request, shutdown, http);
        Some(Box::pin(async move {
            answering.await.map(|body| body.map_err(|never| match never {}).boxed_unsync())
        }))
    }
}

/// A body read whole, at most `limit` bytes (413 beyond).
async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, Response> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            let message = format!("the body is larger than {limit} bytes");
            Err(refusal(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", &message))
        }
        Err(error) => {
            Err(refusal(StatusCode::BAD_REQUEST, "protocol_violation", &error.to_string()))
        }
    }
}

fn whole(status: StatusCode, body: String) -> Response {
    let mut response = http::Response::new(Full::new(Bytes::from(body)).boxed_unsync());
    *response.status_mut() = status;
    response
}

fn json_type() -> HeaderValue {
    HeaderValue::from_static("application/json")
}

/// The answer to a refused request: `status` and the `error` object.
fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    let json = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut response = whole(status, json.to_string());
    response.headers_mut().insert(header::CONTENT_TYPE, json_type());
    response
}

/// The answer to a request the session protocol refuses (§8.1's table).
fn session_refusal(error: &SessionError) -> Response {
    let status = match error.code {
        ErrorCode::ProtocolViolation => StatusCode::BAD_REQUEST,
        ErrorCode::UnknownSession => StatusCode::NOT_FOUND,
        ErrorCode::Replaced => StatusCode::CONFLICT,
        ErrorCode::MessagesLost => StatusCode::GONE,
        ErrorCode::RxBeyondSent => StatusCode::RANGE_NOT_SATISFIABLE,
        ErrorCode::VersionNotSupported => StatusCode::UPGRADE_REQUIRED,
        ErrorCode::RetentionFull => StatusCode::TOO_MANY_REQUESTS,
    };
    refusal(status, error.code.as_str(), &error.message)
}

fn unknown() -> Response {
    refusal(StatusCode::NOT_FOUND, "unknown_session", "no such transport")
}
