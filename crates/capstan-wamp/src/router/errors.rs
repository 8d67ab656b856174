//! The URIs the router answers with (WAMP v2, "Predefined URIs").

/// A message that breaks the protocol: ABORT, then close.
pub const PROTOCOL_VIOLATION: &str = "wamp.error.protocol_violation";
/// HELLO for a realm this router does not serve.
pub const NO_SUCH_REALM: &str = "wamp.error.no_such_realm";
/// A URI that breaks the URI rules.
pub const INVALID_URI: &str = "wamp.error.invalid_uri";
/// An option the router does not take (yet).
pub const INVALID_ARGUMENT: &str = "wamp.error.invalid_argument";
/// CALL of a procedure nobody registered.
pub const NO_SUCH_PROCEDURE: &str = "wamp.error.no_such_procedure";
/// REGISTER of a procedure registered already.
pub const PROCEDURE_ALREADY_EXISTS: &str = "wamp.error.procedure_already_exists";
/// UNSUBSCRIBE of a subscription the session does not have.
pub const NO_SUCH_SUBSCRIPTION: &str = "wamp.error.no_such_subscription";
/// UNREGISTER of a registration the session does not have.
pub const NO_SUCH_REGISTRATION: &str = "wamp.error.no_such_registration";
/// A call whose callee left before answering.
pub const CANCELED: &str = "wamp.error.canceled";
/// The router's answer to a client's GOODBYE.
pub const GOODBYE_AND_OUT: &str = "wamp.close.goodbye_and_out";
/// A call the router gave up on: its timeout ran out.
pub const TIMEOUT: &str = "wamp.error.timeout";
/// A meta call naming a session that is not in the realm.
pub const NO_SUCH_SESSION: &str = "wamp.error.no_such_session";
/// The router is shutting down: its GOODBYE reason.
pub const SYSTEM_SHUTDOWN: &str = "wamp.close.system_shutdown";
/// REGISTER of a shared procedure under another invocation policy (the URI
/// crossbar and autobahn use; the spec only says the REGISTER fails).
pub const PROCEDURE_EXISTS_WITH_DIFFERENT_INVOCATION_POLICY: &str =
    "wamp.error.procedure_exists_with_different_invocation_policy";
