//! The port's plain HTTP: the browser client (compiled in), the JSON the
//! client's lobby and replay view read, and `/healthz`.

use std::sync::Arc;

use bytes::Bytes;
use capstan::http::{Asset, Assets, HttpResponse, plain};
use http::{Method, StatusCode, header};
use http_body_util::Full;
use serde::Serialize;

use crate::lobby::Lobby;
use crate::store::Store;

const FILES: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_str!("../web/index.html"),
    },
    Asset {
        path: "/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../web/app.js"),
    },
    Asset {
        path: "/capstan.js",
        content_type: "text/javascript; charset=utf-8",
        body: capstan::sessions::CLIENT_JS,
    },
    Asset {
        path: "/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../web/style.css"),
    },
];

/// Scripts and styles from this origin only; sockets to this host.
const SITE: Assets = Assets::new(
    FILES,
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self' ws: wss:; base-uri 'none'; frame-ancestors 'none'",
);

/// The most rows a list answers.
const LIST_LIMIT: usize = 50;

/// What the HTTP side reads.
#[derive(Clone)]
pub struct Site {
    /// The open games.
    pub lobby: Arc<Lobby>,
    /// Stored games and ratings.
    pub store: Store,
}

impl Site {
    /// The answer to `method` on `path`.
    pub async fn answer(&self, method: &Method, path: &str) -> HttpResponse {
        if method != Method::GET && method != Method::HEAD {
            return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD here\n");
        }
        match path {
            "/healthz" => return plain(StatusCode::OK, "ok\n"),
            "/api/lobby" => return json(&self.lobby.entries()),
            "/api/leaderboard" => return json(&self.store.leaderboard(LIST_LIMIT).await),
            "/api/games" => return json(&self.store.recent_games(LIST_LIMIT).await),
            _ => {}
        }
        if let Some(id) = path.strip_prefix("/api/games/") {
            return match self.store.game(id).await {
                Some(game) => json(&game),
                None => plain(StatusCode::NOT_FOUND, "no such game\n"),
            };
        }
        let path = if path == "/index.html" { "/" } else { path };
        SITE.answer(method, path).unwrap_or_else(|| plain(StatusCode::NOT_FOUND, "not found\n"))
    }
}

fn json(value: &impl Serialize) -> HttpResponse {
    let body = serde_json::to_vec(value).unwrap_or_default();
    http::Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}
