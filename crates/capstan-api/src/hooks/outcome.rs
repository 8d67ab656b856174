//! A hook call's outcome once the failure policy is applied: the
//! backend's decision, or what the policy says when it gave none. Each
//! failure and each refusal is logged here.

use super::answer::Answer;
use super::config::HookConfig;
use super::denied::HookDenied;
use super::error::HookError;
use super::policy::FailurePolicy;

/// `Ok(Some(result))` allowed by the backend; `Ok(None)` the backend
/// failed and the policy allows; `Err` refused (by the backend, or by the
/// policy after a failure).
pub(crate) fn decide<R>(
    hook: &'static str,
    config: &HookConfig,
    called: Result<Answer<R>, HookError>,
) -> Result<Option<R>, HookDenied> {
    match called {
        Ok(Answer::Result(result)) => Ok(Some(result)),
        Ok(Answer::Error { code, message }) => {
            tracing::debug!(hook, code, %message, "backend refused");
            Err(HookDenied::Refused { code, message })
        }
        Ok(Answer::Disconnect { code, reason }) => {
            tracing::debug!(hook, code, %reason, "backend asked for a disconnect");
            Err(HookDenied::Disconnect { code, reason })
        }
        Err(error) => {
            let policy = config.policy();
            tracing::warn!(hook, url = %config.url(), %error, ?policy, "backend hook failed");
            match policy {
                FailurePolicy::Deny => Err(HookDenied::Unavailable(error)),
                FailurePolicy::Allow => Ok(None),
            }
        }
    }
}
