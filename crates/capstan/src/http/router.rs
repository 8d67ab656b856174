//! Several components on one port, chosen by path (Ratchet's `App::route`).

use super::component::{Decision, HttpComponent};
use super::rejection::Rejection;
use super::request::Request;

/// Dispatches each request to the layer registered for its exact path;
/// unknown paths get 404 (or the HTTP server's service).
#[derive(Default)]
pub struct Router {
    routes: Vec<(String, Box<dyn HttpComponent>)>,
}

impl Router {
    /// A router with no route.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `path` with `component` (usually a [`crate::WsServer`]).
    pub fn route(mut self, path: impl Into<String>, component: impl HttpComponent) -> Self {
        self.routes.push((path.into(), Box::new(component)));
        self
    }

    /// The paths served.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|(path, _)| path.as_str())
    }
}

impl HttpComponent for Router {
    fn on_request(&self, request: &Request) -> Decision {
        let path = request.path();
        match self.routes.iter().find(|(route, _)| route == path) {
            Some((_, component)) => component.on_request(request),
            None => Decision::Pass(Rejection::not_found()),
        }
    }
}
