//! What a hook does when the backend gives no usable answer.

/// The failure policy of one hook: what happens when the backend is
/// unreachable, too slow, answers a non-2xx status or an answer that is
/// not the hook's JSON (each logged as a [`HookError`](super::HookError)).
/// A backend's own refusal is never a failure: it always denies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Refuse (the default): the connection gets 503, a subscribe or
    /// publish gets [`HookDenied::Unavailable`](super::HookDenied::Unavailable).
    #[default]
    Deny,
    /// Go on as if the backend had said yes without saying anything: an
    /// unconfirmed anonymous identity at connect, no channel info at
    /// subscribe, the data unchanged at publish.
    Allow,
}
