//! CPU time of the server and of the workers over the run, as shares of
//! one core: on a shared machine, whether the server or the load
//! generator was short of CPU tells what a latency means.

use std::time::Instant;

use crate::procfs::{self, UserSystem};

/// CPU time of the server and each worker at one moment.
#[derive(Debug, Clone)]
pub struct Reading {
    at: Instant,
    server: UserSystem,
    workers: Vec<UserSystem>,
}

impl Reading {
    /// Reads process `server` and processes `workers`.
    pub fn take(server: u32, workers: &[u32]) -> Result<Self, String> {
        Ok(Self {
            at: Instant::now(),
            server: procfs::cpu_ticks(server)?,
            workers: workers.iter().map(|&pid| procfs::cpu_ticks(pid)).collect::<Result<_, _>>()?,
        })
    }
}

/// Shares of one core used between two readings.
#[derive(Debug, Clone, PartialEq)]
pub struct Shares {
    /// The server's.
    pub server: f64,
    /// Each worker's.
    pub workers: Vec<f64>,
}

impl Shares {
    /// From `earlier` to `later`, with `ticks_per_second` clock ticks a second.
    pub fn between(earlier: &Reading, later: &Reading, ticks_per_second: u64) -> Self {
        let seconds = later.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        let share = |a: UserSystem, b: UserSystem| {
            b.since(a).total() as f64 / ticks_per_second.max(1) as f64 / seconds
        };
        Self {
            server: share(earlier.server, later.server),
            workers: earlier
                .workers
                .iter()
                .zip(&later.workers)
                .map(|(&a, &b)| share(a, b))
                .collect(),
        }
    }

    /// As a line: `server 0.23 of a core, workers 0.41 + 0.40`.
    pub fn line(&self) -> String {
        let workers: Vec<String> = self.workers.iter().map(|w| format!("{w:.2}")).collect();
        format!("server {:.2} of a core, workers {}", self.server, workers.join(" + "))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn shares_of_a_core() {
        let at = Instant::now();
        let ticks = |user, system| UserSystem { user, system };
        let a = Reading { at, server: ticks(100, 50), workers: vec![ticks(0, 0), ticks(10, 10)] };
        let b = Reading {
            at: at + Duration::from_secs(10),
            server: ticks(300, 100),
            workers: vec![ticks(400, 100), ticks(10, 10)],
        };
        let shares = Shares::between(&a, &b, 100);
        assert_eq!(shares, Shares { server: 0.25, workers: vec![0.5, 0.0] });
        assert_eq!(shares.line(), "server 0.25 of a core, workers 0.50 + 0.00");
        assert!(Reading::take(std::process::id(), &[std::process::id()]).is_ok());
    }
}
