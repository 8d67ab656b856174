//! The admin page's plain-HTTP routes, as an axum `Router`: the page and
//! its files, `GET /admin/session` (204 when the cookie is a live
//! session, else 401: the page shows its login form), `POST /admin/login`
//! and `POST /admin/logout`. Every other `/admin/…` path is 404, and all
//! of them are 404 when the admin page is off.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{any, get, post};
use http::{HeaderValue, Method, StatusCode, header};

use super::assets;
use super::cookie;
use super::login::{Login, MAX_BODY};
use super::sessions::Sessions;

/// What the routes share.
pub(crate) struct Routes {
    pub(crate) login: Login,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) secure_cookie: bool,
}

/// The routes of an admin page that is on.
pub(crate) fn on(routes: Routes) -> Router {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/admin.js", get(page))
        .route("/admin/admin.css", get(page))
        .route("/admin/session", get(session))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/", any(not_found))
        .route("/admin/{*rest}", any(not_found))
        .with_state(Arc::new(routes))
}

/// The routes of an admin page that is off: 404 everywhere under /admin.
pub(crate) fn off() -> Router {
    Router::new()
        .route("/admin", any(not_found))
        .route("/admin/", any(not_found))
        .route("/admin/{*rest}", any(not_found))
}

async fn page(request: Request) -> Response {
    match assets::response(request.uri().path(), request.method() == Method::HEAD) {
        Some(response) => response,
        None => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

async fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "not found\n")
}

/// The session id the request's cookie names, if it is a live session.
fn live_session<'a>(routes: &Routes, request: &'a Request) -> Option<&'a str> {
    let headers = request.headers().get_all(header::COOKIE).iter();
    let id = cookie::session_id(headers.filter_map(|v| v.to_str().ok()))?;
    routes.sessions.is_valid(id, Instant::now()).then_some(id)
}

async fn session(State(routes): State<Arc<Routes>>, request: Request) -> Response {
    match live_session(&routes, &request) {
        Some(_) => plain(StatusCode::NO_CONTENT, ""),
        None => plain(StatusCode::UNAUTHORIZED, "not logged in\n"),
    }
}

async fn login(State(routes): State<Arc<Routes>>, request: Request) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // One byte past the bound is enough to know it is over.
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY + 1).await {
        Ok(body) => body,
        Err(_) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large\n"),
    };
    match routes.login.attempt(content_type.as_deref(), &body, Instant::now()) {
        Ok(id) => {
            let ttl = routes.sessions.ttl().as_secs();
            let mut response = plain(StatusCode::NO_CONTENT, "");
            set_cookie(&mut response, &cookie::set(&id, ttl, routes.secure_cookie));
            response
        }
        Err(refused) => {
            tracing::info!(%refused, "admin login refused");
            let mut response = plain(refused.status(), &format!("{refused}\n"));
            if let super::login::LoginRefused::TooManyFailures(wait) = refused {
                let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
                response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
            }
            response
        }
    }
}

async fn logout(State(routes): State<Arc<Routes>>, request: Request) -> Response {
    if let Some(id) = live_session(&routes, &request) {
        routes.sessions.end(id);
    }
    let mut response = plain(StatusCode::NO_CONTENT, "");
    set_cookie(&mut response, &cookie::clear(routes.secure_cookie));
    response
}

fn set_cookie(response: &mut Response, value: &str) {
    let value = HeaderValue::from_str(value).expect("a cookie of hex and ASCII");
    response.headers_mut().insert(header::SET_COOKIE, value);
}

/// A short text answer, never cached.
fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(Body::from(text.to_owned()))
        .expect("static headers are valid")
}
