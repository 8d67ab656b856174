//! The operators' endpoints as an axum `Router`: `/metrics` (Prometheus
//! text), `/healthz` (alive: 200 while the process answers) and `/readyz`
//! (200 when every readiness check passes, else 503 naming the failing
//! ones). Mount it on capstan's port with `HttpService::from_tower`, or
//! merge it into the application's own router.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::health::Health;
use crate::metrics::{CONTENT_TYPE, Metrics};

/// What the handlers share.
#[derive(Clone)]
struct Ops {
    metrics: Metrics,
    health: Health,
}

const PLAIN: &str = "text/plain; charset=utf-8";

/// `GET /metrics`, `GET /healthz` and `GET /readyz`.
pub fn router(metrics: Metrics, health: Health) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
        .with_state(Ops { metrics, health })
}

async fn render_metrics(State(ops): State<Ops>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], ops.metrics.render())
}

async fn alive() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, PLAIN)], "ok\n")
}

async fn ready(State(ops): State<Ops>) -> impl IntoResponse {
    let readiness = ops.health.check().await;
    if readiness.is_ready() {
        return (StatusCode::OK, [(header::CONTENT_TYPE, PLAIN)], "ready\n".to_owned());
    }
    let mut body = String::from("not ready\n");
    for (name, why) in &readiness.failing {
        body.push_str(&format!("{name}: {why}\n"));
    }
    (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, PLAIN)], body)
}
