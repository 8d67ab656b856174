//! Who may connect, on both of the chat's routes (the classic WebSocket and
//! the web client's session mode): a verified token (`--jwt-*`), the
//! backend's connect hook (`--connect-hook`), or anyone; and the identity a
//! session is bound to, so that only its own user may resume it.

use capstan::Request;
use capstan::http::{Authenticate, Either, HttpComponent};
use capstan::sessions::Identity;
use capstan_api::hooks::{ConnectHook, HookIdentity};

use crate::chat::{TokenAuth, TokenUser};

/// The authentication in force.
pub struct Auth {
    /// Tokens required.
    pub tokens: Option<TokenAuth>,
    /// Else the backend decides.
    pub hook: Option<ConnectHook>,
}

/// A route behind the authentication in force.
pub type Authenticated<C> =
    Either<Authenticate<C, TokenAuth>, Either<Authenticate<C, ConnectHook>, C>>;

impl Auth {
    /// `route` behind it.
    pub fn wrap<C: HttpComponent>(&self, route: C) -> Authenticated<C> {
        match (&self.tokens, &self.hook) {
            (Some(tokens), _) => Either::Left(Authenticate::new(route, tokens.clone())),
            (None, Some(hook)) => {
                Either::Right(Either::Left(Authenticate::new(route, hook.clone())))
            }
            (None, None) => Either::Right(Either::Right(route)),
        }
    }
}

/// The identity a session of `request` is bound to: the token's user, or
/// the backend's, or nobody in particular (then the session id alone lets
/// a client resume, and is kept secret by the client).
pub fn session_identity(request: &Request) -> Identity {
    if let Some(user) = request.identity::<TokenUser>() {
        return Identity::new(format!("token:{}", user.name));
    }
    match request.identity::<HookIdentity>() {
        Some(hook) if !hook.is_anonymous() => Identity::new(format!("hook:{}", hook.user)),
        _ => Identity::anonymous(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_request_is_bound_to_nobody() {
        let request = Request::from_head("GET /session HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(session_identity(&request).matches(&Identity::anonymous()));
    }
}
