//! The server's resident memory over the run: a sample every few seconds,
//! and whether it stayed flat after the warm-up.

use std::time::Duration;

use super::progress::Progress;

/// Where the run was when a sample was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connections opening.
    Connecting,
    /// Every connection open: pings and messages.
    Running,
    /// Publishing over: waiting for the last deliveries and pongs.
    Draining,
}

impl Phase {
    /// A word for it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Running => "running",
            Self::Draining => "draining",
        }
    }
}

/// One reading of the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the run began.
    pub seconds: f64,
    /// Seconds since publishing began (`None` before).
    pub running_for: Option<f64>,
    /// The phase.
    pub phase: Phase,
    /// The server's RSS, KiB.
    pub rss_kib: u64,
    /// The machine's load average over the last minute.
    pub load: f64,
    /// The workers' counts at the time.
    pub progress: Progress,
}

impl Sample {
    /// The line printed for it.
    pub fn line(&self) -> String {
        let p = &self.progress;
        format!(
            "{:5.0} s  {:<10}  RSS {:7.1} MiB  load {:4.1}  connected {}  sent {}  acked {}  deliveries {}/{}  dropped {}  pongs missed {}",
            self.seconds,
            self.phase.word(),
            self.rss_kib as f64 / 1024.0,
            self.load,
            p.connected,
            p.sent,
            p.acked,
            p.received,
            p.expected,
            p.dropped,
            p.pongs_missed
        )
    }
}

/// RSS after the warm-up against RSS at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    /// The first sample at least the warm-up into the run.
    pub warm: Sample,
    /// The last sample of the run (before draining).
    pub last: Sample,
    /// The highest RSS from `warm` to `last`, KiB.
    pub peak_kib: u64,
}

impl Growth {
    /// From `samples`, with `warmup` of the run left out; `None` if no
    /// sample is that far into the run.
    pub fn of(samples: &[Sample], warmup: Duration) -> Option<Self> {
        let running = |s: &&Sample| s.phase == Phase::Running;
        let from = samples
            .iter()
            .filter(running)
            // A sample due at the warm-up's end may be read a moment early.
            .position(|s| s.running_for.is_some_and(|t| t + 0.5 >= warmup.as_secs_f64()))?;
        let after: Vec<&Sample> = samples.iter().filter(running).skip(from).collect();
        Some(Self {
            warm: *after[0],
            last: **after.last()?,
            peak_kib: after.iter().map(|s| s.rss_kib).max()?,
        })
    }

    /// KiB gained from `warm` to `last` (negative if it shrank).
    pub fn kib(&self) -> i64 {
        self.last.rss_kib as i64 - self.warm.rss_kib as i64
    }

    /// The same, as a share of `warm`, in per cent.
    pub fn percent(&self) -> f64 {
        self.kib() as f64 * 100.0 / self.warm.rss_kib.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64, running_for: Option<f64>, phase: Phase, rss_kib: u64) -> Sample {
        Sample { seconds, running_for, phase, rss_kib, load: 1.0, progress: Progress::default() }
    }

    #[test]
    fn growth_after_the_warm_up() {
        let samples = [
            at(0.0, None, Phase::Connecting, 10_000),
            at(10.0, Some(0.0), Phase::Running, 200_000),
            at(20.0, Some(10.0), Phase::Running, 210_000),
            at(30.0, Some(20.0), Phase::Running, 230_000),
            at(40.0, Some(30.0), Phase::Running, 220_000),
            at(50.0, Some(40.0), Phase::Draining, 500_000),
        ];
        let growth = Growth::of(&samples, Duration::from_secs(10)).unwrap();
        assert_eq!(
            (growth.warm.rss_kib, growth.last.rss_kib, growth.peak_kib),
            (210_000, 220_000, 230_000)
        );
        assert_eq!(growth.kib(), 10_000);
        assert!((growth.percent() - 4.76).abs() < 0.01);
        assert_eq!(Growth::of(&samples, Duration::from_secs(31)), None);
        assert!(samples[1].line().contains("running     RSS   195.3 MiB"));
    }
}
