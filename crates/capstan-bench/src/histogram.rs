//! A latency histogram: HdrHistogram (the form wrk2, Gatling and most
//! load tools report with) at 3 significant digits, so a value is known
//! to within 0.1 % (exact below 2048); percentiles, merging, and its
//! standard text form (V2, deflated, base64) to pass between processes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

/// Significant decimal digits kept: values within 0.1 % share a bucket.
const SIGNIFICANT_DIGITS: u8 = 3;

/// Counts of values (nanoseconds, say), growing to any u64 it is given.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    inner: hdrhistogram::Histogram<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        let inner = hdrhistogram::Histogram::new(SIGNIFICANT_DIGITS)
            .expect("3 significant digits are within HdrHistogram's 0..=5");
        Self { inner }
    }
}

impl Histogram {
    /// Counts `value` (past the largest trackable, ~2^62, as the largest).
    pub fn record(&mut self, value: u64) {
        // `saturating_record` alone would clamp to the current range
        // instead of growing it: grow first, clamp only what cannot fit.
        if self.inner.record(value).is_err() {
            self.inner.saturating_record(value);
        }
    }

    /// Values counted.
    pub fn count(&self) -> u64 {
        self.inner.len()
    }

    /// Forgets every value.
    pub fn clear(&mut self) {
        self.inner.reset();
    }

    /// Adds `other`'s counts.
    pub fn merge(&mut self, other: &Histogram) {
        self.inner.add(&other.inner).expect("an auto-resizing histogram takes any other");
    }

    /// The value at quantile `q` (0.5 for the median, 0.999 for p99.9):
    /// the highest value equivalent to the ⌈q·n⌉-th smallest one (as
    /// HdrHistogram reports percentiles). `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        (!self.inner.is_empty()).then(|| self.inner.value_at_quantile(q.clamp(0.0, 1.0)))
    }

    /// The mean. `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (!self.inner.is_empty()).then(|| self.inner.mean())
    }

    /// The largest value counted (to within its bucket). `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (!self.inner.is_empty()).then(|| self.inner.max())
    }

    /// The histogram in HdrHistogram's interchange form: V2 with deflate,
    /// base64 (what `HistogramLogWriter` writes; readable by the Java, C,
    /// Go and Rust libraries). One word: no spaces.
    pub fn to_text(&self) -> String {
        let mut bytes = Vec::new();
        V2DeflateSerializer::new()
            .serialize(&self.inner, &mut bytes)
            .expect("serializing to memory cannot fail");
        STANDARD.encode(bytes)
    }

    /// Reads what [`to_text`](Self::to_text) wrote; `-` is an empty one
    /// (a worker that measured nothing).
    pub fn from_text(text: &str) -> Result<Self, String> {
        let mut histogram = Self::default();
        if text == "-" {
            return Ok(histogram);
        }
        let bytes = STANDARD.decode(text).map_err(|e| format!("histogram, base64: {e}"))?;
        let read: hdrhistogram::Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("histogram, HdrHistogram V2: {e:?}"))?;
        histogram.inner.add(&read).map_err(|e| format!("histogram: {e:?}"))?;
        Ok(histogram)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ⌈q·n⌉-th smallest of `sorted`, the exact quantile.
    fn exact(sorted: &[u64], q: f64) -> u64 {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted[rank - 1]
    }

    /// A spread of latencies: 1 µs to 10 s, heavy-tailed, deterministic.
    fn latencies(n: usize) -> Vec<u64> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let exponent = (state % 1_000) as f64 / 1_000.0 * 7.0;
                (1_000.0 * 10f64.powf(exponent)) as u64
            })
            .collect()
    }

    #[test]
    fn percentiles_are_within_a_thousandth_of_the_exact_ones() {
        let mut values = latencies(100_000);
        let mut h = Histogram::default();
        values.iter().for_each(|&v| h.record(v));
        values.sort_unstable();
        // The old hand-written histogram's buckets were 1/64 wide (1.6 %);
        // these are within 0.1 %, well inside one old bucket.
        for q in [0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            let (got, want) = (h.quantile(q).unwrap() as f64, exact(&values, q) as f64);
            assert!((got - want).abs() <= want / 1000.0, "q{q}: {got} vs exact {want}");
        }
        let mean = values.iter().sum::<u64>() as f64 / values.len() as f64;
        assert!((h.mean().unwrap() - mean).abs() <= mean / 1000.0);
        let max = *values.last().unwrap() as f64;
        assert!((h.max().unwrap() as f64 - max).abs() <= max / 1000.0);
    }

    /// What the hand-written histogram this one replaced reported for a
    /// value: the middle of its log-linear bucket (64 per power of two,
    /// exact below 128), and that bucket's width.
    fn old_bucket_middle_and_width(value: u64) -> (u64, u64) {
        if value < 128 {
            return (value, 1);
        }
        let shift = 63 - value.leading_zeros() - 6;
        let low = (value >> shift) << shift;
        let width = 1u64 << shift;
        (low + (width - 1) / 2, width)
    }

    #[test]
    fn percentiles_are_within_a_bucket_of_the_old_histogram_s() {
        let mut values = latencies(100_000);
        let mut h = Histogram::default();
        values.iter().for_each(|&v| h.record(v));
        values.sort_unstable();
        for q in [0.5, 0.9, 0.99, 0.999, 0.9999, 1.0] {
            let (old, width) = old_bucket_middle_and_width(exact(&values, q));
            let new = h.quantile(q).unwrap();
            assert!(new.abs_diff(old) <= width, "q{q}: {new} vs the old {old} ± {width}");
        }
    }

    #[test]
    fn small_values_are_exact_and_empty_has_no_quantile() {
        let mut h = Histogram::default();
        assert_eq!((h.quantile(0.5), h.mean(), h.max()), (None, None, None));
        [5, 1, 3].into_iter().for_each(|v| h.record(v));
        assert_eq!(
            (h.quantile(0.0), h.quantile(0.5), h.quantile(1.0)),
            (Some(1), Some(3), Some(5))
        );
        h.record(u64::MAX);
        assert_eq!(h.count(), 4, "a huge value is counted, as the largest trackable");
    }

    #[test]
    fn merges_and_round_trips_as_text() {
        let (mut a, mut b) = (Histogram::default(), Histogram::default());
        [10, 20, 5_000_000].into_iter().for_each(|v| a.record(v));
        [20, 7, 9_000_000_000].into_iter().for_each(|v| b.record(v));
        a.merge(&b);
        assert_eq!(a.count(), 6);
        assert_eq!(a.quantile(1.0), b.quantile(1.0));
        let text = a.to_text();
        assert!(!text.contains([' ', '\n']), "one word in a key=value line: {text}");
        assert_eq!(Histogram::from_text(&text).unwrap(), a);
        assert_eq!(Histogram::from_text(&Histogram::default().to_text()).unwrap().count(), 0);
        assert_eq!(Histogram::from_text("-").unwrap().count(), 0);
        assert!(Histogram::from_text("not base64!").is_err());
        assert!(Histogram::from_text("aGVsbG8=").is_err(), "base64, but not a histogram");
        a.clear();
        assert_eq!(a.count(), 0);
    }
}
