//! `/admin/ws`, the feed's WebSocket endpoint: a capstan layer to mount in
//! the application's `Router`. In order: the page's origin must be the
//! server's own host (or an allowed origin; 403 otherwise, and a request
//! without Origin is refused too), the session cookie must name a live
//! session (401), a connection slot must be free (503). The page sends
//! nothing: any message closes the connection with 1008.

use std::sync::Arc;
use std::time::Instant;

use capstan::http::{
    Authenticate, Authenticator, Decision, HttpComponent, OriginCheck, OriginPolicy,
};
use capstan::{
    CloseCode, Component, Conn, Limits, Message, Rejection, Request, WsConfig, WsServer,
};

use super::cookie;
use super::feed::Feed;
use super::sessions::Sessions;
use super::slots::{Slot, Slots};

/// The largest message the feed reads before closing (1009 beyond): it
/// expects none.
const MAX_MESSAGE: usize = 1024;

/// What an admin connection is: its session, and its slot under the cap.
pub(crate) struct AdminConn {
    pub(crate) session: String,
    _slot: Slot,
}

/// The handshake's check of the cookie and the cap.
struct SessionAuth {
    sessions: Arc<Sessions>,
    slots: Slots,
}

impl SessionAuth {
    fn check(&self, request: &Request) -> Result<AdminConn, Rejection> {
        let cookies = request.headers_named("cookie").filter_map(|v| std::str::from_utf8(v).ok());
        let session = cookie::session_id(cookies)
            .filter(|id| self.sessions.is_valid(id, Instant::now()))
            .ok_or_else(|| Rejection::new(401, "log in to the admin page first"))?;
        let slot = self.slots.take().ok_or_else(|| {
            Rejection::new(503, "too many admin pages are open").with_header("Retry-After", "10")
        })?;
        Ok(AdminConn { session: session.to_owned(), _slot: slot })
    }
}

impl Authenticator for SessionAuth {
    type Identity = AdminConn;

    fn authenticate(
        &self,
        request: &Request,
    ) -> impl Future<Output = Result<AdminConn, Rejection>> + Send {
        std::future::ready(self.check(request))
    }
}

/// The admin pages' component: each gets the snapshot, then the updates.
struct Pages {
    feed: Feed,
}

impl Component for Pages {
    async fn on_open(&self, conn: &Conn) {
        self.feed.join(conn);
    }

    async fn on_message(&self, conn: &Conn, _message: Message) {
        conn.close(CloseCode::POLICY_VIOLATION, "the admin feed takes no messages");
    }
}

type Stack = OriginCheck<Authenticate<WsServer<Pages>, SessionAuth>>;

/// The `/admin/ws` endpoint (see the module's doc): mount it with
/// `capstan::Router::route("/admin/ws", admin.ws_endpoint())`. When the
/// admin page is off it answers 404.
pub struct AdminEndpoint(Option<Stack>);

impl AdminEndpoint {
    /// The endpoint of an admin page that is on.
    pub(crate) fn on(
        feed: Feed,
        sessions: Arc<Sessions>,
        max_connections: usize,
        origins: &[String],
    ) -> Self {
        let config = WsConfig {
            limits: Limits { max_frame_size: MAX_MESSAGE, max_message_size: MAX_MESSAGE },
            ..WsConfig::default()
        };
        let ws = WsServer::with_config(Pages { feed }, config);
        let auth = SessionAuth { sessions, slots: Slots::new(max_connections) };
        let policy =
            OriginPolicy::same_host().or_origins(origins.iter().cloned()).allowing_missing(false);
        Self(Some(OriginCheck::new(Authenticate::new(ws, auth), policy)))
    }

    /// The endpoint of an admin page that is off.
    pub(crate) fn off() -> Self {
        Self(None)
    }
}

impl HttpComponent for AdminEndpoint {
    async fn on_request(&self, request: &mut Request) -> Decision {
        match &self.0 {
            Some(stack) => stack.on_request(request).await,
            None => Decision::Reject(Rejection::not_found()),
        }
    }
}
