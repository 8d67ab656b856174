//! Authentication at the handshake: a hook sees the request and either
//! rejects it with a status or attaches an identity that every callback
//! reads through `Conn::identity`.

use std::future::Future;

use super::component::{Decision, HttpComponent};
use crate::request::Rejection;
use crate::request::Request;

/// Decides who a request is. Implemented by closures
/// `Fn(&Request) -> Result<T, Rejection>` (decided at once), by
/// [`crate::http::JwtAuth`], and by any type of yours whose
/// `authenticate` awaits (a session looked up in a database or Redis).
pub trait Authenticator: Send + Sync + 'static {
    /// The identity attached to accepted connections.
    type Identity: Send + Sync + 'static;

    /// Accepts (with an identity) or rejects (with a status and reason).
    fn authenticate(
        &self,
        request: &Request,
    ) -> impl Future<Output = Result<Self::Identity, Rejection>> + Send;
}

impl<F, T> Authenticator for F
where
    F: Fn(&Request) -> Result<T, Rejection> + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    type Identity = T;

    fn authenticate(&self, request: &Request) -> impl Future<Output = Result<T, Rejection>> + Send {
        std::future::ready(self(request))
    }
}

/// Wraps a layer: only authenticated connection requests (upgrades, and
/// the session fallbacks' requests) reach it. Other plain HTTP requests
/// pass through untouched (to the HTTP service, which has its own rules).
pub struct Authenticate<C, A> {
    inner: C,
    authenticator: A,
}

impl<C: HttpComponent, A: Authenticator> Authenticate<C, A> {
    /// Authenticates upgrades with `authenticator` before `inner` sees them.
    pub fn new(inner: C, authenticator: A) -> Self {
        Self { inner, authenticator }
    }
}

impl<C: HttpComponent, A: Authenticator> HttpComponent for Authenticate<C, A> {
    async fn on_request(&self, request: &mut Request) -> Decision {
        if !request.is_connection_request() {
            return self.inner.on_request(request).await;
        }
        match self.authenticator.authenticate(request).await {
            Ok(identity) => {
                request.set_identity(identity);
                self.inner.on_request(request).await
            }
            Err(rejection) => Decision::Reject(rejection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Accept;
    impl HttpComponent for Accept {
        async fn on_request(&self, request: &mut Request) -> Decision {
            let user = request.identity::<String>().cloned().unwrap_or_default();
            Decision::Reject(Rejection::new(299, user))
        }
    }

    fn upgrade(extra: &str) -> Request {
        Request::from_head(&format!(
            "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n{extra}\r\n"
        ))
        .unwrap()
    }

    fn by_header(request: &Request) -> Result<String, Rejection> {
        request
            .header("x-user")
            .map(str::to_owned)
            .ok_or_else(|| Rejection::new(401, "who are you?"))
    }

    #[tokio::test]
    async fn accepted_requests_carry_the_identity() {
        let layer = Authenticate::new(Accept, by_header);
        match layer.on_request(&mut upgrade("X-User: ann\r\n")).await {
            Decision::Reject(r) => assert_eq!((r.status(), r.message()), (299, "ann")),
            _ => panic!("reached the inner layer"),
        }
    }

    #[tokio::test]
    async fn refused_requests_get_the_hooks_status() {
        let layer = Authenticate::new(Accept, by_header);
        match layer.on_request(&mut upgrade("")).await {
            Decision::Reject(r) => assert_eq!(r.status(), 401),
            _ => panic!("rejected"),
        }
    }
}
