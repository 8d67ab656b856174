//! [`Health`]: whether the server is ready to take traffic, as the
//! application's readiness checks say — each an async probe with a
//! timeout ("engine", "store"), or a [`ReadyFlag`] it sets ("listening").
//! Liveness needs no check: a process that answers is alive.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;

/// What a probe gives: ready, or why not.
pub type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

type Probe = dyn Fn() -> ProbeFuture + Send + Sync;

/// One readiness check.
struct Check {
    name: String,
    timeout: Duration,
    probe: Box<Probe>,
}

/// Why a check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// The probe answered with this reason.
    Failed(String),
    /// The probe gave no answer within its timeout.
    TimedOut(Duration),
    /// The probe panicked.
    Panicked,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(why) => f.write_str(why),
            Self::TimedOut(after) => write!(f, "no answer within {after:?}"),
            Self::Panicked => f.write_str("the check panicked"),
        }
    }
}

/// The checks that did not pass, by name, in the order they were added;
/// none: ready.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Each failing check's name and why.
    pub failing: Vec<(String, NotReady)>,
}

impl Readiness {
    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.failing.is_empty()
    }
}

/// A readiness condition the application sets and clears itself: that
/// its listener is bound, that it is not draining.
#[derive(Debug, Clone, Default)]
pub struct ReadyFlag(Arc<AtomicBool>);

impl ReadyFlag {
    /// A flag, not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (ready) or clears (not ready) the flag.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    /// Whether it is set.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The application's readiness checks. Cheap to clone.
#[derive(Clone, Default)]
pub struct Health {
    checks: Vec<Arc<Check>>,
}

impl fmt::Debug for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|c| c.name.as_str()).collect();
        f.debug_struct("Health").field("checks", &names).finish()
    }
}

impl Health {
    /// No check: always ready.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the check `name`: `probe` is called at each readiness request
    /// and must answer `Ok(())` within `timeout`.
    pub fn with_check<F, Fut>(mut self, name: &str, timeout: Duration, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let probe: Box<Probe> = Box::new(move || Box::pin(probe()));
        self.checks.push(Arc::new(Check { name: name.to_owned(), timeout, probe }));
        self
    }

    /// Adds the check `name`, passing while `flag` is set.
    pub fn with_flag(self, name: &str, flag: &ReadyFlag) -> Self {
        let flag = flag.clone();
        self.with_check(name, Duration::from_secs(1), move || {
            let ready = flag.is_set();
            async move { if ready { Ok(()) } else { Err("not set".to_owned()) } }
        })
    }

    /// Runs every check at once, each bounded by its timeout; the whole
    /// takes as long as the slowest.
    pub async fn check(&self) -> Readiness {
        let mut running = JoinSet::new();
        for (index, check) in self.checks.iter().enumerate() {
            let check = check.clone();
            running.spawn(async move {
                let answer = tokio::time::timeout(check.timeout, (check.probe)()).await;
                (index, answer.map_err(|_| NotReady::TimedOut(check.timeout)))
            });
        }
        let mut answers: Vec<Option<NotReady>> = vec![Some(NotReady::Panicked); self.checks.len()];
        while let Some(done) = running.join_next().await {
            let Ok((index, answer)) = done else { continue };
            answers[index] = match answer {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some(NotReady::Failed(why)),
                Err(timed_out) => Some(timed_out),
            };
        }
        let failing = self
            .checks
            .iter()
            .zip(answers)
            .filter_map(|(check, answer)| Some((check.name.clone(), answer?)))
            .collect();
        Readiness { failing }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_check_is_ready() {
        assert!(Health::new().check().await.is_ready());
    }

    #[tokio::test]
    async fn every_failing_check_is_named_with_why() {
        let listening = ReadyFlag::new();
        let health = Health::new()
            .with_flag("listening", &listening)
            .with_check("engine", Duration::from_secs(5), || async { Ok(()) })
            .with_check("store", Duration::from_secs(5), || async { Err("disk full".into()) })
            .with_check("stuck", Duration::from_millis(20), std::future::pending)
            .with_check("broken", Duration::from_secs(5), || async { panic!("bug") });
        let readiness = health.check().await;
        assert_eq!(
            readiness.failing,
            [
                ("listening".to_owned(), NotReady::Failed("not set".into())),
                ("store".to_owned(), NotReady::Failed("disk full".into())),
                ("stuck".to_owned(), NotReady::TimedOut(Duration::from_millis(20))),
                ("broken".to_owned(), NotReady::Panicked),
            ]
        );
        listening.set(true);
        let names: Vec<String> = health.check().await.failing.into_iter().map(|f| f.0).collect();
        assert_eq!(names, ["store", "stuck", "broken"]);
    }
}
