//! [`Admin`]: the admin page, built from its config, the server API and
//! the application's [`AdminSource`], mounted as two parts — the
//! plain-HTTP routes ([`Admin::router`]) and the feed's WebSocket endpoint
//! ([`Admin::ws_endpoint`]).

use std::sync::Arc;
use std::time::Instant;

use super::config::{AdminConfig, AdminConfigError};
use super::endpoint::{AdminConn, AdminEndpoint};
use super::feed::{Feed, FeedSettings};
use super::login::Login;
use super::login_limit::LoginLimit;
use super::routes::{self, Routes};
use super::sessions::Sessions;
use super::source::AdminSource;
use super::token::AdminToken;
use crate::handle::Api;

/// The live admin page of one server. Build it once (inside the Tokio
/// runtime: its sampler starts here), then mount both parts; the sampler
/// stops once the `Admin` and its endpoint are dropped.
pub struct Admin {
    parts: Option<Parts>,
}

/// What an admin page that is on is made of.
struct Parts {
    feed: Feed,
    sessions: Arc<Sessions>,
    config: AdminConfig,
    token: String,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").field("on", &self.is_on()).finish_non_exhaustive()
    }
}

impl Admin {
    /// The admin page under `config`, its topics and nodes read through
    /// `api`, its traffic from `source`. Off (everything 404) when the
    /// config has no token. Must be called inside a Tokio runtime.
    pub fn new(
        config: AdminConfig,
        api: Api,
        source: Arc<dyn AdminSource>,
    ) -> Result<Self, AdminConfigError> {
        config.check()?;
        let Some(token) = config.token.clone() else {
            return Ok(Self { parts: None });
        };
        let sessions = Arc::new(Sessions::new(config.session_ttl, config.max_sessions));
        let settings = FeedSettings {
            interval: config.interval,
            capacity: config.capacity(),
            top_topics: config.top_topics,
        };
        let live = sessions.clone();
        let allowed = Box::new(move |conn: &capstan::Conn| {
            conn.identity::<AdminConn>().is_some_and(|c| live.is_valid(&c.session, Instant::now()))
        });
        let feed = Feed::start(source, api, settings, allowed);
        Ok(Self { parts: Some(Parts { feed, sessions, config, token }) })
    }

    /// Whether the page is on (a token is configured).
    pub fn is_on(&self) -> bool {
        self.parts.is_some()
    }

    /// The plain-HTTP routes: `GET /admin` (the page) and its files,
    /// `GET /admin/session`, `POST /admin/login`, `POST /admin/logout`; 404
    /// for every other `/admin/…` path, and for all of them when off. An
    /// axum `Router` to merge into the application's, or to serve as it is
    /// with `capstan::HttpService::from_tower`.
    pub fn router(&self) -> axum::Router {
        let Some(parts) = &self.parts else { return routes::off() };
        let login = Login {
            token: AdminToken::new(&parts.token),
            limit: LoginLimit::new(Instant::now()),
            sessions: parts.sessions.clone(),
        };
        routes::on(Routes {
            login,
            sessions: parts.sessions.clone(),
            secure_cookie: parts.config.secure_cookie,
        })
    }

    /// The feed's WebSocket endpoint, to mount at `/admin/ws` in the
    /// application's `capstan::Router` (the page connects there).
    pub fn ws_endpoint(&self) -> AdminEndpoint {
        match &self.parts {
            Some(parts) => AdminEndpoint::on(
                parts.feed.clone(),
                parts.sessions.clone(),
                parts.config.max_connections,
                &parts.config.allowed_origins,
            ),
            None => AdminEndpoint::off(),
        }
    }
}
