//! A latency histogram: log-linear buckets (64 per power of two, so a
//! bucket is at most 1/64 ≈ 1.6 % wide), exact below 128; percentiles,
//! merging, and a compact text form to pass between processes.

use std::fmt::Write;

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 6;
const SUB: usize = 1 << SUB_BITS;
/// Buckets needed for every u64.
const BUCKETS: usize = (64 - SUB_BITS as usize) * SUB + SUB;

/// Counts of values (nanoseconds, say) by bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], total: 0 }
    }
}

/// The bucket of `value`.
fn bucket(value: u64) -> usize {
    if value < (2 * SUB) as u64 {
        return value as usize;
    }
    let shift = 63 - value.leading_zeros() - SUB_BITS;
    shift as usize * SUB + (value >> shift) as usize
}

/// The smallest and largest values of bucket `index`.
fn bounds(index: usize) -> (u64, u64) {
    if index < 2 * SUB {
        return (index as u64, index as u64);
    }
    let shift = (index / SUB - 1) as u32;
    let mantissa = (index % SUB + SUB) as u64;
    (mantissa << shift, ((mantissa + 1) << shift).wrapping_sub(1))
}

impl Histogram {
    /// Counts `value`.
    pub fn record(&mut self, value: u64) {
        self.counts[bucket(value)] += 1;
        self.total += 1;
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Forgets every value.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The value at quantile `q` (0.5 for the median, 0.999 for p99.9):
    /// the middle of the bucket holding the ⌈q·n⌉-th smallest value.
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bounds(index);
                return Some(low + (high - low) / 2);
            }
        }
        unreachable!("the counts add up to the total")
    }

    /// The mean, from each bucket's middle. `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        let sum: f64 = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(index, &count)| {
                let (low, high) = bounds(index);
                (low as f64 + (high - low) as f64 / 2.0) * count as f64
            })
            .sum();
        (self.total > 0).then(|| sum / self.total as f64)
    }

    /// The largest value's bucket's upper bound.
    pub fn max(&self) -> Option<u64> {
        let index = self.counts.iter().rposition(|&c| c > 0)?;
        Some(bounds(index).1)
    }

    /// The counts as text: `index:count` pairs, comma-separated, non-zero
    /// buckets only (`-` when empty).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (index, &count) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let _ = write!(out, "{}{index}:{count}", if out.is_empty() { "" } else { "," });
        }
        if out.is_empty() { "-".into() } else { out }
    }

    /// Reads what [`to_text`](Self::to_text) wrote.
    pub fn from_text(text: &str) -> Result<Self, String> {
        let mut histogram = Self::default();
        for pair in text.split(',').filter(|p| !p.is_empty() && *p != "-") {
            let bad = || format!("bad histogram bucket {pair:?}");
            let (index, count) = pair.split_once(':').ok_or_else(bad)?;
            let index: usize = index.parse().map_err(|_| bad())?;
            let count: u64 = count.parse().map_err(|_| bad())?;
            *histogram.counts.get_mut(index).ok_or_else(bad)? += count;
            histogram.total += count;
        }
        Ok(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_narrow() {
        assert_eq!(bucket(0), 0);
        assert_eq!(bucket(127), 127);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
        let mut previous_high = None;
        for index in 0..BUCKETS {
            let (low, high) = bounds(index);
            assert_eq!(bucket(low), index);
            assert_eq!(bucket(high), index);
            if let Some(previous) = previous_high {
                assert_eq!(low, previous + 1, "bucket {index} follows on");
            }
            assert!((high - low) as f64 <= low as f64 / SUB as f64, "bucket {index} narrow");
            previous_high = Some(high);
        }
    }

    #[test]
    fn percentiles() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let near = |q: f64, expected: f64| {
            let got = h.quantile(q).unwrap() as f64;
            assert!((got - expected).abs() / expected < 0.01, "q{q}: {got} vs {expected}");
        };
        near(0.5, 500_000.0);
        near(0.99, 990_000.0);
        near(0.999, 999_000.0);
        near(1.0, 1_000_000.0);
        near(0.0, 1000.0);
        assert!(h.max().unwrap() >= 1_000_000);
        assert!((h.mean().unwrap() - 500_500.0).abs() < 5_000.0);
        assert_eq!(Histogram::default().mean(), None);
        let mut exact = Histogram::default();
        [5, 1, 3].into_iter().for_each(|v| exact.record(v));
        assert_eq!(
            (exact.quantile(0.0), exact.quantile(0.5), exact.quantile(1.0)),
            (Some(1), Some(3), Some(5))
        );
    }

    #[test]
    fn merges_and_round_trips_as_text() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        [10, 20, 5_000_000].into_iter().for_each(|v| a.record(v));
        [20, 7].into_iter().for_each(|v| b.record(v));
        a.merge(&b);
        assert_eq!(a.count(), 5);
        assert_eq!(Histogram::from_text(&a.to_text()).unwrap(), a);
        assert_eq!(Histogram::default().to_text(), "-");
        assert_eq!(Histogram::from_text("-").unwrap(), Histogram::default());
        assert!(Histogram::from_text("99999:1").is_err());
        assert!(Histogram::from_text("3").is_err());
        a.clear();
        assert_eq!(a, Histogram::default());
    }
}
